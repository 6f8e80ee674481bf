import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - apache2

extension LoopbackServer {
    /// apache2 serving `root` (the folder holding `pubmed/`) with NCBI's fancy index
    /// listings and byte ranges. With `tls`, HTTPS on `https://localhost:PORT/pubmed/`.
    static func apache(root: URL, tls: Bool) async throws -> LoopbackServer {
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
            let certificate = try await Self.certificate.value
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
        try await waitUntilListening(name: "apache2", port: port, process: process, folder: folder, logs: [errorLog])
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
