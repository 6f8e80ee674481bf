import Foundation
import Synchronization
import Testing
@testable import PubMedIndex
@testable import PubMedMirror

/// The server while the index changes under it and while clients misbehave: a file applied during
/// a stream of requests (none fails, and the new records are served once committed), a client that
/// goes away mid-response, one that sends its headers a byte at a time, 1,000 ids in one POST, a
/// query that runs past the time limit; after each, the others are still served.
@Suite(.heavyweight) struct ServerFaultTests {
    static let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2020-larger")

    /// A raw TCP client (Python's socket module), for what curl will not do.
    /// A mirror with the 30,000-record file indexed (`index --file`): long answers, slow queries.
    static func fullFileMirror(_ label: String) async throws -> String {
        let mirror = try TestPaths.temporaryDirectory(label).path
        let file = TestPaths.sharedData.appendingPathComponent("ncbi-full/pubmed20n0014.xml.gz").path
        let indexed = try await CLI.run(["index", "--mirror", mirror, "--file", file, "--quiet"])
        #expect(indexed.status == 0, "\(indexed.stderr)")
        return mirror
    }

    static func python(_ script: String, _ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run("/usr/bin/python3", ["-c", script] + arguments)
    }

    @Test func aFileAppliedWhileServingAndMisbehavingClients() async throws {
        let mirror = try TestPaths.temporaryDirectory("serve-live").path
        let baseline = Self.samples.appendingPathComponent("baseline/pubmed20n1015.xml.gz").path
        let update = Self.samples.appendingPathComponent("updatefiles/pubmed20n1016.xml.gz").path
        let first = try await CLI.run(["index", "--mirror", mirror, "--file", baseline, "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex().counts()

        let result = try await EUtilitiesServerTests.withServer(mirror, arguments: ["--log-format", "json"]) { eutils in
            let base = String(eutils.dropLast("entrez/eutils/".count))
            let port = String(URL(string: base)!.port!)

            // Requests keep coming while another process applies the update file: every one answers 200.
            let done = Flag()
            let applying = Task {
                defer { done.set() }
                return try await CLI.run(["index", "--mirror", mirror, "--file", update, "--quiet"])
            }
            var statuses: [Int] = []
            repeat {
                statuses.append(try await EUtilitiesServerTests.curl(base + "api/status").status)
                statuses.append(try await EUtilitiesServerTests.curl(eutils + "esearch.fcgi?db=pubmed&term=malaria&rettype=count").status)
            } while statuses.count < 2_000 && !done.isSet
            let applied = try await applying.value
            #expect(applied.status == 0, "\(applied.stderr)")
            #expect(Set(statuses) == [200], "\(statuses.count) requests during the apply")
            let after = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex().counts()
            #expect(after.highWaterMark > before.highWaterMark)
            let status = try await EUtilitiesServerTests.curl(base + "api/status")
            #expect(status.body.contains("\"highWaterMark\":\(after.highWaterMark)"), "the new file is served without a restart")
            let record = try await EUtilitiesServerTests.curl(base + "api/records/31828225")
            #expect(record.body.contains("\"sourceFile\":\"pubmed20n1016.xml.gz\""))

            // 1,000 ids in one POST: the ones the index holds come back, in order.
            let store = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex()
            let held = try store.search("the OR of OR and", limit: 500, sort: .pmid, withJSON: false).map(\.pmid)
            let ids = held + (1...(1000 - held.count)).map { 90_000_000 + $0 }
            let posted = try await EUtilitiesServerTests.curl(eutils + "efetch.fcgi", ["--data", "db=pubmed&rettype=uilist&retmode=text&id=" + ids.map(String.init).joined(separator: ",")])
            #expect(posted.status == 200)
            #expect(posted.body == held.map { "\($0)\n" }.joined())

            // A request that is not HTTP: 400, and the connection closed.
            let garbage = try await Self.python("""
                import socket, sys
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.sendall(b"GARBAGE \\x01\\x02 nonsense\\r\\n\\r\\n")
                print(s.recv(200).split(b"\\r\\n")[0].decode())
                """, [port])
            #expect(garbage.stdout.hasPrefix("HTTP/1.1 400"), "\(garbage.stdout) \(garbage.stderr)")

            // A client that goes away after the first bytes of a long answer.
            let gone = try await Self.python("""
                import socket, sys
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.sendall(b"GET /api/changes HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                print(len(s.recv(1000)))
                s.close()
                """, [port])
            #expect(gone.status == 0, "\(gone.stderr)")
            // One that stops half way through its request, until told to go on: another is
            // answered meanwhile (a slow client holds no one else up), then it is answered too.
            let signals = try TestPaths.temporaryDirectory("slow-client")
            let halfWay = signals.appendingPathComponent("half-way"), goOn = signals.appendingPathComponent("go-on")
            let slow = Task {
                try await Self.python("""
                    import os, socket, sys, time
                    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                    request = b"GET /health HTTP/1.1\\r\\nHost: slowly.example\\r\\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\r\\n\\r\\n"
                    for byte in request[:30]:
                        s.send(bytes([byte])); time.sleep(0.01)
                    open(sys.argv[2], "w").close()
                    deadline = time.time() + 120
                    while not os.path.exists(sys.argv[3]) and time.time() < deadline:
                        time.sleep(0.01)
                    s.sendall(request[30:])
                    print(s.recv(100).split(b"\\r\\n")[0].decode())
                    """, [port, halfWay.path, goOn.path])
            }
            // (Bounded, so that a client that failed to connect fails the test rather than hang it.)
            for _ in 0..<6_000 where !FileManager.default.fileExists(atPath: halfWay.path) { try await Task.sleep(for: .milliseconds(10)) }
            if !FileManager.default.fileExists(atPath: halfWay.path) {
                Issue.record("the slow client never got half way: \(try await slow.value.stderr)")
                return
            }
            // (A server that waited for the slow client would hold this one: curl gives up after
            // 20 s, and the slow client is let go whatever happens.)
            let quick: (status: Int, headers: String, body: String)
            do {
                defer { try? Data().write(to: goOn) }
                quick = try await EUtilitiesServerTests.curl(base + "health", ["--max-time", "20"])
            }
            #expect(quick.status == 200, "answered while the slow client's request is half sent")
            let slowly = try await slow.value
            #expect(slowly.stdout.hasPrefix("HTTP/1.1 200"), "\(slowly.stdout) \(slowly.stderr)")
        }
        #expect(result.status == 0, "\(result.stderr)")
        // The access log as JSON lines, one a request.
        let lines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count > 10)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["status"] is Int && object?["path"] is String && object?["ms"] != nil, "\(line)")
        }
    }
}

extension ServerFaultTests {
    /// A query that runs past the limit (2 ms here) ends with 503, and the next is answered.
    @Test func aQueryPastTheTimeLimitIsStoppedAndTheNextAnswered() async throws {
        // 30,000 records: enough for that query to take tens of milliseconds.
        let mirror = try await Self.fullFileMirror("serve-limit")
        let everything = ["stud", "pati", "cell", "prot", "effe", "trea", "resu", "meth", "clin", "anal", "incr", "rela",
                          "func", "diff", "acti", "expr", "dise", "indi", "gene", "cont"].map { $0 + "*" }.joined(separator: "%20OR%20")
        let result = try await EUtilitiesServerTests.withServer(mirror, arguments: ["--query-seconds", "0.002"]) { eutils in
            let base = String(eutils.dropLast("entrez/eutils/".count))
            let long = try await EUtilitiesServerTests.curl(base + "api/search?q=\(everything)&sort=pub_date")
            #expect(long.status == 503)
            #expect(long.body.contains("took longer than this server allows"))
            let next = try await EUtilitiesServerTests.curl(base + "health")
            #expect(next.status == 200)
        }
        #expect(result.status == 0, "\(result.stderr)")
    }
}

extension ServerFaultTests {
    /// The index switched under the server (`index --rebuild` builds a new file and switches to it,
    /// as the annual rollover does): requests during the rebuild and the switch all answer, and the
    /// next ones read the new file, without a restart.
    @Test func theIndexSwitchedUnderTheServer() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("serve-switch")
        let result = try await EUtilitiesServerTests.withServer(mirror) { eutils in
            let base = String(eutils.dropLast("entrez/eutils/".count))
            let before = try await EUtilitiesServerTests.curl(base + "api/status")
            #expect(before.body.contains("\"index\":\"index.sqlite\""))
            let count = try await EUtilitiesServerTests.curl(eutils + "esearch.fcgi?db=pubmed&term=malaria&rettype=count").body
            let done = Flag()
            let rebuilding = Task {
                defer { done.set() }
                return try await CLI.run(["index", "--mirror", mirror, "--rebuild", "--quiet"])
            }
            var answers: [(Int, String)] = []
            repeat {
                let search = try await EUtilitiesServerTests.curl(eutils + "esearch.fcgi?db=pubmed&term=malaria&rettype=count")
                answers.append((search.status, search.body))
            } while answers.count < 2_000 && !done.isSet
            let rebuilt = try await rebuilding.value
            #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
            #expect(answers.allSatisfy { $0.0 == 200 && $0.1 == count }, "\(answers.count) searches during the rebuild")
            let after = try await EUtilitiesServerTests.curl(base + "api/status")
            let current = Mirror(root: URL(fileURLWithPath: mirror)).layout.currentIndex().lastPathComponent
            #expect(current != "index.sqlite")
            #expect(after.body.contains("\"index\":\"\(current)\""), "\(after.body)")
            let again = try await EUtilitiesServerTests.curl(eutils + "esearch.fcgi?db=pubmed&term=malaria&rettype=count")
            #expect(again.body == count)
        }
        #expect(result.status == 0, "\(result.stderr)")
    }
}

extension ServerFaultTests {
    /// SIGTERM while a long answer streams: the server takes no new connection, finishes the answer
    /// (the change feed's last line, the high-water mark, arrives), and exits 0. Here the client
    /// reads as fast as it can, on the machine's loopback.
    @Test func sigtermLetsTheAnswerInFlightFinish() async throws {
        let mirror = try await Self.fullFileMirror("serve-stop")
        let (last, mark) = try await Self.stopDuringChanges(mirror, since: nil, pace: 0, isolated: false)
        #expect(last == "{\"highWaterMark\":\(mark)}")
    }

    /// The same for a client that takes the answer 4 KB at a time, in a network namespace of its
    /// own whose TCP send buffers are 8 KB: when the answer ends, its last chunk still waits in
    /// the server's queue, which closing the connection at once used to throw away
    /// (`DrainBeforeClose`).
    @Test(.enabled(if: NetworkNamespace.available, "needs root and unshare --net"))
    func sigtermLetsASlowReaderTakeTheWholeAnswer() async throws {
        let mirror = try await Self.fullFileMirror("serve-stop-slow")
        let (last, mark) = try await Self.stopDuringChanges(mirror, since: 28_000, pace: 0.0005, isolated: true)
        #expect(last == "{\"highWaterMark\":\(mark)}")
    }

    /// Python for the tests' clients. `start_serve` starts `serve` on a free loopback port and
    /// returns the process and its port once the port file names one (not `stale`, a port an
    /// earlier run left); `get` answers a request's status, body and seconds; `held_feed` opens a
    /// change feed, takes its first chunk and reads no more (it holds a reader, and the server's
    /// writes fill the socket and wait); `until_status` repeats a request until it gets `status`.
    static let startServe = """
        import http.client, os, socket, subprocess, sys, time
        def start_serve(binary, mirror, port_file, *options, stale=""):
            server = subprocess.Popen([binary, "serve", "--mirror", mirror, "--listen", "127.0.0.1:0", "--port-file", port_file,
                                       *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.time() + 60
            while True:
                text = open(port_file).read().strip() if os.path.exists(port_file) else ""
                if text and text != stale:
                    return server, int(text)
                if server.poll() is not None or time.time() > deadline:
                    server.kill()
                    sys.exit("serve did not start: " + server.stderr.read().decode())
                time.sleep(0.01)

        def get(port, path):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            started = time.time()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            return response.status, body, time.time() - started

        def held_feed(port):
            # Until part of the body has come: the export has begun, so the feed holds its reader
            # (the head alone may come first, and a request sent then could take the reader).
            feed = socket.create_connection(("127.0.0.1", port), timeout=60)
            feed.sendall(b"GET /api/changes HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            received = b""
            while b"\\r\\n\\r\\n" not in received or not received.split(b"\\r\\n\\r\\n", 1)[1]:
                chunk = feed.recv(65536)
                if not chunk: raise RuntimeError("the feed ended before its body began")
                received += chunk
            return feed

        def until_status(port, path, status):
            for attempt in range(600):
                answer = get(port, path)[0]
                if answer == status: break
                time.sleep(0.1)
            return answer

        """

    /// Runs a client `script` (after `startServe`) with the binary, `mirror` and a port file as its
    /// arguments; expects it to exit 0 and returns what it printed.
    static func runClient(_ script: String, mirror: String) async throws -> String {
        let portFile = try TestPaths.temporaryDirectory("serve-client-port").appendingPathComponent("port")
        let run = try await ChildProcess.run("/usr/bin/python3", ["-c", startServe + script, CLI.executable.path, mirror, portFile.path],
                                             environment: CLI.environment())
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout
    }

    /// A client that stops reading in the middle of a long answer holds a SIGTERM up for
    /// `--shutdown-seconds` at most: then the answer is cut and serve exits 0.
    @Test func aClientThatStopsReadingHoldsTheStopUpNoLongerThanAsked() async throws {
        let mirror = try await Self.fullFileMirror("serve-stall")
        let printed = try await Self.runClient("""
            import signal
            server, port = start_serve(*sys.argv[1:4], "--shutdown-seconds", "2")
            feed = held_feed(port)
            time.sleep(1)
            started = time.time()
            server.send_signal(signal.SIGTERM)
            try:
                status = server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
                sys.exit("serve still ran 30 s after SIGTERM")
            print(status, round(time.time() - started, 1))
            """, mirror: mirror)
        let fields = printed.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.first == "0", "serve's exit status: \(printed)")
        let seconds = Double(fields.last ?? "") ?? 99
        #expect(seconds >= 1.9, "the answer in flight was not given its time: \(seconds) s")
    }

    /// Change feeds hold a reader each for as long as their clients read: with `--readers 2` one
    /// runs at once, a second is told to come back later (503), and queries are still answered.
    @Test func changeFeedsLeaveAReaderForQueries() async throws {
        let mirror = try await Self.fullFileMirror("serve-feeds")
        let printed = try await Self.runClient("""
            import json
            server, port = start_serve(*sys.argv[1:4], "--readers", "2")
            try:
                feed = held_feed(port)
                status, body, _ = get(port, "/api/changes")
                print("second feed", status, json.loads(body)["error"]["code"] if status == 503 else "")
                print("query", get(port, "/entrez/eutils/esearch.fcgi?db=pubmed&term=cancer&rettype=count")[0])
                feed.close()
                print("after the first", until_status(port, "/api/changes?since=29990", 200))
            finally:
                server.terminate()
                server.wait(60)
            """, mirror: mirror)
        #expect(printed == "second feed 503 server.busy\nquery 200\nafter the first 200\n", "\(printed)")
    }

    /// With its one reader held by a change feed, the server answers a query and `/health` 503 at
    /// their time limits (2 s and 5 s) rather than leaving them waiting for the feed, and 200 again
    /// once the feed's client has gone.
    @Test func aReadWaitingForABusyReaderIsAnsweredAtItsLimit() async throws {
        let mirror = try await Self.fullFileMirror("serve-busy")
        let printed = try await Self.runClient("""
            server, port = start_serve(*sys.argv[1:4], "--readers", "1", "--query-seconds", "2")
            try:
                feed = held_feed(port)
                status, _, seconds = get(port, "/entrez/eutils/esearch.fcgi?db=pubmed&term=cancer&rettype=count")
                print("query", status, seconds >= 1.9 and seconds < 60)
                status, _, seconds = get(port, "/health")
                print("health", status, seconds >= 4.9 and seconds < 60)
                feed.close()
                print("after the feed", until_status(port, "/health", 200))
            finally:
                server.terminate()
                server.wait(60)
            """, mirror: mirror)
        #expect(printed == "query 503 True\nhealth 503 True\nafter the feed 200\n", "\(printed)")
    }

    /// Starts `serve` (over a port file an earlier run left), asks for `/api/changes`, sends SIGTERM
    /// once the first chunk has arrived, and reads the rest, pausing `pace` seconds after each 4 KB
    /// (0: as fast as it comes); all from one Python process, run in a network namespace of its own
    /// when `isolated`. Returns the answer's last line and the index's high-water mark; expects
    /// serve to exit 0.
    static func stopDuringChanges(_ mirror: String, since: Int?, pace: Double, isolated: Bool) async throws -> (String, Int64) {
        let portFile = try TestPaths.temporaryDirectory("serve-stop-port").appendingPathComponent("port")
        try Data("1\n".utf8).write(to: portFile)
        let script = Self.startServe + """
            import re, signal, socket
            binary, mirror, port_file, path, pace, isolated = sys.argv[1:7]
            pace = float(pace)
            if isolated == "yes":
                # This namespace's own loopback, with small send buffers.
                subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
                with open("/proc/sys/net/ipv4/tcp_wmem", "w") as f: f.write("4096 8192 8192")
            # The port file an earlier run left (port 1) must be replaced.
            server, port = start_serve(binary, mirror, port_file, stale="1")
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(60)
            s.sendall(b"GET " + path.encode() + b" HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
            data = bytearray(s.recv(65536))
            server.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            while True:
                more = s.recv(4096 if pace else 1 << 20)
                if not more: break
                data += more
                if pace: time.sleep(pace)
                if data.endswith(b"\\r\\n0\\r\\n\\r\\n"): break
            # The body without its chunk framing, which may fall inside a line.
            body = re.sub(rb"(?:^|\\r\\n)[0-9a-fA-F]+\\r\\n", b"", bytes(data).partition(b"\\r\\n\\r\\n")[2])
            lines = [l for l in body.split(b"\\n") if l.startswith(b"{")]
            status = server.wait(60)
            print(lines[-1].decode())
            print(status)
            sys.stderr.write(server.stderr.read().decode())
            """
        let path = since.map { "/api/changes?since=\($0)" } ?? "/api/changes"
        let arguments = ["-c", script, CLI.executable.path, mirror, portFile.path, path, String(pace), isolated ? "yes" : "no"]
        let result = isolated
            ? try await ChildProcess.run("/usr/bin/unshare", ["--net", "/usr/bin/python3"] + arguments, environment: CLI.environment())
            : try await ChildProcess.run("/usr/bin/python3", arguments, environment: CLI.environment())
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.last == "0", "serve's exit status; \(result.stderr)")
        let mark = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex().counts().highWaterMark
        return (lines.first ?? "", mark)
    }
}

/// Network namespaces (`unshare --net`, as root): a loopback of the test's own, whose settings
/// touch nothing else on the machine.
enum NetworkNamespace {
    static let available: Bool = {
        guard getuid() == 0 else { return false }
        return (try? Spawn.run(["unshare", "--net", "ip", "link", "set", "lo", "up"])) != nil
    }()
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
