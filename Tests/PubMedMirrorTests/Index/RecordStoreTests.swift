import Foundation
import GRDB
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// The NLM rules for applying files, on the SQLite store, with records built by hand.
@Suite struct RecordStoreTests {
    static func record(_ pmid: Int, _ version: Int = 1, title: String = "A title", year: Int = 2020,
                       mesh: [String] = [], author: String = "Smith") -> PubMedRecord {
        var record = PubMedRecord(pmid: pmid, version: version)
        record.title = title
        record.year = year
        record.abstract = "Abstract of \(pmid) version \(version)."
        record.meshHeadings = mesh.map { PubMedRecord.MeshHeading(descriptor: $0) }
        record.authors = [PubMedRecord.Author(lastName: author, foreName: "Jane", initials: "J")]
        record.journal = PubMedRecord.Journal(title: "Journal of Tests", isoAbbreviation: "J Tests")
        return record
    }

    static func xml(_ pmid: Int, _ version: Int) -> [UInt8] {
        Array("<PubmedArticle><MedlineCitation><PMID Version=\"\(version)\">\(pmid)</PMID></MedlineCitation></PubmedArticle>".utf8)
    }

    static func store() throws -> SQLiteRecordStore {
        try SQLiteRecordStore(path: try TestPaths.temporaryDirectory("store").appendingPathComponent("index.sqlite").path)
    }

    static func file(_ name: String, md5: String = "0") -> FileIdentity {
        FileIdentity(name: name, folder: "updatefiles", cycle: 26, number: 1, md5: md5)
    }

    @discardableResult
    static func apply(_ store: SQLiteRecordStore, _ name: String, _ items: [ArticleFileItem]) throws -> AppliedFile {
        try store.apply(file(name)) { sink in for item in items { try sink(item) } }
    }

    static func rec(_ pmid: Int, _ version: Int = 1, title: String = "A title") -> ArticleFileItem {
        .record(record(pmid, version, title: title), xml: xml(pmid, version))
    }

    @Test func theHighestVersionIsCurrentAndDeletionPromotesTheNext() throws {
        let store = try Self.store()
        let first = try Self.apply(store, "f1", [Self.rec(1, 1), Self.rec(1, 2), Self.rec(1, 3, title: "Third"), Self.rec(2)])
        #expect(first.records == 4 && first.inserted == 4 && first.replaced == 0)
        #expect(try store.record(pmid: 1, version: nil)?.record.version == 3)
        #expect(try store.record(pmid: 1, version: nil)?.versions == [1, 2, 3])
        #expect(try store.record(pmid: 1, version: 1)?.isCurrent == false)

        let second = try Self.apply(store, "f2", [.deletion(pmid: 1, version: 3), .deletion(pmid: 99, version: 1)])
        #expect(second.deleted == 1 && second.deletionsAbsent == 1)
        let current = try #require(try store.record(pmid: 1, version: nil))
        #expect(try current.record.version == 2)
        #expect(try store.search("third", limit: 10).isEmpty)
        #expect(try store.search("abstract:\"version 2\"", limit: 10).map(\.pmid) == [1])

        try Self.apply(store, "f3", [.deletion(pmid: 1, version: 2), .deletion(pmid: 1, version: 1)])
        #expect(try store.record(pmid: 1, version: nil) == nil)
        #expect(try store.counts().current == 1)
    }

    @Test func aLaterFilesCopyReplacesTheSameVersion() throws {
        let store = try Self.store()
        try Self.apply(store, "f1", [Self.rec(5, 1, title: "Old words")])
        let replaced = try Self.apply(store, "f2", [Self.rec(5, 1, title: "New words")])
        #expect(replaced.replaced == 1 && replaced.inserted == 0)
        #expect(try store.record(pmid: 5, version: nil)?.record.title == "New words")
        #expect(try store.record(pmid: 5, version: nil)?.record.sourceFile == "f2")
        #expect(try store.search("old", limit: 10).isEmpty)
        #expect(try store.search("new", limit: 10).map(\.pmid) == [5])
        #expect(try store.counts().versions == 1)
    }

    @Test func anOlderVersionArrivingLaterDoesNotBecomeCurrent() throws {
        let store = try Self.store()
        try Self.apply(store, "f1", [Self.rec(7, 2, title: "Second")])
        try Self.apply(store, "f2", [Self.rec(7, 1, title: "First")])
        #expect(try store.record(pmid: 7, version: nil)?.record.version == 2)
        #expect(try store.search("first", limit: 10).isEmpty)
    }

    @Test func aFailedFileChangesNothing() throws {
        let store = try Self.store()
        try Self.apply(store, "f1", [Self.rec(1)])
        let before = try store.counts()
        struct Boom: Error {}
        #expect(throws: (any Error).self) {
            try store.apply(Self.file("f2")) { sink in
                try sink(Self.rec(2))
                try sink(.deletion(pmid: 1, version: 1))
                throw RecordError(kind: .xml, file: "f2", line: 10, message: "malformed")
            }
        }
        #expect(try store.counts().current == before.current)
        #expect(try store.counts().highWaterMark == before.highWaterMark)
        #expect(try store.record(pmid: 1, version: nil) != nil)
        #expect(try store.record(pmid: 2, version: nil) == nil)
        #expect(try store.appliedFiles().map(\.name) == ["f1"])
    }

    @Test func originalXMLComesBackExactly() throws {
        let store = try Self.store()
        let xml = Array("<PubmedArticle>\n  <MedlineCitation Status=\"MEDLINE\">caf\u{e9} &amp; <i>x</i></MedlineCitation>\n</PubmedArticle>".utf8)
        _ = try store.apply(Self.file("f1")) { sink in try sink(.record(Self.record(3), xml: xml)) }
        #expect(try store.record(pmid: 3, version: nil)?.xml == xml)
    }

    @Test func exportSinceFollowsChangesAndDeletions() throws {
        let store = try Self.store()
        try Self.apply(store, "f1", [Self.rec(1), Self.rec(2), Self.rec(3)])
        var all: [Int] = []
        let mark = try store.export(since: nil) { item in
            if case .record(_, let pmid, _) = item { all.append(pmid) }
        }
        #expect(all == [1, 2, 3])
        #expect(mark == 3)

        try Self.apply(store, "f2", [Self.rec(2, 2), .deletion(pmid: 3, version: 1), .deletion(pmid: 42, version: 1)])
        var changes: [String] = []
        let next = try store.export(since: mark) { item in
            switch item {
            case .record(let json, let pmid, let version):
                changes.append("\(pmid).\(version)")
                #expect(String(decoding: json, as: UTF8.self).contains("\"pmid\":\(pmid)"))
            case .deletion(let pmid, let version): changes.append("-\(pmid).\(version)")
            }
        }
        #expect(changes == ["2.2", "-3.1"])
        #expect(next > mark)
        var none = 0
        _ = try store.export(since: next) { _ in none += 1 }
        #expect(none == 0)
    }

    @Test func searchRanksFiltersByYearAndFields() throws {
        let store = try Self.store()
        var a = Self.record(10, title: "Aspirin and heart failure", year: 2015, mesh: ["Heart Failure"], author: "Okafor")
        a.publicationTypes = ["Review"]
        var b = Self.record(11, title: "Statins", year: 2019, mesh: ["Heart Failure", "Hydroxymethylglutaryl-CoA Reductase Inhibitors"], author: "Müller")
        b.abstract = "Heart failure outcomes with statins."
        let c = Self.record(12, title: "Kidney stones", year: 2019)
        let records = [a, b, c]
        _ = try store.apply(Self.file("f1")) { sink in
            for record in records { try sink(.record(record, xml: Self.xml(record.pmid, 1))) }
        }
        #expect(try store.search("\"heart failure\"", limit: 10).first?.pmid == 10, "a title match ranks first")
        #expect(try Set(store.search("mesh:\"heart failure\"", limit: 10).map(\.pmid)) == [10, 11])
        #expect(try store.search("mesh:\"heart failure\" year:2016..2020", limit: 10).map(\.pmid) == [11])
        #expect(try store.search("author:muller", limit: 10).map(\.pmid) == [11], "diacritics folded")
        #expect(try store.search("type:review", limit: 10).map(\.pmid) == [10])
        #expect(try store.search("kidn*", limit: 10).map(\.pmid) == [12])
        #expect(try store.search("journal:\"J Tests\" year:2019", limit: 10).count == 2)
        #expect(try store.search("year:2015", limit: 10).map(\.pmid) == [10])
    }

    /// Every token the full-text index holds, as (PMID, column, offset, token): what a search can find.
    static func searchTokens(_ store: SQLiteRecordStore) throws -> Set<String> {
        try DatabaseQueue(path: store.path).write { db in
            try db.execute(sql: "CREATE VIRTUAL TABLE IF NOT EXISTS temp.tokens USING fts5vocab(main, 'articleSearch', 'instance')")
            return Set(try Row.fetchAll(db, sql: """
                SELECT a.pmid, t.col, t.offset, t.term FROM temp.tokens t JOIN article a ON a.id = t.doc
                """).map { row in "\(row["pmid"] as Int) \(row["col"] as String) \(row["offset"] as Int) \(row["term"] as String)" })
        }
    }

    @Test func theSearchIndexHoldsExactlyTheCurrentRecordsAfterReplacementsAndDeletions() throws {
        // The search index keeps no copy of the text: removing a row hands it the text it indexed,
        // rebuilt from the stored record. A mismatch would leave stray tokens that find the row.
        let changed = try Self.store()
        try Self.apply(changed, "f1", [Self.rec(1, 1, title: "Alpha beta"), Self.rec(1, 2, title: "Gamma"), Self.rec(2, 1, title: "Delta")])
        try Self.apply(changed, "f2", [Self.rec(1, 2, title: "Epsilon"), Self.rec(2, 1, title: "Zeta")])
        try Self.apply(changed, "f3", [.deletion(pmid: 1, version: 2)])
        try Self.apply(changed, "f4", [Self.rec(3, 1, title: "Eta"), .deletion(pmid: 2, version: 1), Self.rec(4, 1, title: "Theta")])
        try Self.apply(changed, "f5", [Self.rec(4, 2, title: "Iota")])

        let fresh = try Self.store()
        try Self.apply(fresh, "f1", [Self.rec(1, 1, title: "Alpha beta"), Self.rec(3, 1, title: "Eta"), Self.rec(4, 2, title: "Iota")])
        let tokens = try Self.searchTokens(changed)
        #expect(tokens == (try Self.searchTokens(fresh)))
        #expect(tokens.contains("1 ti 0 alpha"))
        for gone in ["gamma", "epsilon", "delta", "zeta", "theta"] {
            #expect(try changed.search(gone, limit: 10).isEmpty, "\(gone)")
        }
        #expect(try changed.search("alpha", limit: 10).map(\.pmid) == [1])
    }

    /// Each block's row count and how many rows refer to it, for every block and every block a row names.
    static func blockReferences(_ store: SQLiteRecordStore) throws -> [(live: Int?, rows: Int)] {
        try DatabaseQueue(path: store.path).read { db in
            try Row.fetchAll(db, sql: """
                SELECT b.live, (SELECT count(*) FROM article a WHERE a.block = b.id) AS rows FROM block b
                UNION ALL
                SELECT NULL, count(*) FROM article a WHERE NOT EXISTS (SELECT 1 FROM block b WHERE b.id = a.block) GROUP BY a.block
                """).map { ($0["live"], $0["rows"]) }
        }
    }

    /// Each file's XML stream: its row count, how many rows refer to it, and its chunks.
    static func streamReferences(_ store: SQLiteRecordStore) throws -> [String: (live: Int, rows: Int, chunks: Int)] {
        try DatabaseQueue(path: store.path).read { db in
            var result: [String: (live: Int, rows: Int, chunks: Int)] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.file, s.live, (SELECT count(*) FROM article a WHERE a.xmlStream = s.id) AS rows,
                       (SELECT count(*) FROM xmlChunk c WHERE c.stream = s.id) AS chunks
                FROM xmlStream s
                """) {
                result[row["file"]] = (row["live"], row["rows"], row["chunks"])
            }
            let orphans = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM article a WHERE NOT EXISTS (SELECT 1 FROM xmlStream s WHERE s.id = a.xmlStream)
                """) ?? 0
            let strayChunks = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM xmlChunk c WHERE NOT EXISTS (SELECT 1 FROM xmlStream s WHERE s.id = c.stream)
                """) ?? 0
            #expect(orphans == 0 && strayChunks == 0)
            return result
        }
    }

    @Test func aFilesXMLIsKeptWhileARowUsesItAndDeletedAfter() throws {
        let store = try Self.store()
        try Self.apply(store, "f1", [Self.rec(1), Self.rec(2)])
        try Self.apply(store, "f2", [Self.rec(1, 1, title: "New"), Self.rec(3)])
        var streams = try Self.streamReferences(store)
        #expect(streams.keys.sorted() == ["f1", "f2"])
        #expect(streams["f1"].map { [$0.live, $0.rows] } == [1, 1])
        #expect(streams["f2"].map { [$0.live, $0.rows] } == [2, 2])
        #expect(streams.values.allSatisfy { $0.chunks == 1 })
        // The last row using f1's XML goes: so does f1's stream. A file of deletions keeps none.
        try Self.apply(store, "f3", [.deletion(pmid: 2, version: 1)])
        streams = try Self.streamReferences(store)
        #expect(streams.keys.sorted() == ["f2"])
        #expect(try store.record(pmid: 1, version: nil)?.xml == Self.xml(1, 1))
        #expect(try store.record(pmid: 3, version: nil)?.xml == Self.xml(3, 1))
    }

    @Test func theXMLOfARealFileComesFromItsOwnGzipStream() throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        let store = try Self.store()
        let applied = try store.apply(FileIdentity(name: url.lastPathComponent, folder: "baseline", cycle: 20, number: 1015, md5: "x"),
                                      contentsOf: url)
        #expect(applied.records == 756)
        var checked = 0
        _ = try ArticleFile.read(url) { item in
            guard case .record(let record, let xml) = item else { return }
            let stored = try #require(try store.record(pmid: record.pmid, version: record.version))
            #expect(stored.xml == xml, "PMID \(record.pmid)")
            checked += 1
        }
        #expect(checked == 756)
        // The stream is NCBI's own: the chunks hold about the file's compressed size, not more.
        let stored = try DatabaseQueue(path: store.path).read { db in
            try Int.fetchOne(db, sql: "SELECT sum(length(data)) FROM xmlChunk") ?? 0
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(stored < size + size / 50 && stored > size - size / 50)
    }

    @Test func aBlockIsKeptWhileARowUsesItAndDeletedAfter() throws {
        let store = try Self.store()
        let capacity = RecordBlock.capacity
        try Self.apply(store, "f1", (1...capacity + 2).map { Self.rec($0) })
        #expect(try Self.blockReferences(store).map(\.rows) == [capacity, 2])
        // A later copy of every record of the first block, and the same version twice in one file.
        try Self.apply(store, "f2", (1...capacity).map { Self.rec($0, 1, title: "New") } + [Self.rec(1, 1, title: "Newer")])
        #expect(try Self.blockReferences(store).map(\.rows) == [2, capacity - 1, 1])
        try Self.apply(store, "f3", [.deletion(pmid: capacity + 1, version: 1), .deletion(pmid: capacity + 2, version: 1)])
        let references = try Self.blockReferences(store)
        #expect(references.map(\.rows) == [capacity - 1, 1])
        #expect(references.allSatisfy { $0.live == $0.rows })
        #expect(try store.record(pmid: 1, version: nil)?.record.title == "Newer")
        #expect(try store.record(pmid: 2, version: nil)?.record.title == "New")
    }

    /// A block whose every row goes is deleted, and its id is never given to another block: the
    /// writer keeps the last block it read, so a reused id would hand it the old block's bytes.
    @Test func aDeletedBlocksIdIsNotReused() throws {
        let capacity = RecordBlock.capacity
        let first = (1...capacity).map { Self.rec($0, 1, title: "Old \($0)") }
        let gone = (1...capacity).map { ArticleFileItem.deletion(pmid: $0, version: 1) }
        let next = (101...100 + capacity).map { Self.rec($0, 1, title: "Middle \($0)") }
        let again = (101...100 + capacity).map { Self.rec($0, 1, title: "Final \($0)") }
        let changed = try Self.store()
        try Self.apply(changed, "f1", first + gone + next + again)
        let fresh = try Self.store()
        try Self.apply(fresh, "f1", again)
        #expect(try Self.searchTokens(changed) == (try Self.searchTokens(fresh)))
        #expect(try changed.search("middle OR old", limit: 10).isEmpty)
    }

    /// An index as an earlier release wrote it, reduced to what identifies it: version 1 kept two
    /// blobs a row, version 2 one.
    static func makeEarlierFormatIndex(at path: String, version: Int = 1) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let migration = version == 1 ? "v1: articles, search, files, deletions" : "v2: articles (one blob), contentless search, files, deletions"
        let columns = version == 1 ? "record BLOB, xml BLOB" : "record BLOB"
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('\(migration)');
                CREATE TABLE article (id INTEGER PRIMARY KEY, \(columns));
                """)
        }
    }

    @Test(arguments: [1, 2]) func anIndexInAnEarlierFormatIsRefusedWithTheWayOut(version: Int) throws {
        let path = try TestPaths.temporaryDirectory("store-v\(version)").appendingPathComponent("index.sqlite").path
        try Self.makeEarlierFormatIndex(at: path, version: version)
        for readOnly in [false, true] {
            let error = try #require(throws: IndexError.self) { _ = try SQLiteRecordStore(path: path, readOnly: readOnly) }
            #expect(error.description.contains(path) && error.advice == [.rebuildIndex], "\(error)")
        }
    }
}
