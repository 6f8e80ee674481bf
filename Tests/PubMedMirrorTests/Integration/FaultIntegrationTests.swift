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

/// Faults a long download meets, from real (scriptable) servers: each run ends with a correct
/// mirror after retries, or a clear error and intact state, within a bounded number of requests.
@Suite(.heavyweight) struct FaultIntegrationTests {
    static func faultyFTP(_ label: String, _ arguments: [String]) async throws -> (URL, LoopbackServer) {
        let root = try TestPaths.temporaryDirectory("served-\(label)")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        return (tree, try await LoopbackServer.faultyFTP(root: root, arguments: arguments))
    }

    @Test func ftp421AtLoginIsRetried() async throws {
        let (tree, server) = try await Self.faultyFTP("421", ["--refuse-login-times", "2"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-421")
        let logs = CapturedLogs()
        let report = try await Mirror(root: mirrorRoot, logger: logs.logger).fetch(try MirrorTest.options(server))
        #expect(report.outcome == .updated)
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
        #expect(logs.text.contains("421"))
    }

    @Test func ftp421ThatNeverEndsFailsAfterTheRetriesWithItsReason() async throws {
        let (_, server) = try await Self.faultyFTP("421-forever", ["--refuse-login-times", "1000"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-421-forever")
        do {
            _ = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(server, retries: 2))
            Issue.record("fetch succeeded")
        } catch let error as MirrorError {
            #expect(error.description.contains("421"))
            #expect(error.isRetryable)
        }
    }

    @Test(arguments: ["450", "451", "426"])
    func ftpTransientRetrErrorsAreRetried(code: String) async throws {
        let (tree, server) = try await Self.faultyFTP("retr-\(code)", ["--retr-error", code, "--retr-error-times", "2", "--match", "*.xml.gz"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-retr-\(code)")
        let report = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(server))
        #expect(report.outcome == .updated)
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
    }

    @Test func ftp550IsPermanentAndNotRetried() async throws {
        let (_, server) = try await Self.faultyFTP("550", ["--retr-error", "550", "--retr-error-times", "1000", "--match", "*.xml.gz"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-550")
        var options = try MirrorTest.options(server, retries: 4)
        options.jobs = 1
        let report = try await Mirror(root: mirrorRoot).fetch(options)
        #expect(report.outcome == .partial)
        #expect(report.failures.count == 2)
        #expect(report.failures.allSatisfy { $0.message.contains("550") })
        // One RETR per file: a permanent error is not retried.
        let retrs = server.requestLog().split(separator: "\n").filter { $0.contains("RETR pubmed26n") && $0.hasSuffix(".xml.gz") }
        #expect(retrs.count == 2)
    }

    @Test func aStalledTransferIsAbandonedAndRetried() async throws {
        let (tree, server) = try await Self.faultyFTP("stall", ["--stall-at", "20000", "--stall-seconds", "6", "--stall-times", "1", "--match", "*.xml.gz"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-stall")
        let logs = CapturedLogs()
        var options = try MirrorTest.options(server, stall: 1)
        options.jobs = 1
        let report = try await Mirror(root: mirrorRoot, logger: logs.logger).fetch(options)
        #expect(report.outcome == .updated)
        // The client's own stall detector ended the transfer (had it waited for the server to wake
        // up and cut the connection, the failure would read "the connection failed"), and retried.
        #expect(logs.text.contains("no data for 1 s (stalled); retry 1 of 3"), "\(logs.text)")
        #expect(logs.text.contains("error.code=transfer.stalled"))
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
    }

    @Test func http503WithRetryAfterIsHonoured() async throws {
        let root = try TestPaths.temporaryDirectory("served-503")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let apache = try await LoopbackServer.apache(root: root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: ["--status", "503", "--retry-after", "1", "--times", "1"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-503")
        let started = Date()
        let report = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(proxy))
        #expect(report.outcome == .updated)
        #expect(Date().timeIntervalSince(started) >= 1, "waited as Retry-After asked")
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
    }

    @Test func http429IsRetried() async throws {
        let root = try TestPaths.temporaryDirectory("served-429")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let apache = try await LoopbackServer.apache(root: root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: ["--status", "429", "--times", "3"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-429")
        let report = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(proxy))
        #expect(report.outcome == .updated)
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
    }

    @Test func aResetMidTransferIsRetriedAndResumed() async throws {
        let root = try TestPaths.temporaryDirectory("served-reset")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let apache = try await LoopbackServer.apache(root: root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: ["--reset-at", "25000", "--times", "2", "--match", "*.xml.gz"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-reset")
        let report = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(proxy))
        #expect(report.outcome == .updated)
        try MirrorTest.expectIdentical(served: tree, mirror: mirrorRoot)
    }

    @Test func anUntrustedCertificateStopsTheRunWithAdvice() async throws {
        let root = try TestPaths.temporaryDirectory("served-tls")
        _ = try ServedTree.make(cycles: [2026], at: root)
        let server = try await LoopbackServer.apache(root: root, tls: true)
        var options = try MirrorTest.options(server)
        options.transfer.caFile = nil
        do {
            _ = try await Mirror(root: try TestPaths.temporaryDirectory("mirror-tls")).fetch(options)
            Issue.record("fetch trusted a self-signed certificate")
        } catch let error as MirrorError {
            #expect(error.advice == [.trustCertificate])
            #expect(error.code == .transferTLSUntrusted)
            #expect(!error.isRetryable)
        }
        // --insecure accepts it.
        options.transfer.insecure = true
        let report = try await Mirror(root: try TestPaths.temporaryDirectory("mirror-tls-insecure")).fetch(options)
        #expect(report.outcome == .updated)
    }

    @Test func aRefusedConnectionFailsQuicklyAfterTheRetries() async throws {
        // Port 1 on loopback: nothing listens there, so the kernel refuses at once.
        let port = 1
        var options = try MirrorTest.options(URL(string: "http://127.0.0.1:\(port)/pubmed/")!, retries: 2)
        options.transfer.connectTimeout = 2
        let logs = CapturedLogs()
        do {
            _ = try await Mirror(root: try TestPaths.temporaryDirectory("mirror-refused"), logger: logs.logger).fetch(options)
            Issue.record("fetch succeeded against a closed port")
        } catch let error as MirrorError {
            #expect(error.isRetryable)
            #expect(error.code == .transferCannotConnect)
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
        // Refused at once each time (no connect timeout waited out), and retried as the policy says.
        #expect(logs.text.contains("retry 2 of 2"), "\(logs.text)")
        #expect(!logs.text.contains("retry 3"))
        #expect(!logs.text.contains("timed out"))
    }

    /// The server goes away after the listing (NCBI down for the night): once a few files in a
    /// row find it unreachable after their retries, the run stops (exit 5) instead of spending
    /// every other file's retries and timeouts on it.
    @Test func aServerGoneAfterTheListingStopsTheRunAfterAFewFiles() async throws {
        let report = try await Self.downloadFromUnreachable("http://127.0.0.1:1/pubmed/", files: 8, connectTimeout: 2, label: "gone-away")
        #expect(report.stoppedBy?.code == .transferCannotConnect)
        #expect(report.failures.count == FileMirror.unreachableFilesBeforeStopping, "\(report.failures.map(\.name))")
        #expect(report.failures.allSatisfy { $0.code == .transferCannotConnect })
    }

    /// Downloads `files` listed files (sizes and `.md5`s as a listing gives them) from `source`,
    /// which cannot be reached, one at a time, each tried twice.
    static func downloadFromUnreachable(_ source: String, files count: Int, connectTimeout: Double, label: String) async throws -> DownloadReport {
        let remote = (1...count).map { number in
            let file = PubMedFileName(cycle: 26, number: number)
            return RemoteFile(folder: .baseline, file: file, data: ListingEntry(name: file.name, size: .exact(1000), modified: nil),
                              md5: ListingEntry(name: file.md5Name, size: .exact(60), modified: nil))
        }
        let plan = MirrorPlan.make(remote: remote, records: []) { _, _ in nil }
        let root = try TestPaths.temporaryDirectory("mirror-\(label)")
        let state = try SQLiteStateStore(path: root.appendingPathComponent("state.sqlite").path)
        var options = DownloadOptions(source: try MirrorSource(source))
        options.retry = RetryPolicy(retries: 1, base: 0.01, cap: 0.02)
        options.transfer.connectTimeout = connectTimeout
        options.jobs = 1
        let files = FileMirror(layout: MirrorLayout(root: root), logger: CapturedLogs().logger)
        return try await files.download(plan, options, state: state, progress: nil, cancellation: CancellationFlag())
    }

    /// The same when the server's packets are dropped rather than refused (a firewall, a route
    /// gone): each connection waits out the connect timeout, which libcurl reports as a timeout
    /// (28), not as a refused connection; without a connection made it counts as unreachable too
    /// (it was a plain timeout, and the run went on through every file's retries).
    @Test func aServerThatDropsConnectionsStopsTheRunAfterAFewFiles() async throws {
        let hole = try BlackHole()
        defer { hole.close() }
        let report = try await Self.downloadFromUnreachable("http://127.0.0.1:\(hole.port)/pubmed/", files: 6, connectTimeout: 1, label: "black-hole")
        #expect(report.stoppedBy?.code == .transferCannotConnect)
        #expect(report.failures.count == FileMirror.unreachableFilesBeforeStopping, "\(report.failures.map(\.name))")
        #expect(report.failures.allSatisfy { $0.code == .transferCannotConnect }, "\(report.failures.map(\.code))")
    }

    /// A listening socket on loopback whose queue of connections is full and never accepted: the
    /// kernel drops further connection attempts (SYNs) without an answer, as a firewall would.
    final class BlackHole: @unchecked Sendable {
        let port: Int
        private var descriptors: [Int32] = []

        init() throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try #require(listener >= 0)
            descriptors.append(listener)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            try #require(bound == 0 && listen(listener, 0) == 0)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
            port = Int(UInt16(bigEndian: address.sin_port))
            // Fill the queue (a backlog of 0 holds one): connections made and never accepted.
            for _ in 0..<3 {
                let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
                descriptors.append(client)
                _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }

        func close() {
            for descriptor in descriptors { _ = Glibc.close(descriptor) }
            descriptors = []
        }
    }

    @Test func anUnresolvableHostFailsQuicklyWithAClearError() async throws {
        var options = try MirrorTest.options(URL(string: "ftp://no-such-host.invalid/pubmed/")!, retries: 1)
        options.transfer.connectTimeout = 3
        let logs = CapturedLogs()
        do {
            _ = try await Mirror(root: try TestPaths.temporaryDirectory("mirror-dns"), logger: logs.logger).fetch(options)
            Issue.record("fetch succeeded against an unresolvable host")
        } catch let error as MirrorError {
            #expect(error.code == .transferUnresolvedHost)
            #expect(error.advice == [.checkSourceAndDNS])
            #expect(error.description.contains("cannot be resolved"))
            #expect(error.description.contains("no-such-host.invalid"))
        }
        // It failed on the name, not by waiting out a connection.
        #expect(!logs.text.contains("timed out"))
    }

    /// The machine's own name when it resolves to 127.0.0.1: a name the test certificate (issued
    /// for localhost and 127.0.0.1) does not cover.
    static let otherLoopbackName: String? = {
        let name = ProcessInfo.processInfo.hostName
        guard !name.isEmpty, name != "localhost" else { return nil }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(name, nil, &hints, &result) == 0, let first = result else { return nil }
        defer { freeaddrinfo(result) }
        let address = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
        return address == inet_addr("127.0.0.1") ? name : nil
    }()

    @Test(.enabled(if: otherLoopbackName != nil, "the machine's name must resolve to 127.0.0.1"))
    func aCertificateForAnotherNameIsRefused() async throws {
        let root = try TestPaths.temporaryDirectory("served-wrong-name")
        _ = try ServedTree.make(cycles: [2026], at: root)
        let server = try await LoopbackServer.apache(root: root, tls: true)
        let name = try #require(Self.otherLoopbackName)
        let url = try #require(URL(string: "https://\(name):\(server.port)/pubmed/"))
        do {
            _ = try await Mirror(root: try TestPaths.temporaryDirectory("mirror-wrong-name")).fetch(try MirrorTest.options(url, caFile: server.caFile))
            Issue.record("a certificate for localhost was accepted for \(name)")
        } catch let error as MirrorError {
            #expect(error.description.contains("not trusted"))
            #expect(error.description.contains(name))
            #expect(!error.isRetryable)
        }
    }

    /// The listing says one size, the server sends another: refused by name, never put in place,
    /// and the rest of the run goes on.
    @Test(arguments: [-100, 100])
    func aFileWhoseSizeDisagreesWithTheListingIsRefused(delta: Int) async throws {
        let (_, server) = try await Self.faultyFTP("size-\(delta)", ["--list-size-delta", String(delta), "--match", "*1335.xml.gz"])
        let mirrorRoot = try TestPaths.temporaryDirectory("mirror-size")
        let report = try await Mirror(root: mirrorRoot).fetch(try MirrorTest.options(server, retries: 1))
        #expect(report.outcome == .partial)
        #expect(report.downloads.map(\.name) == ["pubmed26n1334.xml.gz"])
        let failure = try #require(report.failures.first)
        #expect(failure.name == "pubmed26n1335.xml.gz")
        let listed = 93_697 + delta
        if delta < 0 {
            #expect(failure.message.contains("sent more than the \(listed) bytes it listed"))
        } else {
            #expect(failure.message.contains("downloaded 93697 bytes but the server listed \(listed)"))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: mirrorRoot.appendingPathComponent("updatefiles").path)
        #expect(!left.contains("pubmed26n1335.xml.gz"))
        #expect(!left.contains { $0.hasSuffix(".partial") })
        // Two attempts (one retry), no more.
        let retrs = server.requestLog().split(separator: "\n").filter { $0.hasSuffix("RETR pubmed26n1335.xml.gz") }
        #expect(retrs.count == 2)
    }
}
