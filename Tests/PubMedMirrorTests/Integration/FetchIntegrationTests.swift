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

/// `fetch` against real servers on loopback: vsftpd (FTP, explicit FTPS), apache2 (HTTP, HTTPS),
/// file://, and the scriptable servers in Tests/Servers for faults.
@Suite(.heavyweight) struct FetchIntegrationTests {
    enum Transport: String, CaseIterable, Sendable {
        case file, ftp, ftps, http, https
    }

    /// A served tree and, unless it is file://, the server in front of it.
    struct Served {
        var tree: URL
        var server: LoopbackServer?
        var options: FetchOptions
    }

    static func serve(_ kind: Transport, cycles: [Int] = [2026], label: String) async throws -> Served {
        let root = try TestPaths.temporaryDirectory("served-\(label)")
        let tree = try ServedTree.make(cycles: cycles, at: root)
        let server: LoopbackServer?
        switch kind {
        case .file: server = nil
        case .ftp: server = try await LoopbackServer.vsftpd(root: root, tls: false)
        case .ftps: server = try await LoopbackServer.vsftpd(root: root, tls: true)
        case .http: server = try await LoopbackServer.apache(root: root, tls: false)
        case .https: server = try await LoopbackServer.apache(root: root, tls: true)
        }
        let options = try server.map { try MirrorTest.options($0) } ?? MirrorTest.options(tree)
        return Served(tree: tree, server: server, options: options)
    }

    @Test(arguments: Transport.allCases)
    func mirrorsByteForByteAndASecondRunDownloadsNothing(kind: Transport) async throws {
        let served = try await Self.serve(kind, label: "full-\(kind)")
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-\(kind)")
        let logs = CapturedLogs()
        let mirror = Mirror(root: mirrorRoot, logger: logs.logger)

        let first = try await mirror.fetch(served.options)
        #expect(first.outcome == .updated)
        #expect(first.downloads.count == 2)
        #expect(first.failures.isEmpty)
        try MirrorTest.expectIdentical(served: served.tree, mirror: mirrorRoot)

        let second = try await mirror.fetch(served.options)
        #expect(second.outcome == .upToDate)
        #expect(second.downloads.isEmpty)
        #expect(second.plan.count(.unchanged) == 2)
        // Two listings (plus, on vsftpd, the one MLSD it refuses before falling back to LIST).
        #expect(second.requests <= 3)
        try MirrorTest.expectIdentical(served: served.tree, mirror: mirrorRoot)

        let status = try mirror.status()
        #expect(status.files.totalFiles == 2)
        #expect(status.files.pending.isEmpty)
        #expect(status.files.lastRun?.outcome == .upToDate)
        _ = served.server
    }

    /// A transfer cut part way is resumed with a Range. Also when the body's end is the
    /// connection's (HTTP/1.0 without Content-Length, `--no-length`): libcurl then ends it "OK" with
    /// the bytes before the cut, and the download, short, was cut: its partial is kept and resumed
    /// (it was deleted and the file begun again).
    @Test(arguments: [[], ["--no-length"]])
    func httpTransferCutMidwayIsResumedWithARange(framing: [String]) async throws {
        let root = try TestPaths.temporaryDirectory("served-cut-http")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let apache = try await LoopbackServer.apache(root: root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: framing + ["--cut-at", "30000", "--times", "1", "--match", "*.xml.gz"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-cut-http")
        var options = try MirrorTest.options(proxy)
        options.jobs = 1

        let report = try await Mirror(root: mirrorRoot).fetch(options)
        #expect(report.outcome == .updated)
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
        let resumed = report.downloads.filter { $0.resumedFrom > 0 }
        #expect(resumed.count == 1, "one download was cut and resumed: \(report.downloads) \(proxy.requestLog())")
        if let download = resumed.first {
            #expect(download.resumedFrom == 30_000)
            #expect(download.received == download.size - download.resumedFrom)
            #expect(proxy.requestLog().contains("Range: bytes=\(download.resumedFrom)-"))
        }
    }

    /// Over HTTP only a 2xx is a success: a redirect libcurl cannot follow (no Location) ended "OK"
    /// with its page for a body (a `.md5` then read as a damaged one), and a resume answered 416
    /// without Content-Range ended "OK" with nothing, the partial then deleted for its size.
    @Test func anHTTPStatusThatIsNoSuccessIsNotTakenForOne() async throws {
        let root = try TestPaths.temporaryDirectory("served-statuses")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let apache = try await LoopbackServer.apache(root: root, tls: false)
        let redirect = try await LoopbackServer.faultProxy(upstream: apache, arguments: ["--status", "302", "--times", "100", "--method", "GET",
                                                                                         "--match", "*pubmed26n1335.xml.gz"])
        var options = try MirrorTest.options(redirect, retries: 1)
        options.jobs = 1
        let first = try await Mirror(root: try TestPaths.temporaryDirectory("mirror-302")).fetch(options)
        #expect(first.outcome == .partial)
        let failure = try #require(first.failures.first)
        #expect(failure.name == "pubmed26n1335.xml.gz")
        #expect(failure.code == .transferRefused, "\(failure)")
        #expect(failure.message.contains("HTTP 302"), "\(failure.message)")

        // A partial resumed, answered 416 without Content-Range: begun again within the attempt.
        let name = "pubmed26n1334.xml.gz"
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-416")
        try FileManager.default.createDirectory(at: mirrorRoot.appendingPathComponent("baseline"), withIntermediateDirectories: true)
        let original = try Data(contentsOf: tree.appendingPathComponent("baseline/\(name)"))
        try original.prefix(40_000).write(to: mirrorRoot.appendingPathComponent("baseline/\(name).partial"))
        let unsatisfiable = try await LoopbackServer.faultProxy(upstream: apache, arguments: ["--status", "416", "--times", "1", "--method", "GET", "--match", "*\(name)"])
        var again = try MirrorTest.options(unsatisfiable)
        again.jobs = 1
        let logs = CapturedLogs()
        let second = try await Mirror(root: mirrorRoot, logger: logs.logger).fetch(again)
        #expect(second.outcome == .updated, "\(second.failures) \(logs.text)")
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
        let download = try #require(second.downloads.first { $0.name == name })
        #expect(download.resumedFrom == 0 && download.received == Int64(original.count))
        #expect(!logs.text.contains("retry"), "begun again within the attempt, not failed for its size and retried: \(logs.text)")
        let log = unsatisfiable.requestLog()
        #expect(log.contains("GET /pubmed/baseline/\(name) HTTP/1.1 Range: bytes=40000-"), "\(log)")
    }

    @Test func ftpTransferCutMidwayIsResumedWithREST() async throws {
        let root = try TestPaths.temporaryDirectory("served-cut-ftp")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let server = try await LoopbackServer.faultyFTP(root: root, arguments: ["--cut-at", "40000", "--cut-times", "1", "--match", "*.xml.gz"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-cut-ftp")
        var options = try MirrorTest.options(server)
        options.jobs = 1

        let report = try await Mirror(root: mirrorRoot).fetch(options)
        #expect(report.outcome == .updated)
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
        let resumed = report.downloads.filter { $0.resumedFrom > 0 }
        #expect(resumed.count == 1)
        if let download = resumed.first {
            #expect(server.requestLog().contains("REST \(download.resumedFrom)"))
        }
    }

    @Test func aPartialFileLeftByAnEarlierRunIsResumedNotRestarted() async throws {
        let served = try await Self.serve(.http, cycles: [2026], label: "partial")
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-partial")
        let name = "pubmed26n1334.xml.gz"
        let original = try Data(contentsOf: served.tree.appendingPathComponent("baseline/\(name)"))
        try FileManager.default.createDirectory(at: mirrorRoot.appendingPathComponent("baseline"), withIntermediateDirectories: true)
        try original.prefix(50_000).write(to: mirrorRoot.appendingPathComponent("baseline/\(name).partial"))

        let report = try await Mirror(root: mirrorRoot).fetch(served.options)
        #expect(report.outcome == .updated)
        let download = try #require(report.downloads.first { $0.name == name })
        #expect(download.resumedFrom == 50_000)
        #expect(download.received == Int64(original.count) - 50_000)
        try MirrorTest.expectIdentical(served: served.tree, mirror: mirrorRoot)
        let log = try await MirrorTest.waitForLog(try #require(served.server), containing: "bytes=50000-")
        #expect(log.contains("bytes=50000-"))
    }

    @Test func aServerThatCannotResumeGetsTheWholeFileAgain() async throws {
        let root = try TestPaths.temporaryDirectory("served-no-rest")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let server = try await LoopbackServer.faultyFTP(root: root, arguments: ["--no-rest"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-no-rest")
        let name = "pubmed26n1334.xml.gz"
        let original = try Data(contentsOf: tree.appendingPathComponent("baseline/\(name)"))
        try FileManager.default.createDirectory(at: mirrorRoot.appendingPathComponent("baseline"), withIntermediateDirectories: true)
        try original.prefix(30_000).write(to: mirrorRoot.appendingPathComponent("baseline/\(name).partial"))

        let report = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(server))
        #expect(report.outcome == .updated)
        let download = try #require(report.downloads.first { $0.name == name })
        #expect(download.received == Int64(original.count), "started over")
        #expect(download.resumedFrom == 0)
        #expect(server.requestLog().contains("REST 30000"))
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
    }

    @Test func aPartialThatIsNotTheStartOfTheFileIsDiscardedByTheMD5Check() async throws {
        let served = try await Self.serve(.ftp, cycles: [2026], label: "bad-partial")
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-bad-partial")
        let name = "pubmed26n1334.xml.gz"
        try FileManager.default.createDirectory(at: mirrorRoot.appendingPathComponent("baseline"), withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 10_000).write(to: mirrorRoot.appendingPathComponent("baseline/\(name).partial"))

        let report = try await Mirror(root: mirrorRoot).fetch(served.options)
        #expect(report.outcome == .updated)
        try MirrorTest.expectIdentical(served: served.tree, mirror: mirrorRoot)
    }

    @Test func aCorruptedFileOnTheServerIsRefusedAndNeverUsed() async throws {
        let served = try await Self.serve(.http, cycles: [2026], label: "corrupt")
        let target = served.tree.appendingPathComponent("updatefiles/pubmed26n1335.xml.gz")
        var bytes = try Data(contentsOf: target)
        let good = bytes
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: target)
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-corrupt")
        let logs = CapturedLogs()
        let mirror = Mirror(root: mirrorRoot, logger: logs.logger)
        var options = served.options
        options.retry.retries = 1

        let report = try await mirror.fetch(options)
        #expect(report.outcome == .partial)
        let failure = try #require(report.failures.first)
        #expect(failure.name == "pubmed26n1335.xml.gz")
        #expect(failure.message.contains("pubmed26n1335.xml.gz"))
        #expect(failure.message.contains("does not match the published"))
        let folder = mirrorRoot.appendingPathComponent("updatefiles").path
        let left = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        #expect(!left.contains("pubmed26n1335.xml.gz"))
        #expect(!left.contains { $0.hasSuffix(".partial") })
        #expect(FileManager.default.fileExists(atPath: mirrorRoot.appendingPathComponent("baseline/pubmed26n1334.xml.gz").path))
        let status = try mirror.status()
        #expect(status.files.pending.map(\.name) == ["pubmed26n1335.xml.gz"])

        // The server is fixed: the next run fetches it.
        try good.write(to: target)
        let again = try await mirror.fetch(options)
        #expect(again.outcome == .updated)
        #expect(again.downloads.map(\.reason) == [.retry])
        try MirrorTest.expectIdentical(served: served.tree, mirror: mirrorRoot)
    }

    @Test func aRepublishedFileReplacesTheOldCopy() async throws {
        let served = try await Self.serve(.file, cycles: [2026], label: "republish")
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-republish")
        let mirror = Mirror(root: mirrorRoot)
        _ = try await mirror.fetch(served.options)

        // NCBI publishes the file again: other bytes, other size, new .md5.
        let source2025 = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2025/baseline/pubmed25n1274.xml.gz")
        let replacement = try Data(contentsOf: source2025)
        let target = served.tree.appendingPathComponent("baseline/pubmed26n1334.xml.gz")
        try replacement.write(to: target)
        try TestPaths.publishMD5(target)

        let report = try await mirror.fetch(served.options)
        #expect(report.downloads.map(\.reason) == [.republished])
        try MirrorTest.expectIdentical(served: served.tree, mirror: mirrorRoot)
    }

    @Test func aFileLeftOutOfOneListingIsMirroredAgainWhenListedAgain() async throws {
        let served = try await Self.serve(.file, cycles: [2026], label: "gone-back")
        // A second update file, so that the folder is not listed empty (refused as a broken server).
        let second = served.tree.appendingPathComponent("updatefiles/pubmed26n1336.xml.gz")
        try FileManager.default.copyItem(at: served.tree.appendingPathComponent("updatefiles/pubmed26n1335.xml.gz"), to: second)
        try TestPaths.publishMD5(second)
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-gone-back")
        let mirror = Mirror(root: mirrorRoot)
        var options = served.options
        options.index = false
        _ = try await mirror.fetch(options)
        // One listing leaves the update file out (a listing cut short, a file moved for a while).
        let aside = try TestPaths.temporaryDirectory("gone-aside")
        let names = ["pubmed26n1335.xml.gz", "pubmed26n1335.xml.gz.md5"]
        for name in names {
            try FileManager.default.moveItem(at: served.tree.appendingPathComponent("updatefiles/\(name)"), to: aside.appendingPathComponent(name))
        }
        let left = try await mirror.fetch(options)
        #expect(left.plan.count(.gone) == 1)
        #expect(try mirror.status().files.folders[1].gone == 1)
        // Listed again, unchanged: mirrored again (verified, indexed and published as before).
        for name in names {
            try FileManager.default.moveItem(at: aside.appendingPathComponent(name), to: served.tree.appendingPathComponent("updatefiles/\(name)"))
        }
        let back = try await mirror.fetch(options)
        #expect(back.plan.count(.check) == 1 && back.confirmed == 1 && back.downloads.isEmpty)
        let status = try mirror.status().files
        #expect(status.folders[1].gone == 0 && status.folders[1].mirrored == 2)
        #expect(try await mirror.verify().files.count == 3)
        #expect(try await mirror.fetch(options).outcome == .upToDate)
    }

    @Test func aBaselineFileNotYetMirroredHoldsBackTheUpdateFiles() async throws {
        // Two baseline files, the first without its .md5 for now (so it cannot be verified).
        let served = try await Self.serve(.file, cycles: [2026], label: "held-back")
        let first = served.tree.appendingPathComponent("baseline/pubmed26n1333.xml.gz")
        try FileManager.default.copyItem(at: served.tree.appendingPathComponent("baseline/pubmed26n1334.xml.gz"), to: first)
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-held-back")
        let mirror = Mirror(root: mirrorRoot)
        var options = served.options
        options.index = true
        let partway = try await mirror.fetch(options)
        #expect(partway.outcome == .partial)
        #expect(partway.index?.applied.map(\.name) == ["pubmed26n1334.xml.gz"])
        #expect(partway.index?.failures.map(\.name) == ["pubmed26n1335.xml.gz"])
        #expect(partway.index?.failures.first?.message.contains("pubmed26n1333.xml.gz, which must be applied before it") == true)
        // Once it is published, everything is applied in NCBI's order.
        try TestPaths.publishMD5(first)
        let done = try await mirror.fetch(options)
        #expect(done.index?.applied.map(\.name) == ["pubmed26n1333.xml.gz", "pubmed26n1335.xml.gz"])
        let files = ["baseline/pubmed26n1333.xml.gz", "baseline/pubmed26n1334.xml.gz", "updatefiles/pubmed26n1335.xml.gz"]
            .map { served.tree.appendingPathComponent($0) }
        #expect(try IndexIntegrationTests.current(in: mirror) == (try IndexIntegrationTests.expectedCurrent(after: files)))
    }

    /// A baseline file published again after an update file was applied: it is applied again, and
    /// the update file after it, so that the index is what NCBI's order gives.
    @Test func aRepublishedBaselineFileIsAppliedBeforeTheUpdateFilesAgain() async throws {
        let served = try await Self.serve(.file, cycles: [2026], label: "republish-index")
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-republish-index")
        let mirror = Mirror(root: mirrorRoot)
        var options = served.options
        options.index = true
        let first = try await mirror.fetch(options)
        #expect(first.index?.applied.map(\.name) == ["pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz"])
        // The same records compressed again: other bytes, a new .md5.
        let target = served.tree.appendingPathComponent("baseline/pubmed26n1334.xml.gz")
        let recompressed = try await ChildProcess.run("/bin/sh", ["-c", "gzip -dc '\(target.path)' | gzip -1 > '\(target.path).new' && mv '\(target.path).new' '\(target.path)'"])
        #expect(recompressed.status == 0, "\(recompressed.stderr)")
        try TestPaths.publishMD5(target)
        let again = try await mirror.fetch(options)
        #expect(again.downloads.map(\.reason) == [.republished])
        #expect(again.index?.applied.map(\.name) == ["pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz"], "the update file after it, again")
        let files = ["baseline/pubmed26n1334.xml.gz", "updatefiles/pubmed26n1335.xml.gz"].map { served.tree.appendingPathComponent($0) }
        #expect(try IndexIntegrationTests.current(in: mirror) == (try IndexIntegrationTests.expectedCurrent(after: files)))
        let last = try await mirror.fetch(options)
        #expect(last.outcome == .upToDate && last.downloads.isEmpty)
        #expect((last.index?.applied ?? []).isEmpty)
    }

    @Test func aFileWithoutPublishedMD5IsNotDownloaded() async throws {
        let served = try await Self.serve(.ftp, cycles: [2026], label: "no-md5")
        try FileManager.default.removeItem(at: served.tree.appendingPathComponent("updatefiles/pubmed26n1335.xml.gz.md5"))
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-no-md5")
        let report = try await Mirror(root: mirrorRoot).fetch(served.options)
        #expect(report.outcome == .partial)
        #expect(report.failures.map(\.name) == ["pubmed26n1335.xml.gz"])
        #expect(report.failures.first?.message.contains("publishes no pubmed26n1335.xml.gz.md5") == true)
        #expect(!FileManager.default.fileExists(atPath: mirrorRoot.appendingPathComponent("updatefiles/pubmed26n1335.xml.gz").path))
    }

    @Test func aDryRunPrintsThePlanAndChangesNothing() async throws {
        let served = try await Self.serve(.http, cycles: [2025, 2026], label: "dry")
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-dry").appendingPathComponent("not-yet")
        var options = served.options
        options.dryRun = true
        let report = try await Mirror(root: mirrorRoot).fetch(options)
        #expect(report.outcome == .planned)
        // The 2025 files are of an older cycle than the newest baseline (2026): never downloaded.
        #expect(report.plan.downloadCount == 2)
        #expect(report.plan.count(.obsolete) == 2)
        #expect(report.plan.items.filter { $0.action == .obsolete }.allSatisfy { $0.file.cycle == 25 })
        #expect(report.plan.bytesToDownload > 0)
        #expect(report.freeBytes != nil)
        #expect(!FileManager.default.fileExists(atPath: mirrorRoot.path))
    }

    @Test func aMissingFolderIsAPermanentErrorThatSaysWhere() async throws {
        let root = try TestPaths.temporaryDirectory("served-missing")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        try FileManager.default.removeItem(at: tree.appendingPathComponent("updatefiles"))
        for server in [try await LoopbackServer.apache(root: root, tls: false), try await LoopbackServer.vsftpd(root: root, tls: false)] {
            let mirrorRoot = try TestPaths.temporaryDirectory("mirror-missing")
            do {
                _ = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(server))
                Issue.record("fetch succeeded without updatefiles/")
            } catch let error as MirrorError {
                guard case .transfer(let transfer) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(transfer.kind == .permanent)
                #expect(transfer.url.hasSuffix("/updatefiles/"))
            }
            // Not retried: a permanent error is asked once.
            #expect(try MirrorTest.count("updatefiles", in: await MirrorTest.waitForLog(server, containing: "updatefiles")) <= 2)
        }
    }
}
