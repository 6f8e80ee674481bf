import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Real servers on 127.0.0.1 for integration tests: vsftpd (FTP, explicit FTPS),
// apache2 (HTTP, HTTPS), and the two scriptable Python servers in Tests/Servers
// (faulty_ftpd.py, fault_proxy.py). `Scripts/install-test-deps` installs them all.

/// Folders the integration tests share.
struct TestPaths {
    /// The package root (the folder holding Package.swift), found from this file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // PubMedMirrorTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `shared/data/pubmed` beside the repository: real PubMed files (read-only).
    static let sharedData: URL = repositoryRoot
        .appendingPathComponent("../shared/data/pubmed", isDirectory: true)
        .standardizedFileURL
        .resolvingSymlinksInPath()

    /// A new, empty, world-traversable (0755) folder under the system temporary folder.
    ///
    /// Apache serves as `nobody`, so every folder from `/` down to a served tree must be
    /// world-executable; `/tmp` and the folders made here are.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("pubmed-mirror-tests", isDirectory: true)
        try makeDirectory(base)
        let safeLabel = String(label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        let folder = base.appendingPathComponent(
            "\(safeLabel)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try makeDirectory(folder)
        return folder
    }

    /// Creates `url` (and missing parents) with mode 0755, whatever the umask.
    static func makeDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }
}

/// A copy of NCBI's `pubmed/` tree built from the shared sample files.
enum ServedTree {
    /// Builds `root/pubmed/baseline/` and `root/pubmed/updatefiles/` from
    /// `sharedData/pmparser-samples/<cycle>/`, adds NCBI's `README.txt` to both folders
    /// and a `pubmedYYnNNNN_stats.html` beside each update file, makes it all
    /// world-readable, and returns `root/pubmed/`.
    static func make(cycles: [Int], at root: URL) throws -> URL {
        let fileManager = FileManager.default
        let pubmed = root.appendingPathComponent("pubmed", isDirectory: true)
        let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples", isDirectory: true)
        let readme = readmeText()
        for folder in ["baseline", "updatefiles"] {
            let destination = pubmed.appendingPathComponent(folder, isDirectory: true)
            try TestPaths.makeDirectory(destination)
            for cycle in cycles {
                let source = samples.appendingPathComponent("\(cycle)/\(folder)", isDirectory: true)
                guard fileManager.fileExists(atPath: source.path) else {
                    throw LoopbackServerError("no sample files for cycle \(cycle) at \(source.path)")
                }
                for name in try fileManager.contentsOfDirectory(atPath: source.path) {
                    let target = destination.appendingPathComponent(name)
                    try? fileManager.removeItem(at: target)
                    try fileManager.copyItem(at: source.appendingPathComponent(name), to: target)
                    if folder == "updatefiles", name.hasSuffix(".xml.gz") {
                        let stem = String(name.dropLast(".xml.gz".count))
                        try statsPage(for: name).write(
                            to: destination.appendingPathComponent("\(stem)_stats.html"),
                            atomically: true, encoding: .utf8)
                    }
                }
            }
            try readme.write(
                to: destination.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        }
        try makeWorldReadable(root)
        return pubmed
    }

    /// NCBI's own README (the newest edition in shared data), or a short stand-in.
    private static func readmeText() -> String {
        let folder = TestPaths.sharedData.appendingPathComponent("readme", isDirectory: true)
        let newest = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?
            .filter { $0.hasPrefix("README.txt") }.sorted().last
        if let newest,
            let text = try? String(contentsOf: folder.appendingPathComponent(newest), encoding: .utf8)
        {
            return text
        }
        return "PubMed baseline and update files: see the NLM terms and conditions.\n"
    }

    private static func statsPage(for name: String) -> String {
        """
        <html><head><title>\(name) statistics</title></head><body>
        <h3>Statistics for \(name)</h3>
        <p>Test copy: the real page lists the counts of new, revised and deleted citations.</p>
        </body></html>

        """
    }

    /// `chmod -R a+rX`: read for everyone, and search on folders.
    private static func makeWorldReadable(_ root: URL) throws {
        let fileManager = FileManager.default
        var paths = [root.path]
        if let enumerator = fileManager.enumerator(atPath: root.path) {
            for case let relative as String in enumerator {
                paths.append(root.appendingPathComponent(relative).path)
            }
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let mode = (try fileManager.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            let wanted = mode | 0o444 | (isDirectory.boolValue ? 0o111 : 0)
            if wanted != mode {
                try fileManager.setAttributes([.posixPermissions: wanted], ofItemAtPath: path)
            }
        }
    }
}

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

    private let process: Process
    private let logFile: URL
    private let processGroup: pid_t
    private let upstream: LoopbackServer?  // a proxy keeps its server alive
    private let lock = NSLock()
    private var stopped = false

    private init(
        name: String, port: Int, baseURL: URL, caFile: URL?, folder: URL, process: Process,
        logFile: URL, upstream: LoopbackServer? = nil
    ) {
        self.name = name
        self.port = port
        self.baseURL = baseURL
        self.caFile = caFile
        self.folder = folder
        self.process = process
        self.processGroup = getpgid(process.processIdentifier)
        self.logFile = logFile
        self.upstream = upstream
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// What the server logged about requests: vsftpd's protocol log (`FTP command: ...
    /// "RETR name"`), apache's access log (`GET /path HTTP/1.1 206 100 "bytes=100-199"`),
    /// or the Python servers' `--log` (one command or request line a line).
    ///
    /// Apache writes a line once the response is sent, so poll briefly after a transfer.
    func requestLog() -> String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Sends SIGTERM and waits up to 5 s for the server to end; then kills its whole process
    /// group (workers, sessions) with SIGKILL. Never blocks for more than about 10 s.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            process.terminate()
            if !Self.waitForExit(process, seconds: 5) {
                killGroup()
            }
        }
        killGroup()  // anything of the server's still in its group once it has gone
        // Foundation notices the exit only once every process holding the child's end of its
        // monitoring socket has gone, so waitUntilExit() could hang: poll with a bound.
        _ = Self.waitForExit(process, seconds: 5)
    }

    /// SIGKILL to the server's own process group (Foundation gives each child its own).
    private func killGroup() {
        if processGroup > 1, processGroup != getpgrp(), kill(-processGroup, 0) == 0 {
            kill(-processGroup, SIGKILL)
        }
    }

    private static func waitForExit(_ process: Process, seconds: TimeInterval) -> Bool {
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

// MARK: - vsftpd

extension LoopbackServer {
    /// Anonymous read-only vsftpd serving `root` (the folder holding `pubmed/`).
    ///
    /// With `tls`, explicit FTPS: AUTH TLS on the normal port, required for login and
    /// data; the base URL reads `ftps://` (curl's `ftps://` means implicit TLS, so give
    /// curl `ftp://` and `--ssl-reqd`).
    static func vsftpd(root: URL, tls: Bool) throws -> LoopbackServer {
        let root = servedRoot(root)
        let folder = try TestPaths.temporaryDirectory("vsftpd")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }  // a failed start leaves nothing
        let empty = folder.appendingPathComponent("empty", isDirectory: true)
        try TestPaths.makeDirectory(empty)  // secure_chroot_dir: empty, root-owned, 0755
        let logFile = folder.appendingPathComponent("vsftpd.log")
        let port = try freePort()
        let passive = try freePortRange(count: 16)
        var lines = [
            "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", "listen_port=\(port)",
            "background=NO", "anonymous_enable=YES", "no_anon_password=YES", "anon_root=\(root.path)",
            // Anonymous sessions run as Debian's `ftp` user (made by the vsftpd package),
            // whose home (/srv/ftp) must exist: vsftpd enters it before anon_root.
            "local_enable=NO", "write_enable=NO", "anon_upload_enable=NO",
            "anon_mkdir_write_enable=NO", "pasv_enable=YES", "pasv_address=127.0.0.1",
            "pasv_min_port=\(passive.lowerBound)", "pasv_max_port=\(passive.upperBound)",
            "connect_from_port_20=NO", "secure_chroot_dir=\(empty.path)", "seccomp_sandbox=NO",
            "dirmessage_enable=NO", "use_localtime=NO", "hide_ids=YES",
            // log_ftp_protocol needs xferlog_enable and the non-standard format, and then
            // writes every command and reply (and the transfers) to vsftpd_log_file.
            "xferlog_enable=YES", "xferlog_std_format=NO", "log_ftp_protocol=YES",
            "vsftpd_log_file=\(logFile.path)", "syslog_enable=NO",
            "idle_session_timeout=60", "data_connection_timeout=60", "max_per_ip=0",
            "ftpd_banner=vsftpd loopback test server",
        ]
        var caFile: URL?
        if tls {
            let certificate = try certificate.get()
            caFile = certificate.cert
            lines += [
                "ssl_enable=YES", "allow_anon_ssl=YES", "force_anon_logins_ssl=YES",
                "force_anon_data_ssl=YES", "rsa_cert_file=\(certificate.cert.path)",
                "rsa_private_key_file=\(certificate.key.path)", "ssl_ciphers=HIGH",
            ]
        }
        let config = folder.appendingPathComponent("vsftpd.conf")
        try (lines.joined(separator: "\n") + "\n").write(to: config, atomically: true, encoding: .utf8)

        let process = try launch(
            name: "vsftpd", executable: "/usr/sbin/vsftpd", arguments: [config.path], in: folder)
        try waitUntilListening(name: "vsftpd", port: port, process: process, folder: folder, logs: [logFile])
        started = true
        return LoopbackServer(
            name: "vsftpd", port: port,
            baseURL: URL(string: "\(tls ? "ftps" : "ftp")://127.0.0.1:\(port)/pubmed/")!,
            caFile: caFile, folder: folder, process: process, logFile: logFile)
    }
}

// MARK: - apache2

extension LoopbackServer {
    /// apache2 serving `root` (the folder holding `pubmed/`) with NCBI's fancy index
    /// listings and byte ranges. With `tls`, HTTPS on `https://localhost:PORT/pubmed/`.
    static func apache(root: URL, tls: Bool) throws -> LoopbackServer {
        let root = servedRoot(root)
        try checkWorldTraversable(root)
        let folder = try TestPaths.temporaryDirectory("apache")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }  // a failed start leaves nothing
        let runtime = folder.appendingPathComponent("run", isDirectory: true)
        try TestPaths.makeDirectory(runtime)
        let logFile = folder.appendingPathComponent("access.log")
        let errorLog = folder.appendingPathComponent("error.log")
        let mimeTypes = folder.appendingPathComponent("mime.types")
        // Our own types file: /etc/mime.types may be missing, and ".gz" must map to a type,
        // never to a Content-Encoding (clients would unzip the file).
        try "application/gzip gz\ntext/plain txt md5\ntext/html html\n"
            .write(to: mimeTypes, atomically: true, encoding: .utf8)
        let port = try freePort()
        let modules = "/usr/lib/apache2/modules"
        var lines = [
            "ServerRoot \"\(folder.path)\"",
            "ServerName localhost",
            "Listen 127.0.0.1:\(port)",
            "PidFile \"\(folder.path)/apache.pid\"",
            "DefaultRuntimeDir \"\(runtime.path)\"",
            "Mutex file:\(runtime.path) default",
            "ErrorLog \"\(errorLog.path)\"",
            "LogLevel warn",
            "LoadModule mpm_event_module \(modules)/mod_mpm_event.so",
            "LoadModule authz_core_module \(modules)/mod_authz_core.so",
            "LoadModule dir_module \(modules)/mod_dir.so",
            "LoadModule autoindex_module \(modules)/mod_autoindex.so",
            "LoadModule mime_module \(modules)/mod_mime.so",
            "StartServers 1", "ServerLimit 2", "ThreadsPerChild 16", "MaxRequestWorkers 32",
            "MinSpareThreads 4", "MaxSpareThreads 16",
            "User nobody", "Group nogroup",
            "TypesConfig \"\(mimeTypes.path)\"",
            // Request line, status, bytes and the Range header, so tests see resumes.
            "LogFormat \"%r %>s %b \\\"%{Range}i\\\"\" requests",
            "CustomLog \"\(logFile.path)\" requests",
            "DocumentRoot \"\(root.path)\"",
            "<Directory />", "  AllowOverride None", "  Require all denied", "</Directory>",
            "<Directory \"\(root.path)\">",
            "  Options +Indexes",
            "  IndexOptions FancyIndexing NameWidth=* SuppressDescription",
            "  Require all granted",
            "</Directory>",
        ]
        var caFile: URL?
        if tls {
            let certificate = try certificate.get()
            caFile = certificate.cert
            lines += [
                "LoadModule socache_shmcb_module \(modules)/mod_socache_shmcb.so",
                "LoadModule ssl_module \(modules)/mod_ssl.so",
                "SSLSessionCache \"shmcb:\(runtime.path)/ssl_scache(512000)\"",
                "SSLEngine on",
                "SSLCertificateFile \"\(certificate.cert.path)\"",
                "SSLCertificateKeyFile \"\(certificate.key.path)\"",
            ]
        }
        let config = folder.appendingPathComponent("apache2.conf")
        try (lines.joined(separator: "\n") + "\n").write(to: config, atomically: true, encoding: .utf8)

        let process = try launch(
            name: "apache2", executable: "/usr/sbin/apache2",
            arguments: ["-f", config.path, "-DFOREGROUND"], in: folder)
        try waitUntilListening(name: "apache2", port: port, process: process, folder: folder, logs: [errorLog])
        let base = tls ? "https://localhost:\(port)/pubmed/" : "http://127.0.0.1:\(port)/pubmed/"
        started = true
        return LoopbackServer(
            name: "apache", port: port, baseURL: URL(string: base)!, caFile: caFile,
            folder: folder, process: process, logFile: logFile)
    }

    /// Apache's workers run as `nobody`: each folder above `root` must let everyone through.
    private static func checkWorldTraversable(_ root: URL) throws {
        var url = root.standardizedFileURL
        while url.path != "/" {
            let mode = (try? FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) ?? 0
            if mode & 0o001 == 0 {
                throw LoopbackServerError(
                    "apache2 serves as nobody, who cannot enter \(url.path) (mode \(String(mode, radix: 8))); "
                        + "serve a tree under TestPaths.temporaryDirectory")
            }
            url.deleteLastPathComponent()
        }
    }
}

// MARK: - The Python fault servers

extension LoopbackServer {
    /// `Tests/Servers/faulty_ftpd.py` (pyftpdlib, from `.venv-test`) serving `root` (the folder
    /// holding `pubmed/`) on `ftp://127.0.0.1:PORT/pubmed/`, with fault flags in `arguments`
    /// (e.g. `["--cut-at", "1000"]`; see the script's docstring).
    static func faultyFTP(root: URL, arguments: [String]) throws -> LoopbackServer {
        let root = servedRoot(root)
        let folder = try TestPaths.temporaryDirectory("faulty-ftpd")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }  // a failed start leaves nothing
        let logFile = folder.appendingPathComponent("commands.log")
        let python = TestPaths.repositoryRoot.appendingPathComponent(".venv-test/bin/python")
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Servers/faulty_ftpd.py")
        let process = try launch(
            name: "faulty_ftpd", executable: python.path,
            arguments: [script.path, "--root", root.path, "--log", logFile.path] + arguments, in: folder)
        let port = try waitForPortLine(name: "faulty_ftpd", process: process, folder: folder)
        started = true
        return LoopbackServer(
            name: "faulty_ftpd", port: port, baseURL: URL(string: "ftp://127.0.0.1:\(port)/pubmed/")!,
            caFile: nil, folder: folder, process: process, logFile: logFile)
    }

    /// `Tests/Servers/fault_proxy.py` in front of a plain-HTTP `upstream` (apache), with fault
    /// flags in `arguments` (e.g. `["--status", "503", "--retry-after", "1"]`). Its base URL is
    /// the upstream's with the proxy's port; `requestLog()` is the proxy's own log.
    static func faultProxy(upstream: LoopbackServer, arguments: [String]) throws -> LoopbackServer {
        guard upstream.baseURL.scheme == "http" else {
            throw LoopbackServerError("fault_proxy reads HTTP heads, so it needs a plain-HTTP upstream")
        }
        let folder = try TestPaths.temporaryDirectory("fault-proxy")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }  // a failed start leaves nothing
        let logFile = folder.appendingPathComponent("requests.log")
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Servers/fault_proxy.py")
        let process = try launch(
            name: "fault_proxy", executable: "/usr/bin/python3",
            arguments: [script.path, "--upstream", "127.0.0.1:\(upstream.port)", "--log", logFile.path]
                + arguments,
            in: folder)
        let port = try waitForPortLine(name: "fault_proxy", process: process, folder: folder)
        var components = URLComponents(url: upstream.baseURL, resolvingAgainstBaseURL: false)!
        components.port = port
        started = true
        return LoopbackServer(
            name: "fault_proxy", port: port, baseURL: components.url!, caFile: nil, folder: folder,
            process: process, logFile: logFile, upstream: upstream)
    }
}

// MARK: - Processes

extension LoopbackServer {
    /// Starts the server binary itself (never a shell: killing a shell leaves the server
    /// running), its stdout and stderr going to files in `folder`.
    fileprivate static func launch(
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
    private static func runWithDefaultSignalMask(_ process: Process) throws {
        var none = sigset_t()
        var previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    /// Polls the kernel's socket table until `port` is in LISTEN state (up to 5 s). Unlike a
    /// test connection, this leaves no trace in the server's logs.
    fileprivate static func waitUntilListening(
        name: String, port: Int, process: Process, folder: URL, logs: [URL]
    ) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if isListening(port: port) { return }
            if !process.isRunning { break }
            usleep(20_000)
        }
        let reason = process.isRunning ? "did not listen on port \(port) within 20 s" : "exited at once"
        terminate(process)
        throw startFailure(name: name, reason: reason, folder: folder, logs: logs)
    }

    /// Reads the `PORT <n>` line the Python servers print once listening (up to 10 s).
    fileprivate static func waitForPortLine(name: String, process: Process, folder: URL) throws -> Int {
        let stdout = folder.appendingPathComponent("stdout.txt")
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let text = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, line.hasPrefix("PORT "),
                let port = Int(line.dropFirst("PORT ".count).trimmingCharacters(in: .whitespaces))
            {
                return port
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        let reason = process.isRunning ? "printed no PORT line within 10 s" : "exited at once"
        terminate(process)
        throw startFailure(name: name, reason: reason, folder: folder, logs: [])
    }

    private static func terminate(_ process: Process) {
        let group = getpgid(process.processIdentifier)
        if process.isRunning {
            process.terminate()
        }
        if !waitForExit(process, seconds: 5), group > 1, group != getpgrp() {
            kill(-group, SIGKILL)
            _ = waitForExit(process, seconds: 5)
        }
    }

    private static func startFailure(name: String, reason: String, folder: URL, logs: [URL]) -> LoopbackServerError {
        var message = "\(name) \(reason); run Scripts/install-test-deps as root if it is not installed."
        let files = [folder.appendingPathComponent("stderr.txt"), folder.appendingPathComponent("stdout.txt")] + logs
        for file in files {
            guard let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty else { continue }
            message += "\n--- \(file.lastPathComponent) ---\n" + String(text.suffix(4000))
        }
        return LoopbackServerError(message)
    }

    /// Accepts the `pubmed/` folder itself as well as the folder holding it.
    fileprivate static func servedRoot(_ root: URL) -> URL {
        let pubmed = root.appendingPathComponent("pubmed", isDirectory: true)
        if !FileManager.default.fileExists(atPath: pubmed.path), root.lastPathComponent == "pubmed" {
            return root.deletingLastPathComponent()
        }
        return root
    }
}

// MARK: - Certificate

extension LoopbackServer {
    fileprivate struct Certificate: Sendable {
        let cert: URL
        let key: URL
    }

    /// One self-signed certificate per test process, made on first use.
    fileprivate static let certificate: Result<Certificate, any Error> = Result { try makeCertificate() }

    private static func makeCertificate() throws -> Certificate {
        removeCertificatesOfEndedProcesses()
        let folder = try TestPaths.temporaryDirectory("tls-\(getpid())")
        let cert = folder.appendingPathComponent("cert.pem")
        let key = folder.appendingPathComponent("key.pem")
        let process = try launch(
            name: "openssl", executable: "/usr/bin/openssl",
            arguments: [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", cert.path,
                "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ],
            in: folder)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw startFailure(
                name: "openssl", reason: "could not make a certificate (exit \(process.terminationStatus))",
                folder: folder, logs: [])
        }
        return Certificate(cert: cert, key: key)
    }

    /// Removes the `tls-PID-*` folders of test processes that have ended.
    private static func removeCertificatesOfEndedProcesses() {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("pubmed-mirror-tests", isDirectory: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] {
            let parts = name.split(separator: "-")
            guard parts.count == 3, parts[0] == "tls", let pid = pid_t(parts[1]) else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
            }
        }
    }
}

// MARK: - Ports

extension LoopbackServer {
    #if canImport(Darwin)
    fileprivate static let streamSocketType = SOCK_STREAM
    #else
    fileprivate static let streamSocketType = Int32(SOCK_STREAM.rawValue)
    #endif

    fileprivate static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }

    /// Binds `port` on 127.0.0.1 (0: any) and returns the port bound, or nil if it is taken.
    private static func bindablePort(_ port: Int) -> Int? {
        let descriptor = socket(AF_INET, streamSocketType, 0)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var address = loopbackAddress(port: port)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, size) }
        }
        guard bound == 0 else { return nil }
        var length = size
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A port the kernel just called free (there is a small window before the server binds it).
    fileprivate static func freePort() throws -> Int {
        guard let port = bindablePort(0) else {
            throw LoopbackServerError("could not bind a port on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        return port
    }

    /// `count` consecutive free ports for passive data connections, below the kernel's
    /// ephemeral range (32768 and up) so that client sockets never land there.
    fileprivate static func freePortRange(count: Int) throws -> ClosedRange<Int> {
        for _ in 0..<100 {
            let start = Int.random(in: 20_000...(32_000 - count))
            let range = start...(start + count - 1)
            if range.allSatisfy({ bindablePort($0) != nil }) {
                return range
            }
        }
        throw LoopbackServerError("found no \(count) free consecutive ports for passive FTP")
    }

    /// True if /proc/net/tcp shows a socket listening on 127.0.0.1 or 0.0.0.0 at `port`.
    private static func isListening(port: Int) -> Bool {
        guard let table = try? String(contentsOfFile: "/proc/net/tcp", encoding: .utf8) else {
            return acceptsConnections(port: port)  // not Linux: probe instead
        }
        let hexPort = String(format: "%04X", port)
        let listening = "0A"
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3 else { continue }
            let local = fields[1]
            if (local == "0100007F:\(hexPort)" || local == "00000000:\(hexPort)") && fields[3] == listening {
                return true
            }
        }
        return false
    }
}
