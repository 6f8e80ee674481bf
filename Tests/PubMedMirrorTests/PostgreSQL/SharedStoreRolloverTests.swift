import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedIndex
@testable import PubMedMirror
@testable import PubMedPostgreSQL
@testable import PubMedSupport

/// The annual rollover and `index --rebuild` in the shared store: the new index is built in a
/// schema beside the live one, which keeps answering (its views too) until the new one is complete;
/// then one transaction makes it live and drops the old schema.
@Suite(.heavyweight) struct SharedStoreRolloverTests {
    static func liveSchemas(_ server: PostgreSQLServer, _ database: String) throws -> [String] {
        let result = try server.superuser(database: database).execute("SELECT name || CASE WHEN live THEN ':t' ELSE ':f' END FROM pubmed_mirror.index_schema ORDER BY name")
        return (0..<result.count).compactMap { result.string($0, 0) }
    }

    @Test func aNewCycleIsBuiltBesideTheLiveSchemaThenSwitchedAndARebuildLikewise() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let tree = try TestPaths.temporaryDirectory("served-pg-rollover").appendingPathComponent("pubmed")
        try RolloverTests.serve(2025, in: tree)
        let root = try TestPaths.temporaryDirectory("mirror-pg-rollover")
        let mirror = Mirror(root: root, database: url)
        var options = try MirrorTest.options(tree)
        options.index = true
        #expect(try await mirror.fetch(options).outcome == .updated)
        let old = try RolloverTests.pmids(mirror)
        let oldMark = try mirror.openIndex().export(since: nil) { _ in }
        #expect(try Self.liveSchemas(server, name) == ["pubmed_1:t"])

        // The new cycle, its second baseline file not yet verifiable: built beside, not switched.
        let (first, newBaseline, md5) = try RolloverTests.serveNewCycleHalfPublished(in: tree)
        let partway = try await mirror.fetch(options)
        #expect(partway.outcome == .partial)
        #expect(partway.index?.rollover?.filesIndexed == 1 && partway.index?.rollover?.switched == false)
        #expect(try Self.liveSchemas(server, name) == ["pubmed_1:t", "pubmed_c26:f"])
        #expect(try RolloverTests.pmids(mirror) == old, "the old index still answers")
        let viewCount = try server.superuser(database: name).execute("SELECT count(*) FROM pubmed.article WHERE is_current").int(0, 0)
        #expect(viewCount == old.count, "the views still show the old index")
        #expect(try mirror.status().rollover?.toCycle == 26)

        // A SQL user's view over the fixed names, and a reader inside the old schema holding its
        // transaction open through the switch.
        try server.superuser(database: name).execute("CREATE VIEW public.mine AS SELECT pmid FROM pubmed.article WHERE is_current")
        let reader = try server.superuser(database: name)
        try reader.execute("BEGIN")
        #expect(try reader.execute("SELECT count(*) FROM pubmed_1.article").int(0, 0) == old.count)

        try md5.write(to: newBaseline)
        let done = try await mirror.fetch(options)
        #expect(done.outcome == .updated && done.index?.rollover?.switched == true)
        // Switched without waiting on the reader; the old schema stays while it is held, and the
        // user's view now shows the new index.
        #expect(try Self.liveSchemas(server, name) == ["pubmed_1:f", "pubmed_c26:t"], "switched, the old schema held by its reader")
        #expect(try reader.execute("SELECT count(*) FROM pubmed_1.article").int(0, 0) == old.count, "the reader's snapshot is intact")
        try reader.execute("COMMIT")
        _ = try await mirror.fetch(options)
        #expect(try Self.liveSchemas(server, name) == ["pubmed_c26:t"], "dropped by the next run, once free")
        let files2026 = [first] + ["baseline/pubmed26n1334.xml.gz", "updatefiles/pubmed26n1335.xml.gz"].map {
            RolloverTests.samples.appendingPathComponent("2026/\($0)")
        }
        let expected = try IndexIntegrationTests.expectedCurrent(after: files2026)
        #expect(try IndexIntegrationTests.current(in: mirror) == expected)
        let views = try server.superuser(database: name).execute("SELECT count(*) FROM pubmed.article WHERE is_current").int(0, 0)
        #expect(views == expected.count, "the views show the new index")
        #expect(try server.superuser(database: name).execute("SELECT count(*) FROM public.mine").int(0, 0) == expected.count)
        let newMark = try mirror.openIndex().export(since: nil) { _ in }
        #expect(newMark > oldMark + 1, "the new index numbers its changes after the old one's")
        #expect(throws: IndexError.self) { _ = try mirror.openIndex().export(since: oldMark) { _ in } }

        // A rebuild: a new schema from the mirrored files, switched to, the same records.
        var rebuild = IndexOptions()
        rebuild.rebuild = true
        let rebuilt = try await mirror.index(rebuild)
        #expect(rebuilt.failures.isEmpty)
        let schemas = try Self.liveSchemas(server, name)
        #expect(schemas.count == 1 && schemas[0].hasPrefix("pubmed_r") && schemas[0].hasSuffix(":t"), "\(schemas)")
        #expect(try IndexIntegrationTests.current(in: mirror) == expected)
        let rebuiltMark = try mirror.openIndex().export(since: nil) { _ in }
        #expect(rebuiltMark > newMark + 1, "a rebuild numbers after the index it replaces too")
        do {
            _ = try mirror.openIndex().export(since: newMark) { _ in }
            Issue.record("the replaced index's mark was taken")
        } catch let error as IndexError {
            #expect(error.code == .sinceEarlierIndex)
        }
    }
}
