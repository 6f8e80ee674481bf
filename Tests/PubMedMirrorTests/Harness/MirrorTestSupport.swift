import Foundation
import Logging
import Synchronization
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// Log lines captured in memory, so tests can check what a run said (and never said).
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { _ in Handler(logs: self) }
    }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    struct Handler: LogHandler {
        let logs: CapturedLogs
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let extra = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
            logs.lines.withLock { $0.append("\(event.level): \(event.message) \(extra)") }
        }
    }
}

enum MirrorTest {
    /// Fetch options for tests: quick retries, short stalls.
    static func options(_ server: LoopbackServer, retries: Int = 3, stall: Double = 2) throws -> FetchOptions {
        try options(server.baseURL, caFile: server.caFile, retries: retries, stall: stall)
    }

    static func options(_ url: URL, caFile: URL? = nil, retries: Int = 3, stall: Double = 2) throws -> FetchOptions {
        var options = FetchOptions(source: try MirrorSource(url.absoluteString))
        options.retry = RetryPolicy(retries: retries, base: 0.05, cap: 0.2)
        options.transfer.stallTimeout = stall
        options.transfer.connectTimeout = 5
        options.transfer.caFile = caFile?.path
        options.jobs = 2
        return options
    }

    /// The PubMed files (data and `.md5`) of a tree, by relative path.
    static func pubmedFiles(under root: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for folder in MirrorFolder.allCases {
            let url = root.appendingPathComponent(folder.rawValue)
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { continue }
            for name in names where PubMedFileName(name) != nil || PubMedFileName(md5Name: name) != nil {
                files["\(folder.rawValue)/\(name)"] = try Data(contentsOf: url.appendingPathComponent(name))
            }
        }
        return files
    }

    /// Every PubMed file the server holds is in the mirror, byte for byte, and nothing else is.
    static func expectIdentical(served: URL, mirror: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try pubmedFiles(under: served)
        let actual = try pubmedFiles(under: mirror)
        #expect(!expected.isEmpty, sourceLocation: sourceLocation)
        #expect(Set(actual.keys) == Set(expected.keys), sourceLocation: sourceLocation)
        for (path, bytes) in expected {
            #expect(actual[path] == bytes, "\(path) differs", sourceLocation: sourceLocation)
        }
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: mirror.path).filter { $0.hasSuffix(".partial") || $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "left behind: \(leftovers)", sourceLocation: sourceLocation)
    }

    /// Lines of a request log that contain `text`.
    static func count(_ text: String, in log: String) -> Int {
        log.split(separator: "\n").filter { $0.contains(text) }.count
    }

    /// Apache writes its log line after the response: wait until `text` shows up (or 5 s pass).
    static func waitForLog(_ server: LoopbackServer, containing text: String) async throws -> String {
        let deadline = Date().addingTimeInterval(5)
        var log = server.requestLog()
        while !log.contains(text) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            log = server.requestLog()
        }
        return log
    }
}

extension ServedTree {
    /// `root/pubmed/` holding the larger 2020 samples (824 KB and 761 KB files, NCBI's formatting),
    /// big enough to catch a download midway.
    static func larger(at root: URL) throws -> URL {
        let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2020-larger")
        let tree = root.appendingPathComponent("pubmed")
        try FileManager.default.createDirectory(at: tree, withIntermediateDirectories: true)
        for folder in ["baseline", "updatefiles"] {
            try FileManager.default.copyItem(at: samples.appendingPathComponent(folder), to: tree.appendingPathComponent(folder))
        }
        return tree
    }
}

/// The built `pubmed-mirror` executable, run as a user would: stdout, stderr and exit code, in a
/// child process of its own (`ChildProcess`), with no `PUBMED_MIRROR_*` variable of the test's
/// environment leaking in.
enum CLI {
    typealias Result = ChildProcess.Outcome

    /// The executable beside the test bundle (`swift build --build-tests` builds both).
    static var executable: URL {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("pubmed-mirror")
    }

    /// What the binary's standard output is.
    enum StandardOutput: Sendable {
        /// A pipe the test reads to its end.
        case pipe
        /// `/dev/full`: every write fails with ENOSPC.
        case full
        /// Closed when the binary starts (`>&-`).
        case closed
        /// A pipe whose reader takes one byte and exits (`| head -c 1`).
        case closedByReader
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], stdout: StandardOutput = .pipe) async throws -> Result {
        let (executable, arguments) = command(arguments, stdout: stdout)
        return try await ChildProcess.run(executable, arguments, environment: self.environment(environment))
    }

    /// Starts the binary, runs `body` with its pid while it runs, and returns how it ended (its
    /// standard output discarded).
    static func whileRunning(_ arguments: [String], environment: [String: String] = [:],
                             _ body: (pid_t) async throws -> Void) async throws -> Result {
        try await ChildProcess.whileRunning(executable.path, arguments, environment: self.environment(environment), body)
    }

    /// Waits (up to `seconds`) until the file at `path` exists and holds at least `bytes` bytes;
    /// returns its size then (-1: it never did). With `while`, stops waiting as soon as process
    /// `pid` has ended.
    @discardableResult
    static func waitForFile(_ path: String, atLeast bytes: Int = 0, seconds: Double = 20, while pid: pid_t? = nil) async throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var size = -1
        while Date() < deadline {
            size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
            if size >= bytes && size >= 0 { return size }
            if let pid, !isRunning(pid) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return size >= bytes ? size : -1
    }

    /// Whether process `pid` is running: it exists and is not a zombie waiting to be reaped.
    static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    /// The test's environment without its `PUBMED_MIRROR_*` variables, and with `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PUBMED_MIRROR_") }
        variables.merge(extra) { $1 }
        return variables
    }

    /// The binary, or bash setting its standard output up (`exec` keeps its exit status; for the
    /// pipe, PIPESTATUS does: 128 + the signal that ended it).
    private static func command(_ arguments: [String], stdout: StandardOutput) -> (String, [String]) {
        let script: String
        switch stdout {
        case .pipe: return (executable.path, arguments)
        case .full: script = #"exec "$0" "$@" > /dev/full"#
        case .closed: script = #"exec "$0" "$@" >&-"#
        case .closedByReader: script = #""$0" "$@" | head -c 1 > /dev/null; exit "${PIPESTATUS[0]}""#
        }
        return ("/bin/bash", ["-c", script, executable.path] + arguments)
    }
}

