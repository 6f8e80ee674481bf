import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// The built `pubmed-mirror` binary, run as a user or cron would: stdout, stderr, exit codes.
@Suite(.heavyweight) struct CLITests {
    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }

    static func servedFileTree(_ label: String, cycles: [Int] = [2026]) throws -> URL {
        try ServedTree.make(cycles: cycles, at: try TestPaths.temporaryDirectory("served-\(label)"))
    }

    @Test func fetchPrintsJSONAndASecondRunIsUpToDate() async throws {
        let tree = try Self.servedFileTree("cli-json")
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-json").path
        let first = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror, "--format", "json", "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try Self.json(first.stdout)
        #expect(report["outcome"] as? String == "updated")
        #expect((report["downloaded"] as? [Any])?.count == 2)
        #expect((report["failed"] as? [Any])?.isEmpty == true)

        let second = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror, "--format", "json", "--quiet"])
        #expect(second.status == 0)
        #expect(try Self.json(second.stdout)["outcome"] as? String == "up-to-date")

        let status = try await CLI.run(["status", "--mirror", mirror, "--format", "json"])
        #expect(status.status == 0)
        let summary = try Self.json(status.stdout)
        #expect(summary["files"] as? Int == 2)
        #expect((summary["pending"] as? [Any])?.isEmpty == true)
        #expect((summary["lastFetch"] as? [String: Any])?["outcome"] as? String == "up-to-date")

        let text = try await CLI.run(["status", "--mirror", mirror])
        #expect(text.stdout.contains("baseline/: 1 mirrored"))
    }

    @Test func theEnvironmentSuppliesSourceAndMirror() async throws {
        let tree = try Self.servedFileTree("cli-env", cycles: [2026])
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-env").path
        let result = try await CLI.run(["fetch", "--quiet"], environment: ["PUBMED_MIRROR_SOURCE": tree.absoluteString, "PUBMED_MIRROR_DIR": mirror])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: mirror + "/baseline/pubmed26n1334.xml.gz"))
        #expect(FileManager.default.fileExists(atPath: mirror + "/state.sqlite"))
    }

    @Test(arguments: [
        (["fetch", "--jobs", "0"], [String: String](), "--jobs"),
        (["fetch", "--source", "gopher://host/pubmed/"], [:], "gopher"),
        (["fetch", "--source", "ftp://me:pw@host/pubmed/"], [:], "PUBMED_MIRROR_PASSWORD"),
        (["fetch"], ["PUBMED_MIRROR_STALL_TIMEOUT": "soon"], "--stall-timeout"),
        (["fetch", "--quiet", "--verbose"], [:], "--quiet"),
        (["fetch", "--ca-file", "/nonexistent/ca.pem"], [:], "/nonexistent/ca.pem"),
    ])
    func usageErrorsExit64WithAMessage(arguments: [String], environment: [String: String], mentions: String) async throws {
        let mirror = try TestPaths.temporaryDirectory("mirror-usage").path
        let result = try await CLI.run(arguments + ["--mirror", mirror], environment: environment)
        #expect(result.status == 64)
        #expect(result.stderr.contains(mentions), "\(result.stderr)")
        #expect(!result.stderr.contains("pw@"))
    }

    /// A first sync stopped part way: the files listed and not reached are pending, "not
    /// downloaded yet", the first 20 named and the rest counted (all of them in JSON).
    @Test func statusNamesTheFirstPendingFilesAndCountsTheRest() async throws {
        let mirror = try TestPaths.temporaryDirectory("mirror-pending")
        let state = try SQLiteStateStore(path: MirrorLayout(root: mirror).stateDatabase.path)
        try state.save((1...25).map { MirroredFile(folder: .baseline, file: PubMedFileName(cycle: 26, number: $0), status: .missing) })
        let text = try await CLI.run(["status", "--mirror", mirror.path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("Pending: 25 files\n  baseline/pubmed26n0001.xml.gz (not downloaded yet)\n"), "\(text.stdout)")
        #expect(text.stdout.contains("baseline/pubmed26n0020.xml.gz") && !text.stdout.contains("baseline/pubmed26n0021.xml.gz"))
        #expect(text.stdout.contains("  … and 5 more (all of them: status --format json)"))
        let json = try await CLI.run(["status", "--mirror", mirror.path, "--format", "json"])
        #expect(json.stdout.components(separatedBy: "pubmed26n00").count - 1 >= 25)
    }

    @Test func aSecondWriterIsRefusedWithExitCode3() async throws {
        let tree = try Self.servedFileTree("cli-lock", cycles: [2026])
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-lock")
        let lock = try FileLock(path: mirror.appendingPathComponent(".pubmed-mirror.lock").path)
        let result = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror.path])
        #expect(result.status == 3)
        #expect(result.stderr.contains("locked by another pubmed-mirror run"))
        #expect(result.stderr.contains("pid \(getpid())"))
        withExtendedLifetime(lock) {}
    }

    @Test func verifyFindsADamagedFileAndTheNextFetchRepairsIt() async throws {
        let tree = try Self.servedFileTree("cli-verify", cycles: [2026])
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-verify")
        #expect(try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror.path, "--quiet"]).status == 0)
        #expect(try await CLI.run(["verify", "--mirror", mirror.path, "--quiet"]).status == 0)

        let file = mirror.appendingPathComponent("baseline/pubmed26n1334.xml.gz")
        var bytes = try Data(contentsOf: file)
        bytes[100] ^= 0x01
        try bytes.write(to: file)

        let verify = try await CLI.run(["verify", "--mirror", mirror.path, "--quiet"])
        #expect(verify.status == 6)
        #expect(verify.stdout.contains("DAMAGED baseline/pubmed26n1334.xml.gz"))
        let status = try Self.json(try await CLI.run(["status", "--mirror", mirror.path, "--format", "json"]).stdout)
        #expect((status["pending"] as? [[String: Any]])?.first?["status"] as? String == "damaged")

        let repair = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror.path, "--quiet", "--format", "json"])
        #expect(repair.status == 0)
        let downloaded = try #require(try Self.json(repair.stdout)["downloaded"] as? [[String: Any]])
        #expect(downloaded.map { $0["reason"] as? String } == ["damaged"])
        #expect(try await CLI.run(["verify", "--mirror", mirror.path, "--quiet"]).status == 0)
        try MirrorTest.expectIdentical(served: tree, mirror: mirror)
    }

    @Test func healthExitsZeroWhenHealthyAnd5WhenNot() async throws {
        let tree = try Self.servedFileTree("cli-health", cycles: [2026])
        let good = try await CLI.run(["health", "--source", tree.absoluteString, "--format", "json"])
        #expect(good.status == 0)
        let report = try Self.json(good.stdout)
        #expect(report["healthy"] as? Bool == true)
        #expect((report["checks"] as? [[String: Any]])?.map { $0["files"] as? Int } == [1, 1])

        let bad = try await CLI.run(["health", "--source", "http://127.0.0.1:1/pubmed/", "--connect-timeout", "2"])
        #expect(bad.status == 5)
        #expect(bad.stdout.contains("UNHEALTHY"))
    }

    @Test func anUntrustedCertificateExitsWith4AndSaysWhatToDo() async throws {
        let root = try TestPaths.temporaryDirectory("served-cli-tls")
        _ = try ServedTree.make(cycles: [2026], at: root)
        let server = try await LoopbackServer.apache(root: root, tls: true)
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-tls").path
        let refused = try await CLI.run(["fetch", "--source", server.baseURL.absoluteString, "--mirror", mirror])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("--ca-file"))
        let trusted = try await CLI.run(["fetch", "--source", server.baseURL.absoluteString, "--mirror", mirror, "--quiet",
                                   "--ca-file", try #require(server.caFile).path])
        #expect(trusted.status == 0, "\(trusted.stderr)")
    }

    @Test func credentialsNeverAppearInOutputLogsOrStatus() async throws {
        let marker = "s3cret-\(UUID().uuidString.prefix(8))"
        let root = try TestPaths.temporaryDirectory("served-cli-creds")
        _ = try ServedTree.make(cycles: [2026], at: root)
        // An account whose password is the marker: a fetch that lists the files proves it was sent.
        let server = try await LoopbackServer.faultyFTP(root: root, arguments: ["--writer", "reader:\(marker)"])
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-creds").path
        let environment = ["PUBMED_MIRROR_USER": "reader", "PUBMED_MIRROR_PASSWORD": marker]
        let ok = try await CLI.run(["fetch", "--source", server.baseURL.absoluteString, "--mirror", mirror, "--verbose", "--format", "json"],
                             environment: environment)
        #expect(ok.status == 0, "\(ok.stderr)")
        // A failing run prints errors: still no password.
        let failing = try await CLI.run(["fetch", "--source", "ftp://127.0.0.1:1/pubmed/", "--mirror", mirror, "--verbose",
                                   "--retries", "1", "--retry-base", "0.01"], environment: environment)
        #expect(failing.status == 5)
        let status = try await CLI.run(["status", "--mirror", mirror, "--format", "json"])
        for text in [ok.stdout, ok.stderr, failing.stdout, failing.stderr, status.stdout] {
            #expect(!text.contains(marker))
        }
        // The server did receive it (its log masks it): it was used, just never shown; a wrong one is refused.
        #expect(server.requestLog().contains("USER reader") && server.requestLog().contains("PASS ******"), "\(server.requestLog())")
        let wrong = try await CLI.run(["fetch", "--source", server.baseURL.absoluteString, "--mirror", mirror, "--quiet"],
                                      environment: ["PUBMED_MIRROR_USER": "reader", "PUBMED_MIRROR_PASSWORD": marker + "x"])
        #expect(wrong.status == 4, "\(wrong.stderr)")
    }

    /// A run killed with SIGKILL mid-download leaves its `.partial`; the next run resumes it.
    @Test func aRunKilledMidDownloadResumesInsteadOfStartingOver() async throws {
        let root = try TestPaths.temporaryDirectory("served-cli-kill")
        let tree = try ServedTree.larger(at: root)
        let slow = try await LoopbackServer.faultyFTP(root: root, arguments: ["--throttle", "200000"])
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-kill")
        let partial = mirror.appendingPathComponent("baseline/pubmed20n1015.xml.gz.partial")

        var seen = -1
        let killed = try await CLI.whileRunning(["fetch", "--source", slow.baseURL.absoluteString, "--mirror", mirror.path, "--jobs", "1", "--quiet"]) { (pid) async throws in
            seen = try await CLI.waitForFile(partial.path, atLeast: 200_001, while: pid)
            kill(pid, SIGKILL)
        }
        #expect(seen > 200_000, "the download got going before the kill")
        #expect(killed.signal == SIGKILL, "killed mid-download: \(killed.stderr)")
        let kept = try #require(try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int)
        #expect(kept > 0 && kept < 823_919)
        await slow.stop()

        let fast = try await LoopbackServer.faultyFTP(root: root, arguments: [])
        let rerun = try await CLI.run(["fetch", "--source", fast.baseURL.absoluteString, "--mirror", mirror.path, "--jobs", "1", "--quiet", "--format", "json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let downloads = try #require(try Self.json(rerun.stdout)["downloaded"] as? [[String: Any]])
        let resumed = try #require(downloads.first { $0["name"] as? String == "pubmed20n1015.xml.gz" })
        #expect(resumed["resumedFrom"] as? Int == kept)
        #expect(resumed["received"] as? Int == 823_919 - kept)
        #expect(fast.requestLog().contains("REST \(kept)"))
        try MirrorTest.expectIdentical(served: tree, mirror: mirror)
        let status = try Self.json(try await CLI.run(["status", "--mirror", mirror.path, "--format", "json"]).stdout)
        #expect(status["files"] as? Int == 2)
    }

    /// SIGINT (Ctrl-C) or SIGTERM (systemd, a cron wrapper's timeout) stops the run cleanly: exit
    /// 130, the partial kept, the run recorded as interrupted.
    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptStopsCleanlyAndKeepsThePartial(signal: Int32) async throws {
        let root = try TestPaths.temporaryDirectory("served-cli-int")
        _ = try ServedTree.larger(at: root)
        let slow = try await LoopbackServer.faultyFTP(root: root, arguments: ["--throttle", "200000"])
        let mirror = try TestPaths.temporaryDirectory("mirror-cli-int")
        let partial = mirror.appendingPathComponent("baseline/pubmed20n1015.xml.gz.partial")
        let interrupted = try await CLI.whileRunning(["fetch", "--source", slow.baseURL.absoluteString, "--mirror", mirror.path, "--jobs", "1", "--quiet"]) { (pid) async throws in
            #expect(try await CLI.waitForFile(partial.path, atLeast: 100_000, while: pid) > 0)
            kill(pid, signal)
        }
        #expect(interrupted.status == 130 && interrupted.signal == nil, "\(interrupted.stderr)")
        #expect(interrupted.stderr.contains("interrupted"))
        #expect(FileManager.default.fileExists(atPath: partial.path))
        #expect(!FileManager.default.fileExists(atPath: mirror.appendingPathComponent("baseline/pubmed20n1015.xml.gz").path))
        let status = try Self.json(try await CLI.run(["status", "--mirror", mirror.path, "--format", "json"]).stdout)
        #expect((status["lastFetch"] as? [String: Any])?["outcome"] as? String == "interrupted")
    }
}
