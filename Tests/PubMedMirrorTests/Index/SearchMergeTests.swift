import Foundation
import GRDB
import Testing
@testable import PubMedIndex
@testable import PubMedQuery
@testable import PubMedRecords
@testable import PubMedSupport

/// The SQLite index's full-text segments merged into one at the end of a run once most of its
/// baseline came since the last merge (`SQLiteRecordStore+Merge`): what a search can find is
/// unchanged, update files and a baseline file applied again leave the segments be, and a merge
/// that was stopped or failed is done by the next run.
@Suite struct SearchMergeTests {
    /// Three files (a segment each at least): 60 records, then replacements, then a deletion.
    static func applyThreeFiles(_ store: SQLiteRecordStore, folder: String) throws {
        let files: [[ArticleFileItem]] = [
            (1...40).map { RecordStoreTests.rec($0, title: "Heart failure in trial \($0)") },
            (30...60).map { RecordStoreTests.rec($0, $0 <= 40 ? 2 : 1, title: "Randomized placebo groups \($0)") },
            [.deletion(pmid: 7, version: 1), RecordStoreTests.rec(61, title: "Heart failure again")],
        ]
        for (number, items) in files.enumerated() {
            let identity = FileIdentity(name: "pubmed26n\(1001 + number).xml.gz", folder: folder, cycle: 26, number: 1001 + number, md5: "\(number)")
            try store.apply(identity) { sink in for item in items { try sink(item) } }
        }
    }

    static func hits(_ store: SQLiteRecordStore, _ query: String) throws -> [Int] {
        let request = SearchRequest(query: try PubMedQuery(parsing: query), sort: .pmid, limit: 1000)
        return try store.search(request, withJSON: false).hits.map(\.pmid).sorted()
    }

    /// `meta.searchMergedThrough`: the position of the last file applied before the last merge.
    static func mergedThrough(_ store: SQLiteRecordStore) throws -> Int? {
        try DatabaseQueue(path: store.path).read { db in
            try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'searchMergedThrough'")
        }
    }

    @Test func aRunThatAppliedBaselineFilesEndsWithOneSegmentAndTheSameTokens() throws {
        let store = try RecordStoreTests.store()
        try Self.applyThreeFiles(store, folder: "baseline")
        let segments = try #require(try store.searchSegmentCount())
        #expect(segments >= 3)
        let tokens = try RecordStoreTests.searchTokens(store)
        let heart = try Self.hits(store, "heart failure[ti]")
        #expect(heart == Array(1...29).filter { $0 != 7 } + [61])
        #expect(try store.finishRun() == nil)
        #expect(try store.searchSegmentCount() == 1)
        #expect(try RecordStoreTests.searchTokens(store) == tokens)
        #expect(try Self.hits(store, "heart failure[ti]") == heart)
        #expect(try Self.hits(store, "placebo[ti] AND randomized[ti]") == Array(30...60))
        #expect(try Self.mergedThrough(store) == 3)
        // A second end of run finds nothing to merge.
        #expect(try store.finishRun() == nil)
        #expect(try store.searchSegmentCount() == 1)
    }

    @Test func aBaselineFilePublishedAgainDoesNotMergeTheWholeIndex() throws {
        let store = try RecordStoreTests.store()
        try Self.applyThreeFiles(store, folder: "baseline")
        try store.finishRun()
        #expect(try store.searchSegmentCount() == 1)
        // A later run applies one baseline file again (NCBI published it anew): a small part of
        // the baseline, so its segment stays beside the merged one.
        let next = try SQLiteRecordStore(path: store.path)
        let identity = FileIdentity(name: "pubmed26n1003.xml.gz", folder: "baseline", cycle: 26, number: 1003, md5: "again")
        try next.apply(identity) { sink in try sink(RecordStoreTests.rec(61, title: "Heart failure once more")) }
        #expect(try next.searchSegmentCount() == 2)
        #expect(try next.finishRun() == nil)
        #expect(try next.searchSegmentCount() == 2)
    }

    @Test func updateFilesAloneLeaveTheSegmentsAsFTS5MergesThem() throws {
        let store = try RecordStoreTests.store()
        try Self.applyThreeFiles(store, folder: "updatefiles")
        let segments = try #require(try store.searchSegmentCount())
        #expect(segments >= 3)
        #expect(try store.finishRun() == nil)
        #expect(try store.searchSegmentCount() == segments)
    }

    @Test func aMergeStoppedBeforeItsFirstStepIsDoneByTheNextRun() throws {
        let store = try RecordStoreTests.store()
        try Self.applyThreeFiles(store, folder: "baseline")
        let tokens = try RecordStoreTests.searchTokens(store)
        let cancelled = CancellationFlag()
        cancelled.cancel()
        let warning = try #require(try store.finishRun(cancellation: cancelled))
        #expect(warning.contains("merge was stopped after 0 steps"))
        #expect(try store.searchSegmentCount()! >= 3)
        #expect(try Self.mergedThrough(store) == nil)
        // The next run applies nothing, and merges: most of the baseline came since no merge.
        let next = try SQLiteRecordStore(path: store.path)
        #expect(try next.finishRun() == nil)
        #expect(try next.searchSegmentCount() == 1)
        #expect(try RecordStoreTests.searchTokens(next) == tokens)
    }

    @Test func aMergeStoppedBetweenStepsIsFinishedByTheNextRun() throws {
        let store = try RecordStoreTests.store()
        // Three files of 500 records of twenty words of their own each: segments of many pages,
        // which a step of one page does not merge whole.
        for file in 0..<3 {
            let items = (1...500).map { number in
                let pmid = file * 500 + number
                return RecordStoreTests.rec(pmid, title: (1...20).map { "w\(pmid)x\($0)" }.joined(separator: " "))
            }
            let identity = FileIdentity(name: "pubmed26n\(1001 + file).xml.gz", folder: "baseline", cycle: 26, number: 1001 + file, md5: "\(file)")
            try store.apply(identity) { sink in for item in items { try sink(item) } }
        }
        let tokens = try RecordStoreTests.searchTokens(store)
        // One step of one page, as a run stopped after its first step leaves it: under way.
        let merged = try store.database.write { db in try SQLiteRecordStore.mergeStep(db, first: true, pages: 1) }
        #expect(merged)
        #expect(try store.searchSegmentCount()! > 1)
        #expect(try RecordStoreTests.searchTokens(store) == tokens)
        let next = try SQLiteRecordStore(path: store.path)
        #expect(try next.finishRun() == nil)
        #expect(try next.searchSegmentCount() == 1)
        #expect(try Self.mergedThrough(next) == 3)
        #expect(try RecordStoreTests.searchTokens(next) == tokens)
    }

    @Test func aMergeThatFailsIsAWarningAndTheIndexStaysWhole() throws {
        let store = try RecordStoreTests.store()
        try Self.applyThreeFiles(store, folder: "baseline")
        let tokens = try RecordStoreTests.searchTokens(store)
        let segments = try #require(try store.searchSegmentCount())
        // A database that cannot grow by a page: what a full disk does to a step.
        try store.database.writeWithoutTransaction { db in
            try db.execute(sql: "VACUUM")
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(pages)")
        }
        let warning = try #require(try store.finishRun())
        #expect(warning.contains("merge failed after 0 steps"), "\(warning)")
        #expect(try store.searchSegmentCount() == segments)
        #expect(try RecordStoreTests.searchTokens(store) == tokens)
        #expect(try Self.mergedThrough(store) == nil)
        // With room again, the next end of run merges.
        try store.database.writeWithoutTransaction { db in _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = 1073741823") }
        #expect(try store.finishRun() == nil)
        #expect(try store.searchSegmentCount() == 1)
        #expect(try RecordStoreTests.searchTokens(store) == tokens)
    }

    @Test func theSegmentCountIsReadFromBothFormsOfTheStructureRecord() {
        // Cookie, 2 levels, 3 segments, then what follows (not read).
        #expect(FTS5Structure.segmentCount([0, 0, 0, 3, 0x02, 0x03, 0x81, 0x00]) == 3)
        // The version 2 marker after the cookie; a count past one byte.
        #expect(FTS5Structure.segmentCount([0, 0, 0, 3, 0xFF, 0x00, 0x00, 0x01, 0x01, 0x81, 0x10]) == 144)
        #expect(FTS5Structure.segmentCount([0, 0, 0, 3, 0x02]) == nil)
        #expect(FTS5Structure.segmentCount([]) == nil)
    }
}
