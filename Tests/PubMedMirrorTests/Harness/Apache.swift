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
        try "application/gzip gz\ntext/plain txt md5\ntext/html html\n"
            .write(to: folder.appendingPathComponent("mime.types"), atomically: true, encoding: .utf8)
        let port = try freePort()
        // The configuration the benchmarks use too.
        let template = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("Tests/Servers/apache2.conf.in"), encoding: .utf8)
        var lines = [template.replacingOccurrences(of: "@FOLDER@", with: folder.path)
            .replacingOccurrences(of: "@PORT@", with: String(port)).replacingOccurrences(of: "@ROOT@", with: root.path)]
        var caFile: URL?
        if tls {
            let certificate = try await Self.certificate.value
            caFile = certificate.cert
            let modules = "/usr/lib/apache2/modules"
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
