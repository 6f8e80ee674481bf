import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedPostgreSQL
@testable import PubMedSupport

/// The mirror's state in the shared database, through the command line: with `--database` the
/// file ledger and the fetch runs are kept in the server, not in `state.sqlite`, so another
/// machine's `status` tells them and the next fetch plans against them; `verify` marks damage
/// there; a folder that already has a `state.sqlite` moves it in once and downloads nothing again;
/// a second writer is refused while one holds the ledger.
@Suite(.heavyweight) struct SharedStateTests {
    static let source = "file://\(SharedStoreTests.samples.path)/"

    /// The ledger as SQL users see it.
    static func ledger(_ server: PostgreSQLServer, _ database: String) throws -> [String: String] {
        let result = try server.superuser(database: database).execute("SELECT folder || '/' || name, status || ' ' || coalesce(md5, '-') FROM pubmed_mirror.mirrored_file")
        return Dictionary(uniqueKeysWithValues: (0..<result.count).map { (result.string($0, 0) ?? "", result.string($0, 1) ?? "") })
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func theLedgerLivesInTheDatabaseAndEveryMachineSeesIt() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let mirror = try TestPaths.temporaryDirectory("ledger-writer")
        let fetched = try await CLI.run(["fetch", "--source", Self.source, "--mirror", mirror.path, "--database", url.text, "--format", "json"])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(!FileManager.default.fileExists(atPath: mirror.appendingPathComponent("state.sqlite").path), "no state in the folder")
        let md5 = try String(contentsOf: mirror.appendingPathComponent("baseline/pubmed26n1334.xml.gz.md5"), encoding: .utf8)
        let ledger = try Self.ledger(server, name)
        #expect(ledger.count == 2 && ledger["baseline/pubmed26n1334.xml.gz"].map { md5.contains($0.dropFirst("mirrored ".count)) } == true, "\(ledger)")

        // Another machine, no folder: the files and the run, from the server.
        let nowhere = try TestPaths.temporaryDirectory("ledger-reader").appendingPathComponent("none").path
        let status = try Self.json(try await CLI.run(["status", "--mirror", nowhere, "--database", url.text, "--format", "json"]).stdout)
        #expect(status["exists"] as? Bool == true && status["files"] as? Int == 2 && status["state"] as? String == url.text, "\(status)")
        #expect((status["lastFetch"] as? [String: Any])?["outcome"] as? String == "updated")
        let text = try await CLI.run(["status", "--mirror", nowhere, "--database", url.text])
        #expect(text.stdout.contains("2 files") && text.stdout.contains("ledger in \(url.text)") && text.stdout.contains("Last fetch: updated"), "\(text.stdout)")

        // The next fetch plans against the server's ledger: nothing to do.
        let again = try Self.json(try await CLI.run(["fetch", "--source", Self.source, "--mirror", mirror.path, "--database", url.text, "--format", "json"]).stdout)
        #expect(again["outcome"] as? String == "up-to-date" && (again["downloaded"] as? [Any])?.isEmpty == true, "\(again)")

        // Verify on another machine's folder would mark every file missing for this one: refused, exit 8.
        let elsewhere = try TestPaths.temporaryDirectory("ledger-verify-elsewhere")
        let wrongFolder = try await CLI.run(["verify", "--mirror", elsewhere.path, "--database", url.text])
        #expect(wrongFolder.status == 8 && wrongFolder.stderr.contains("holds none of the files") && wrongFolder.stderr.contains("machine that fetches"),
                "\(wrongFolder.status): \(wrongFolder.stderr)")
        #expect(try Self.ledger(server, name).values.allSatisfy { $0.hasPrefix("mirrored") })

        // Damage found by verify is recorded there, and the next fetch downloads that file again.
        let damaged = mirror.appendingPathComponent("updatefiles/pubmed26n1335.xml.gz")
        var bytes = try Data(contentsOf: damaged)
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: damaged)
        let verified = try await CLI.run(["verify", "--mirror", mirror.path, "--database", url.text])
        #expect(verified.status == 6, "\(verified.status): \(verified.stdout) \(verified.stderr)")
        #expect(try Self.ledger(server, name)["updatefiles/pubmed26n1335.xml.gz"]?.hasPrefix("damaged") == true)
        let repaired = try Self.json(try await CLI.run(["fetch", "--source", Self.source, "--mirror", mirror.path, "--database", url.text, "--format", "json"]).stdout)
        #expect((repaired["downloaded"] as? [[String: Any]])?.map { $0["reason"] as? String } == ["damaged"], "\(repaired)")
        #expect(try Self.ledger(server, name)["updatefiles/pubmed26n1335.xml.gz"]?.hasPrefix("mirrored") == true)
        let runs = try server.superuser(database: name).execute("SELECT outcome FROM pubmed_mirror.fetch_run ORDER BY id")
        #expect((0..<runs.count).map { runs.string($0, 0) } == ["updated", "up-to-date", "updated"])

        // Publishing records what the target holds in the server too, and `status` anywhere tells it.
        let target = try TestPaths.temporaryDirectory("ledger-target")
        let published = try await CLI.run(["publish", "--target", target.absoluteString, "--mirror", mirror.path, "--database", url.text, "--quiet"])
        #expect(published.status == 0, "\(published.stderr)")
        let targets = try Self.json(try await CLI.run(["status", "--mirror", nowhere, "--database", url.text, "--format", "json"]).stdout)["published"] as? [[String: Any]]
        #expect(targets?.count == 1 && targets?.first?["files"] as? Int == 2 && targets?.first?["lastRun"] as? String == "updated", "\(targets ?? [])")

        // A new folder planned against the shared ledger: its downloads, and no room for an index
        // on this disk (the index grows on the server).
        let planned = try Self.json(try await CLI.run(["fetch", "--dry-run", "--source", Self.source, "--mirror", try TestPaths.temporaryDirectory("ledger-plan").path,
                                                       "--database", url.text, "--format", "json"]).stdout)
        let plan = try #require(planned["plan"] as? [String: Any])
        #expect(plan["toDownload"] as? Int == 2 && planned["bytesNeeded"] as? Int == plan["bytesToDownload"] as? Int, "\(planned)")

        // A second machine while this one holds the ledger: refused, exit 3, its folder untouched.
        let holder = try PostgreSQLStateStore(writingTo: url)
        let other = try TestPaths.temporaryDirectory("ledger-second")
        let second = try await CLI.run(["fetch", "--source", Self.source, "--mirror", other.path, "--database", url.text])
        #expect(second.status == 3 && second.stderr.contains("another pubmed-mirror is writing"), "\(second.status): \(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: other.appendingPathComponent("baseline").path))
        withExtendedLifetime(holder) {}
    }

    @Test func aFolderThatKeptItsStateLocallyMovesItInOnceAndDownloadsNothingAgain() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let mirror = try TestPaths.temporaryDirectory("ledger-adopt")
        #expect(try await CLI.run(["fetch", "--source", Self.source, "--mirror", mirror.path, "--quiet"]).status == 0)
        let moved = try await CLI.run(["fetch", "--source", Self.source, "--mirror", mirror.path, "--database", url.text, "--format", "json", "--verbose"])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stderr.contains("copied the state of"), "\(moved.stderr)")
        let report = try Self.json(moved.stdout)
        #expect(report["outcome"] as? String == "updated" && (report["downloaded"] as? [Any])?.isEmpty == true, "the files were not fetched again: \(report)")
        #expect((report["index"] as? [String: Any])?["currentRecords"] as? Int == 60, "the shared index was built from the files in place")
        #expect(try Self.ledger(server, name).values.allSatisfy { $0.hasPrefix("mirrored") })
        let runs = try server.superuser(database: name).execute("SELECT id, outcome FROM pubmed_mirror.fetch_run ORDER BY id")
        #expect((0..<runs.count).map { "\(runs.string($0, 0) ?? "") \(runs.string($0, 1) ?? "")" } == ["1 updated", "2 updated"])
    }
}
