import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - vsftpd

extension LoopbackServer {
    /// Anonymous read-only vsftpd serving `root` (the folder holding `pubmed/`).
    ///
    /// With `tls`, explicit FTPS: AUTH TLS on the normal port, required for login and
    /// data; the base URL reads `ftps://` (curl's `ftps://` means implicit TLS, so give
    /// curl `ftp://` and `--ssl-reqd`).
    static func vsftpd(root: URL, tls: Bool) async throws -> LoopbackServer {
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
            let certificate = try await Self.certificate.value
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
        try await waitUntilListening(name: "vsftpd", port: port, process: process, folder: folder, logs: [logFile])
        started = true
        return LoopbackServer(
            name: "vsftpd", port: port,
            baseURL: URL(string: "\(tls ? "ftps" : "ftp")://127.0.0.1:\(port)/pubmed/")!,
            caFile: caFile, folder: folder, process: process, logFile: logFile)
    }
}
