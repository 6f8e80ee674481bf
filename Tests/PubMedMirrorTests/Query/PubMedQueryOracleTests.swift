import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedMirror
@testable import PubMedQuery

/// Real PubMed search strategies (Tests/Oracle/queries.tsv: NLM's examples and published review
/// strategies, adapted to the terms in the real files) run over an index of real files, each
/// compared with the PMIDs an independent oracle computes from the same XML
/// (Tests/Oracle/pubmed_query_oracle.py: Python's ElementTree and set operations, sharing nothing
/// with the project's parser or index), on each store. A query the oracle finds invalid must be refused too.
@Suite(.heavyweight) struct PubMedQueryOracleTests {
    static let files = [
        "pmparser-samples/2020-larger/baseline/pubmed20n1015.xml.gz",
        "pmparser-samples/2020-larger/updatefiles/pubmed20n1016.xml.gz",
        "ncbi-full/pubmed20n0014.xml.gz",
        "pmparser-samples/2026/baseline/pubmed26n1334.xml.gz",
        "pmparser-samples/2026/updatefiles/pubmed26n1335.xml.gz",
    ].map { TestPaths.sharedData.appendingPathComponent($0) }

    static let oracleFolder = TestPaths.repositoryRoot.appendingPathComponent("Tests/Oracle")

    /// id → the oracle's PMIDs, or nil where it found the query invalid.
    static func oracle(_ queries: URL) async throws -> [String: [Int]?] {
        let script = oracleFolder.appendingPathComponent("pubmed_query_oracle.py").path
        let cache = try TestPaths.temporaryDirectory("oracle-cache").path
        let run = try await ChildProcess.run("/usr/bin/python3", [script, "--cache-dir", cache, "--query-file", queries.path] + files.map(\.path))
        try #require(run.status == 0, "the oracle failed: \(run.stderr)")
        var answers: [String: [Int]?] = [:]
        for line in run.stdout.split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require(object["id"] as? String)
            answers[id] = object["error"] == nil ? try #require(object["pmids"] as? [Int]) : .some(nil)
        }
        return answers
    }

    /// id → query, from the table.
    static func queries(_ url: URL) throws -> [(id: String, query: String)] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let tab = line.firstIndex(of: "\t") else { return nil }
            return (String(line[..<tab]), String(line[line.index(after: tab)...]))
        }
    }

    @Test(arguments: StoreKind.allCases) func everyStrategyFindsWhatTheRecordsSay(kind: StoreKind) async throws {
        let table = Self.oracleFolder.appendingPathComponent("queries.tsv")
        let queries = try Self.queries(table)
        #expect(queries.count >= 40)
        let expected = try await Self.oracle(table)

        let store = try await kind.make()
        for (number, url) in Self.files.enumerated() {
            let name = url.lastPathComponent
            _ = try store.apply(FileIdentity(name: name, folder: "local", cycle: nil, number: number, md5: ""), contentsOf: url)
        }
        var nonEmpty = 0
        for (id, query) in queries {
            let answer = try #require(expected[id], "the oracle gave no answer for \(id)")
            guard let pmids = answer else {
                #expect(throws: QueryError.self, "\(id): \(query) is invalid for the oracle") { try PubMedQuery(parsing: query) }
                continue
            }
            let parsed = try PubMedQuery(parsing: query)
            let hits = try store.search(SearchRequest(query: parsed, sort: .pmid, limit: 1_000_000), withJSON: false).hits
            let found = Set(hits.map(\.pmid)), wanted = Set(pmids)
            let same = found == wanted
            #expect(same, """
                \(id): \(query)
                  as understood: \(parsed.translation)
                  found \(found.count), the oracle \(wanted.count); only here: \(found.subtracting(wanted).sorted().prefix(8)), \
                only the oracle's: \(wanted.subtracting(found).sorted().prefix(8))
                """)
            let count = try store.count(parsed, mesh: nil)
            #expect(count == pmids.count, "\(id): count")
            if !pmids.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty >= queries.count * 3 / 4, "most strategies find something")
    }
}
