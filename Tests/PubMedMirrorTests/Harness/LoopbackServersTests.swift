import Foundation
import Testing

/// Checks the loopback servers themselves with the system curl: each one serves the sample
/// files byte for byte, lists folders, logs requests and stops, and each fault does what
/// `Tests/Servers/*.py` document. The clients under test are curl's, not ours.
@Suite("Loopback servers", .heavyweight)
struct LoopbackServersTests {
    static let updateFile = "updatefiles/pubmed25n1275.xml.gz"

    // MARK: vsftpd and apache

    @Test("vsftpd serves, lists, resumes, logs and stops", arguments: [false, true])
    func vsftpd(tls: Bool) async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.vsftpd(root: tree.root, tls: tls)
        #expect(server.baseURL.scheme == (tls ? "ftps" : "ftp"))
        #expect((server.caFile != nil) == tls)
        // curl's ftps:// is implicit TLS: explicit FTPS is ftp:// with --ssl-reqd.
        let base = try ftpURL(server)
        let tlsOptions = tls ? ["--ssl-reqd", "--cacert", server.caFile!.path] : []

        let fetched = try await curl(tlsOptions + [base + Self.updateFile])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(tree.same(fetched.body, Self.updateFile))

        let listing = try await curl(tlsOptions + [base + "baseline/"])
        #expect(listing.text.contains("pubmed25n1274.xml.gz"))
        #expect(listing.text.contains("pubmed26n1334.xml.gz.md5"))
        let names = try await curl(tlsOptions + ["--list-only", base + "updatefiles/"])
        #expect(names.text.contains("pubmed26n1335_stats.html"))

        let resumed = try await curl(tlsOptions + ["-C", "1000", base + Self.updateFile])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(tree.same(resumed.body, Self.updateFile, from: 1000))

        let log = server.requestLog()
        #expect(log.contains("\"RETR pubmed25n1275.xml.gz\""))
        #expect(log.contains("\"REST 1000\""))
        #expect(log.contains("\"LIST\""))
        if tls {
            #expect(log.contains("\"AUTH SSL\"") || log.contains("\"AUTH TLS\""))  // curl tries AUTH SSL first
            #expect(log.contains("\"PROT P\""))
            let untrusted = try await curl(["--ssl-reqd", base + Self.updateFile])
            #expect(untrusted.status == 60)  // the self-signed certificate is really checked
        }
        try await expectStops(server)
    }

    @Test("apache serves, lists NCBI-style, serves ranges, logs and stops", arguments: [false, true])
    func apache(tls: Bool) async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.apache(root: tree.root, tls: tls)
        #expect(server.baseURL.absoluteString.hasPrefix(tls ? "https://localhost:" : "http://127.0.0.1:"))
        let base = server.baseURL.absoluteString
        let tlsOptions = tls ? ["--cacert", server.caFile!.path] : []

        let fetched = try await curl(tlsOptions + ["-f", base + Self.updateFile])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(tree.same(fetched.body, Self.updateFile))

        let listing = try await curl(tlsOptions + ["-f", base + "baseline/"])
        #expect(listing.text.contains("<a href=\"pubmed25n1274.xml.gz\">pubmed25n1274.xml.gz</a>"))
        #expect(listing.text.contains("Parent Directory"))
        #expect(listing.text.contains("?C=N;O=D"))

        let range = try await curl(tlsOptions + ["-f", "-r", "100-199", base + Self.updateFile])
        #expect(range.status == 0, "\(range.stderr)")
        #expect(tree.same(range.body, Self.updateFile, from: 100, to: 200))

        try await eventually("the access log shows the range request") {
            server.requestLog().contains("GET /pubmed/\(Self.updateFile) HTTP/1.1 206 100 \"bytes=100-199\"")
        }
        #expect(server.requestLog().contains("GET /pubmed/baseline/ HTTP/1.1 200"))
        try await expectStops(server)
    }

    // MARK: faulty_ftpd.py

    @Test("faulty_ftpd without faults serves, lists, resumes, logs and stops")
    func faultyFTPPlain() async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(root: tree.root, arguments: [])
        let base = server.baseURL.absoluteString

        let fetched = try await curl([base + Self.updateFile])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        #expect(tree.same(fetched.body, Self.updateFile))
        #expect(try await curl([base + "baseline/"]).text.contains("pubmed25n1274.xml.gz"))
        #expect(try await curl(["--list-only", base + "baseline/"]).text.contains("pubmed26n1334.xml.gz.md5"))
        let mlsd = try await curl(["-X", "MLSD", base + "baseline/"])
        #expect(mlsd.text.contains("size=79196;type=file;"))
        let head = try await curl(["-I", base + Self.updateFile])  // SIZE and MDTM
        #expect(head.text.contains("Content-Length: 84226"))
        #expect(head.text.contains("Last-Modified:"))
        let resumed = try await curl(["-C", "4096", base + Self.updateFile])
        #expect(tree.same(resumed.body, Self.updateFile, from: 4096))

        let log = server.requestLog().split(separator: "\n")
        #expect(log.filter { $0 == "RETR pubmed25n1275.xml.gz" }.count == 2)
        #expect(log.contains("REST 4096"))
        #expect(log.contains("MLSD"))
        #expect(log.contains("PASS ******"))
        try await expectStops(server)
    }

    @Test("faulty_ftpd --refuse-login-times: 421 at greeting, then service")
    func faultyFTPRefusesLogin() async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(root: tree.root, arguments: ["--refuse-login-times", "1"])
        let url = server.baseURL.absoluteString + Self.updateFile
        let refused = try await curl(["-v", url])
        #expect(refused.status == 28)  // curl reports a 421 greeting as a timeout
        #expect(refused.stderr.contains("< 421 Too many connections"))
        let served = try await curl([url])
        #expect(served.status == 0)
        #expect(tree.same(served.body, Self.updateFile))
        #expect(server.requestLog().split(separator: "\n").filter { $0.hasPrefix("USER") }.count == 1)
    }

    struct RetrError: Sendable, CustomStringConvertible {
        let code: Int
        let curlStatus: Int32
        var description: String { "\(code) → curl \(curlStatus)" }
    }

    @Test(
        "faulty_ftpd --retr-error: the reply code, then the file",
        arguments: [
            RetrError(code: 450, curlStatus: 19), RetrError(code: 451, curlStatus: 19),
            RetrError(code: 426, curlStatus: 19), RetrError(code: 550, curlStatus: 78),
        ])
    func faultyFTPRetrError(_ fault: RetrError) async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(
            root: tree.root, arguments: ["--retr-error", "\(fault.code)", "--retr-error-times", "2"])
        let url = server.baseURL.absoluteString + Self.updateFile
        for _ in 0..<2 {
            let failed = try await curl([url])
            #expect(failed.status == fault.curlStatus)
            #expect(failed.stderr.contains("RETR response: \(fault.code)"))
        }
        #expect(tree.same(try await curl([url]).body, Self.updateFile))
    }

    @Test("faulty_ftpd --match: only matching RETRs count")
    func faultyFTPMatch() async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(
            root: tree.root, arguments: ["--retr-error", "451", "--match", "*.xml.gz"])
        let base = server.baseURL.absoluteString
        #expect(try await curl([base + Self.updateFile + ".md5"]).status == 0)
        #expect(try await curl([base + Self.updateFile]).status == 19)
        #expect(try await curl([base + Self.updateFile]).status == 0)
    }

    @Test("faulty_ftpd --cut-at: exactly BYTES, then the whole file")
    func faultyFTPCut() async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(root: tree.root, arguments: ["--cut-at", "1000"])
        let url = server.baseURL.absoluteString + Self.updateFile
        let cut = try await curl([url])
        #expect(cut.status == 18)  // curl drops the connection without reading the 426
        #expect(tree.same(cut.body, Self.updateFile, to: 1000))
        #expect(tree.same(try await curl([url]).body, Self.updateFile))
    }

    @Test("faulty_ftpd --stall-at: BYTES, silence for S seconds, then a cut")
    func faultyFTPStall() async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(
            root: tree.root, arguments: ["--stall-at", "1000", "--stall-seconds", "1"])
        let url = server.baseURL.absoluteString + Self.updateFile
        let stalled = try await curl([url])
        #expect(stalled.status == 18)
        #expect(stalled.body.count == 1000)
        #expect(stalled.elapsed >= 0.9)
        let served = try await curl([url])
        // The stall happens once: the next transfer is whole (a stalled one would have been cut).
        #expect(tree.same(served.body, Self.updateFile))
    }

    @Test("faulty_ftpd --throttle paces every transfer")
    func faultyFTPThrottle() async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(root: tree.root, arguments: ["--throttle", "200000"])
        let fetched = try await curl([server.baseURL.absoluteString + Self.updateFile])
        #expect(tree.same(fetched.body, Self.updateFile))
        #expect(fetched.elapsed >= 0.3)  // 84 KB at 200 KB/s, less a 0.1 s burst
    }

    @Test("faulty_ftpd --no-rest: REST answers 502")
    func faultyFTPNoRest() async throws {
        let tree = try Tree()
        let server = try await LoopbackServer.faultyFTP(root: tree.root, arguments: ["--no-rest"])
        let url = server.baseURL.absoluteString + Self.updateFile
        let resumed = try await curl(["-v", "-C", "1000", url])
        #expect(resumed.status == 31)
        #expect(resumed.stderr.contains("< 502"))
        #expect(tree.same(try await curl([url]).body, Self.updateFile))
        #expect(server.requestLog().contains("REST 1000\n"))
    }

    // MARK: fault_proxy.py

    @Test("fault_proxy without faults forwards, logs Range and stops")
    func faultProxyPlain() async throws {
        let tree = try Tree()
        let apache = try await LoopbackServer.apache(root: tree.root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: [])
        #expect(proxy.baseURL.absoluteString == "http://127.0.0.1:\(proxy.port)/pubmed/")
        let url = proxy.baseURL.absoluteString + Self.updateFile
        #expect(tree.same(try await curl(["-f", url]).body, Self.updateFile))
        let range = try await curl(["-f", "-r", "100-", url])
        #expect(tree.same(range.body, Self.updateFile, from: 100))
        #expect(try await curl(["-f", proxy.baseURL.absoluteString + "baseline/"]).text.contains("pubmed25n1274.xml.gz"))
        let log = proxy.requestLog().split(separator: "\n")
        #expect(log.contains("GET /pubmed/\(Self.updateFile) HTTP/1.1"))
        #expect(log.contains("GET /pubmed/\(Self.updateFile) HTTP/1.1 Range: bytes=100-"))
        try await expectStops(proxy)
    }

    struct ByteFault: Sendable, CustomStringConvertible {
        let flag: String
        let curlStatus: Int32
        var description: String { "\(flag) → curl \(curlStatus)" }
    }

    @Test(
        "fault_proxy --cut-at / --reset-at: exactly BYTES, then the whole file",
        arguments: [ByteFault(flag: "--cut-at", curlStatus: 18), ByteFault(flag: "--reset-at", curlStatus: 56)])
    func faultProxyCut(_ fault: ByteFault) async throws {
        let tree = try Tree()
        let apache = try await LoopbackServer.apache(root: tree.root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: [fault.flag, "1000", "--times", "2"])
        let url = proxy.baseURL.absoluteString + Self.updateFile
        let cut = try await curl(["-f", url])
        #expect(cut.status == fault.curlStatus, "\(cut.stderr)")
        #expect(tree.same(cut.body, Self.updateFile, to: 1000))
        let resumed = try await curl(["-f", "-r", "1000-", url])  // counted too: cut 1000 bytes later
        #expect(resumed.status == fault.curlStatus)
        #expect(tree.same(resumed.body, Self.updateFile, from: 1000, to: 2000))
        #expect(tree.same(try await curl(["-f", url]).body, Self.updateFile))
        #expect(proxy.requestLog().split(separator: "\n").count == 3)
    }

    @Test("fault_proxy --match: only matching requests count")
    func faultProxyMatch() async throws {
        let tree = try Tree()
        let apache = try await LoopbackServer.apache(root: tree.root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(
            upstream: apache, arguments: ["--cut-at", "10", "--match", "*.xml.gz"])
        let base = proxy.baseURL.absoluteString
        #expect(try await curl(["-f", base + "updatefiles/"]).status == 0)
        #expect(try await curl(["-f", base + Self.updateFile + ".md5"]).status == 0)
        #expect(try await curl(["-f", base + Self.updateFile]).status == 18)
        #expect(try await curl(["-f", base + Self.updateFile]).status == 0)
    }

    @Test("fault_proxy --stall-at: BYTES, silence for S seconds, then a cut")
    func faultProxyStall() async throws {
        let tree = try Tree()
        let apache = try await LoopbackServer.apache(root: tree.root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(
            upstream: apache, arguments: ["--stall-at", "1000", "--stall-seconds", "1"])
        let url = proxy.baseURL.absoluteString + Self.updateFile
        let stalled = try await curl(["-f", url])
        #expect(stalled.status == 18)
        #expect(stalled.body.count == 1000)
        #expect(stalled.elapsed >= 0.9)
        let served = try await curl(["-f", url])
        // The stall happens once: the next transfer is whole (a stalled one would have been cut).
        #expect(tree.same(served.body, Self.updateFile))
    }

    struct StatusFault: Sendable, CustomStringConvertible {
        let status: Int
        let retryAfter: Int?
        var description: String { "\(status), Retry-After \(retryAfter.map(String.init) ?? "none")" }
    }

    @Test(
        "fault_proxy --status answers by itself, then forwards",
        arguments: [
            StatusFault(status: 503, retryAfter: 1), StatusFault(status: 429, retryAfter: 2),
            StatusFault(status: 408, retryAfter: nil),
        ])
    func faultProxyStatus(_ fault: StatusFault) async throws {
        let tree = try Tree()
        let apache = try await LoopbackServer.apache(root: tree.root, tls: false)
        var arguments = ["--status", "\(fault.status)"]
        if let retryAfter = fault.retryAfter {
            arguments += ["--retry-after", "\(retryAfter)"]
        }
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: arguments)
        let url = proxy.baseURL.absoluteString + Self.updateFile
        let refused = try await curl(["-i", url])
        #expect(refused.status == 0)
        #expect(refused.text.hasPrefix("HTTP/1.1 \(fault.status) "))
        #expect(refused.text.contains("Connection: close\r\n"))
        if let retryAfter = fault.retryAfter {
            #expect(refused.text.contains("Retry-After: \(retryAfter)\r\n"))
        } else {
            #expect(!refused.text.contains("Retry-After"))
        }
        let served = try await curl(["-f", url])
        #expect(tree.same(served.body, Self.updateFile))
        // The first request never reached apache.
        try await eventually("apache logs the request it served") { apache.requestLog().contains(" 200 ") }
        #expect(apache.requestLog().split(separator: "\n").count == 1)
        #expect(proxy.requestLog().split(separator: "\n").count == 2)
    }

    @Test("fault_proxy --throttle paces every response")
    func faultProxyThrottle() async throws {
        let tree = try Tree()
        let apache = try await LoopbackServer.apache(root: tree.root, tls: false)
        let proxy = try await LoopbackServer.faultProxy(upstream: apache, arguments: ["--throttle", "200000"])
        let fetched = try await curl(["-f", proxy.baseURL.absoluteString + Self.updateFile])
        #expect(tree.same(fetched.body, Self.updateFile))
        #expect(fetched.elapsed >= 0.35)
    }

    @Test("a server that cannot start throws with its stderr and the install hint")
    func startFailure() async throws {
        let tree = try Tree()
        do {
            let server = try await LoopbackServer.faultyFTP(root: tree.root, arguments: ["--no-such-flag"])
            Issue.record("started anyway on port \(server.port)")
        } catch let error as LoopbackServerError {
            #expect(error.description.contains("Scripts/install-test-deps"))
            #expect(error.description.contains("unrecognized arguments: --no-such-flag"))
        }
    }

    // MARK: Helpers

    /// A served tree (2025 and 2026 samples) in a fresh folder, removed when the test ends.
    final class Tree {
        let root: URL
        let pubmed: URL

        init() throws {
            root = try TestPaths.temporaryDirectory("tree")
            pubmed = try ServedTree.make(cycles: [2025, 2026], at: root)
        }

        deinit {
            try? FileManager.default.removeItem(at: root)
        }

        /// True if `body` equals bytes `from..<to` of the served file (a Bool, so that a
        /// failure does not print 80 KB of bytes).
        func same(_ body: Data, _ path: String, from: Int = 0, to: Int? = nil) -> Bool {
            guard let file = try? Data(contentsOf: pubmed.appendingPathComponent(path)) else { return false }
            let end = min(to ?? file.count, file.count)
            return from <= end && body == file.subdata(in: from..<end)
        }
    }

    struct CurlResult {
        let status: Int32
        let body: Data
        let stderr: String
        let elapsed: TimeInterval
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Runs `/usr/bin/curl -sS ARGUMENTS -o FILE` (capped at 20 s) and returns what it wrote.
    func curl(_ arguments: [String]) async throws -> CurlResult {
        let folder = try TestPaths.temporaryDirectory("curl")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("body")
        let start = Date()
        let run = try await ChildProcess.run("/usr/bin/curl", ["-sS", "--max-time", "20", "-o", output.path] + arguments)
        return CurlResult(status: run.status, body: (try? Data(contentsOf: output)) ?? Data(), stderr: run.stderr,
                          elapsed: Date().timeIntervalSince(start))
    }

    /// The server's base URL as curl needs it: explicit FTPS goes through ftp:// + --ssl-reqd.
    func ftpURL(_ server: LoopbackServer) throws -> String {
        var components = try #require(URLComponents(url: server.baseURL, resolvingAgainstBaseURL: false))
        components.scheme = "ftp"
        return try #require(components.url).absoluteString
    }

    func expectStops(_ server: LoopbackServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        #expect(LoopbackServer.acceptsConnections(port: server.port), sourceLocation: sourceLocation)
        // SIGTERM works: a server that ignored it would have needed SIGKILL.
        #expect(await server.stop() == .ended, sourceLocation: sourceLocation)
        #expect(!LoopbackServer.acceptsConnections(port: server.port), sourceLocation: sourceLocation)
        #expect(await server.stop() == .alreadyStopped, sourceLocation: sourceLocation)  // a second stop is harmless
    }

    /// Polls `condition` for up to 5 s (logs are written just after a response ends).
    func eventually(
        _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(5)
        while !condition() {
            if Date() > deadline {
                Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
