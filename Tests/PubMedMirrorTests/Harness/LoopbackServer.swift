import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Real servers on 127.0.0.1 for integration tests: vsftpd (FTP, explicit FTPS), apache2 (HTTP,
// HTTPS), and the two scriptable Python servers in Tests/Servers (faulty_ftpd.py, fault_proxy.py).
// `Scripts/install-test-deps` installs them all. One file per server; processes and ports here.

/// Why a loopback server could not be started, with the server's own output.
struct LoopbackServerError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// One real server process on 127.0.0.1, started for a test and stopped by `stop()` or `deinit`.
///
/// Everything the server writes (config, logs, pid file) lives in `folder`, removed in
/// `deinit`. The class is `@unchecked Sendable` because its only mutable state, `stopped`,
/// is guarded by `lock`; a server may be stopped from any thread.
final class LoopbackServer: @unchecked Sendable {
    /// `vsftpd`, `apache`, `faulty_ftpd` or `fault_proxy`, for messages.
    let name: String
    let port: Int
    /// The served `pubmed/` folder, e.g. `ftp://127.0.0.1:PORT/pubmed/`.
    let baseURL: URL
    /// The self-signed certificate (CN localhost, SANs localhost and 127.0.0.1) of a TLS server.
    let caFile: URL?
    /// The server's private folder: config, logs, pid file.
    let folder: URL

    private let handle: ServerProcess
    private let logFile: URL
    private let upstream: LoopbackServer?  // a proxy keeps its server alive

    init(
        name: String, port: Int, baseURL: URL, caFile: URL?, folder: URL, process: Process,
        logFile: URL, upstream: LoopbackServer? = nil
    ) {
        self.name = name
        self.port = port
        self.baseURL = baseURL
        self.caFile = caFile
        self.folder = folder
        self.handle = ServerProcess(process)
        self.logFile = logFile
        self.upstream = upstream
    }

    /// Stops the server on a thread of its own (stopping waits for the process to go), then removes
    /// its folder: a test that drops its server never blocks the test threads.
    deinit {
        let handle = self.handle, folder = self.folder
        let thread = Thread {
            handle.stop()
            try? FileManager.default.removeItem(at: folder)
        }
        thread.start()
    }

    /// What the server logged about requests: vsftpd's protocol log (`FTP command: ...
    /// "RETR name"`), apache's access log (`GET /path HTTP/1.1 206 100 "bytes=100-199"`),
    /// or the Python servers' `--log` (one command or request line a line).
    ///
    /// Apache writes a line once the response is sent, so poll briefly after a transfer.
    func requestLog() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Stops the server now (see `ServerProcess.stop`), waiting on a thread of its own.
    @discardableResult
    func stop() async -> ServerProcess.Stopped {
        let handle = self.handle
        return await withCheckedContinuation { (continuation: CheckedContinuation<ServerProcess.Stopped, Never>) in
            let thread = Thread { continuation.resume(returning: handle.stop()) }
            thread.start()
        }
    }

    static func waitForExit(_ process: Process, seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() > deadline { return false }
            usleep(10_000)
        }
        return true
    }

    /// True if something on 127.0.0.1 accepts a TCP connection on `port`.
    static func acceptsConnections(port: Int) -> Bool {
        let descriptor = socket(AF_INET, streamSocketType, 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = loopbackAddress(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}

// MARK: - Processes

extension LoopbackServer {
    /// Starts the server binary itself (never a shell: killing a shell leaves the server
    /// running), its stdout and stderr going to files in `folder`.
    static func launch(
        name: String, executable: String, arguments: [String], in folder: URL
    ) throws -> Process {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw LoopbackServerError(
                "\(name) is not installed (\(executable) is missing): run Scripts/install-test-deps as root")
        }
        let stdout = folder.appendingPathComponent("stdout.txt")
        let stderr = folder.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let output = try FileHandle(forWritingTo: stdout)
        let errors = try FileHandle(forWritingTo: stderr)
        defer {
            try? output.close()  // the child has its own copies
            try? errors.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        do {
            try runWithDefaultSignalMask(process)
        } catch {
            throw LoopbackServerError(
                "\(name) could not be started (\(error)): run Scripts/install-test-deps as root")
        }
        return process
    }

    /// Starts `process` from this thread with no signal blocked.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and test code runs on
    /// Dispatch threads that block nearly every signal, SIGTERM included: a server started
    /// from there ignores `stop()`, and apache, killed instead, leaves its workers behind.
    /// The window is harmless: a process-wide signal delivered to this thread meanwhile
    /// gets the process's normal handling.
    static func runWithDefaultSignalMask(_ process: Process) throws {
        var none = sigset_t()
        var previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// Polls the kernel's socket table until `port` is in LISTEN state (up to 20 s). Unlike a
    /// test connection, this leaves no trace in the server's logs.
    static func waitUntilListening(
        name: String, port: Int, process: Process, folder: URL, logs: [URL]
    ) async throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if isListening(port: port) { return }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let reason = process.isRunning ? "did not listen on port \(port) within 20 s" : "exited at once"
        terminate(process)
        throw startFailure(name: name, reason: reason, folder: folder, logs: logs)
    }

    /// Reads the `PORT <n>` line the Python servers print once listening (up to 30 s: at the start
    /// of a full parallel run, with dozens of servers and builds starting, eight Python servers
    /// started at once once took more than 10 s to import pyftpdlib and print it).
    static func waitForPortLine(name: String, process: Process, folder: URL) async throws -> Int {
        let stdout = folder.appendingPathComponent("stdout.txt")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, line.hasPrefix("PORT "),
                let port = Int(line.dropFirst("PORT ".count).trimmingCharacters(in: .whitespaces))
            {
                return port
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let reason = process.isRunning ? "printed no PORT line within 30 s" : "exited at once"
        terminate(process)
        throw startFailure(name: name, reason: reason, folder: folder, logs: [])
    }

    static func terminate(_ process: Process) {
        let group = getpgid(process.processIdentifier)
        if process.isRunning {
            process.terminate()
        }
        if !waitForExit(process, seconds: 5), group > 1, group != getpgrp() {
            kill(-group, SIGKILL)
            _ = waitForExit(process, seconds: 5)
        }
    }

    static func startFailure(name: String, reason: String, folder: URL, logs: [URL]) -> LoopbackServerError {
        var message = "\(name) \(reason); run Scripts/install-test-deps as root if it is not installed."
        let files = [folder.appendingPathComponent("stderr.txt"), folder.appendingPathComponent("stdout.txt")] + logs
        for file in files {
            guard let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty else { continue }
            message += "\n--- \(file.lastPathComponent) ---\n" + String(text.suffix(4000))
        }
        return LoopbackServerError(message)
    }

    /// Accepts the `pubmed/` folder itself as well as the folder holding it.
    static func servedRoot(_ root: URL) -> URL {
        let pubmed = root.appendingPathComponent("pubmed", isDirectory: true)
        if !FileManager.default.fileExists(atPath: pubmed.path), root.lastPathComponent == "pubmed" {
            return root.deletingLastPathComponent()
        }
        return root
    }
}

/// A server's process, stopped once, from any thread: SIGTERM, up to 5 s for it to end, then
/// SIGKILL to its whole process group (workers, sessions). `@unchecked Sendable`: `stopped` is
/// behind `lock`; `Process` is used only to signal and to ask whether it runs.
final class ServerProcess: @unchecked Sendable {
    private let process: Process
    private let processGroup: pid_t
    private let lock = NSLock()
    private var stopped = false

    init(_ process: Process) {
        self.process = process
        processGroup = getpgid(process.processIdentifier)
    }

    /// How a stop went.
    enum Stopped: Sendable, Equatable {
        /// It ended on SIGTERM, as a well-behaved server does.
        case ended
        /// It ignored SIGTERM for 5 s and was killed.
        case killed
        /// It had already stopped (or was stopped before).
        case alreadyStopped
    }

    /// Blocks for up to about 10 s: call it off the test threads.
    @discardableResult
    func stop() -> Stopped {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return .alreadyStopped }
        stopped = true
        var outcome = Stopped.alreadyStopped
        if process.isRunning {
            process.terminate()
            outcome = LoopbackServer.waitForExit(process, seconds: 5) ? .ended : .killed
            if outcome == .killed { killGroup() }
        }
        killGroup()  // anything of the server's still in its group once it has gone
        // Foundation notices the exit only once every process holding the child's end of its
        // monitoring socket has gone, so waitUntilExit() could hang: poll with a bound.
        _ = LoopbackServer.waitForExit(process, seconds: 5)
        return outcome
    }

    /// SIGKILL to the server's own process group (Foundation gives each child its own).
    private func killGroup() {
        if processGroup > 1, processGroup != getpgrp(), kill(-processGroup, 0) == 0 {
            kill(-processGroup, SIGKILL)
        }
    }
}
