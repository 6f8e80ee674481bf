import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedPostgreSQL
@testable import PubMedQuery
@testable import PubMedRecords
@testable import PubMedSupport

/// Every real file in `../shared/data/pubmed`, every sample cycle in order, applied to the SQLite
/// store and to the PostgreSQL store: the same counts file by file, byte-identical exports (all
/// current records, and every change since the start), every version of every PMID shown the same
/// (JSON and the original XML), and the same hits for every query of Tests/Oracle/queries.tsv in
/// every order.
@Suite(.heavyweight) struct StoreEquivalenceTests {
    /// The files in the order a long-lived mirror would have met them, and two it must refuse.
    static let files: [String] = RecordTestData.samples.map(\.path) + [
        "ncbi-full/pubmed20n0014.xml.gz", "legacy-medline16/medline16n0902.xml.gz",
        "efetch-samples/biopython_pubmed1.xml", "efetch-samples/biopython_pubmed2.xml", RecordTestData.book,
        RecordTestData.truncated,
    ]

    @Test func bothStoresGiveTheSameAnswers() async throws {
        let sqlite = try await StoreKind.sqlite.make()
        let postgresql = try await StoreKind.postgresql.make()
        for (number, path) in Self.files.enumerated() {
            let url = TestPaths.sharedData.appendingPathComponent(path)
            let identity = FileIdentity(name: url.lastPathComponent, folder: "local", cycle: nil, number: number, md5: "")
            let results = [sqlite, postgresql].map { store in Result { () throws(IndexError) in try store.apply(identity, contentsOf: url) } }
            switch (results[0], results[1]) {
            case (.success(var left), .success(var right)):
                left.seconds = 0; right.seconds = 0
                right.appliedAt = left.appliedAt
                #expect(left == right, "\(path)")
            case (.failure(let left), .failure(let right)):
                #expect(left.code == right.code, "\(path): \(left) / \(right)")
            default:
                Issue.record("\(path): one store applied it and the other did not: \(results)")
            }
            // File by file: the PostgreSQL store keeps its counts in meta, changed by each file.
            let counts = (try sqlite.counts(), try postgresql.counts())
            #expect(counts.0.current == counts.1.current && counts.0.versions == counts.1.versions, "\(path): \(counts)")
            #expect(counts.0.highWaterMark == counts.1.highWaterMark && counts.0.files == counts.1.files, "\(path)")
        }
        #expect(try sqlite.appliedFiles().map(\.name) == (try postgresql.appliedFiles().map(\.name)))

        // Exports, byte for byte.
        for since in [nil, Int64(0), Int64(100)] as [Int64?] {
            let (left, leftMark) = try Self.export(sqlite, since: since)
            let (right, rightMark) = try Self.export(postgresql, since: since)
            #expect(leftMark == rightMark)
            #expect(left.count == right.count, "since \(String(describing: since))")
            // The first line that differs, not two whole exports, in the message.
            let difference = zip(left, right).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(difference == nil, "since \(String(describing: since)): line \(difference?.offset ?? 0) differs:\n\(difference.map { "\($0.element.0.prefix(300))\n\($0.element.1.prefix(300))" } ?? "")")
        }

        // Every PMID's current record (JSON and the original XML) read in one go, as `show` of
        // several PMIDs does, then every older version of the PMIDs that have several.
        var everyPMID = Set<Int>()
        _ = try sqlite.export(since: 0) { item in
            switch item {
            case .record(_, let pmid, _), .deletion(let pmid, _): everyPMID.insert(pmid)
            }
        }
        #expect(everyPMID.count > 1000)
        let pmids = everyPMID.sorted()
        let left = try sqlite.records(pmids, withXML: true), right = try postgresql.records(pmids, withXML: true)
        var older: [(Int, Int)] = []
        for (index, pmid) in pmids.enumerated() {
            let same = left[index]?.json == right[index]?.json && left[index]?.xml == right[index]?.xml
                && left[index]?.versions == right[index]?.versions && (left[index] == nil) == (right[index] == nil)
            #expect(same, "PMID \(pmid)")
            for version in left[index]?.versions.dropLast() ?? [] { older.append((pmid, version)) }
        }
        for (pmid, version) in older {
            let a = try #require(try sqlite.record(pmid: pmid, version: version))
            let b = try #require(try postgresql.record(pmid: pmid, version: version))
            let same = a.json == b.json && a.xml == b.xml && a.isCurrent == b.isCurrent
            #expect(same, "PMID \(pmid) version \(version)")
        }

        // The same hits for every strategy, in every order that is not a ranking.
        let queries = try PubMedQueryOracleTests.queries(PubMedQueryOracleTests.oracleFolder.appendingPathComponent("queries.tsv"))
        var nonEmpty = 0
        for (id, text) in queries {
            guard let query = try? PubMedQuery(parsing: text) else { continue }
            for sort in SearchSort.allCases {
                let request = SearchRequest(query: query, sort: sort, limit: 1_000_000)
                let left = try sqlite.search(request, withJSON: false).hits.map(\.pmid)
                let right = try postgresql.search(request, withJSON: false).hits.map(\.pmid)
                let sameSet = Set(left) == Set(right)
                #expect(sameSet, "\(id) (\(sort)): \(text): only SQLite \(Set(left).subtracting(right).sorted().prefix(5)), only PostgreSQL \(Set(right).subtracting(left).sorted().prefix(5))")
                let sameOrder = left == right
                if [.pmid, .pubDate].contains(sort) { #expect(sameOrder, "\(id): \(sort) order") }
                if sort == .relevance, !left.isEmpty { nonEmpty += 1 }
            }
            #expect(try sqlite.count(query, mesh: nil) == (try postgresql.count(query, mesh: nil)), "\(id): count")
        }
        #expect(nonEmpty >= queries.count / 2)
    }

    /// The export's lines, as text.
    static func export(_ store: any RecordStore, since: Int64?) throws -> ([String], Int64) {
        var lines: [String] = []
        let mark = try store.export(since: since) { item in lines.append(String(decoding: item.jsonLine, as: UTF8.self)) }
        return (lines, mark)
    }
}
