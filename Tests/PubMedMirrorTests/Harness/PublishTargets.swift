import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Servers that `publish` writes to

/// A writable server on loopback for `publish`: where the target folder is on disk, and what the
/// binary needs to log in (its environment and options).
struct PublishTarget: Sendable {
    /// nil for a local folder (`file://`).
    let server: LoopbackServer?
    /// The target URL, `…/pubmed/`, holding `baseline/` and `updatefiles/` once published.
    let url: URL
    /// The folder on disk behind `url`.
    let tree: URL
    /// vsftpd: the user's chroot, the folder that holds `tree`.
    var root: URL { tree.deletingLastPathComponent() }
    /// `PUBMED_MIRROR_TARGET_USER` and the password or SSH key, for the binary.
    let environment: [String: String]
    /// `--ca-file` (FTPS) or `--known-hosts` (SFTP).
    let arguments: [String]
    /// The secret the environment holds, which must never show in output or logs.
    let secret: String

    /// `publish --target URL` with the login and trust this server needs (or `trust` instead).
    func publish(_ mirror: URL, _ extra: [String] = [], trust: [String]? = nil) -> [String] {
        ["publish", "--mirror", mirror.path, "--target", url.absoluteString, "--retry-base", "0.05", "--retry-cap", "0.2",
         "--stall-timeout", "3", "--connect-timeout", "5"] + (trust ?? arguments) + extra
    }
}

extension LoopbackServer {
    /// The local user the writable vsftpd logs in (made by Scripts/install-test-deps, no login
    /// shell, its own PAM service); the harness gives it a fresh random password once per test run.
    static let publishUser = "pubmed-mirror-test"

    private static let publishPassword = Task<String, any Error> {
        guard getpwnam(publishUser) != nil, FileManager.default.fileExists(atPath: "/etc/pam.d/\(publishUser)") else {
            throw LoopbackServerError("the user \(publishUser) or its PAM service is missing: run Scripts/install-test-deps as root")
        }
        let password = "pw-" + UUID().uuidString.prefix(12)
        let script = "printf '%s:%s\\n' \"$0\" \"$1\" | chpasswd"
        let set = try await ChildProcess.run("/bin/sh", ["-c", script, publishUser, password])
        guard set.status == 0 else { throw LoopbackServerError("chpasswd failed (\(set.status)): \(set.stderr)") }
        return password
    }

    /// vsftpd with the local user allowed to write, chrooted to a folder of the test's (or to the
    /// `root` of an earlier one); with `tls`, explicit FTPS required for login and data; with
    /// `maxRate`, transfers paced to that many bytes a second.
    static func writableVsftpd(tls: Bool, maxRate: Int? = nil, root existing: URL? = nil) async throws -> PublishTarget {
        let password = try await publishPassword.value
        let folder = try TestPaths.temporaryDirectory("vsftpd-target")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }
        let empty = folder.appendingPathComponent("empty", isDirectory: true)
        try TestPaths.makeDirectory(empty)
        let root = existing ?? folder.appendingPathComponent("root", isDirectory: true)
        try TestPaths.makeDirectory(root)
        guard let user = getpwnam(publishUser) else { throw LoopbackServerError("no user \(publishUser)") }
        guard chown(root.path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else { throw LoopbackServerError("chown \(root.path) failed") }
        let logFile = folder.appendingPathComponent("vsftpd.log")
        let port = try freePort()
        let passive = try freePortRange(count: 16)
        var lines = [
            "listen=YES", "listen_ipv6=NO", "listen_address=127.0.0.1", "listen_port=\(port)", "background=NO",
            "anonymous_enable=NO", "local_enable=YES", "write_enable=YES", "local_umask=022",
            "chroot_local_user=YES", "allow_writeable_chroot=YES", "local_root=\(root.path)",
            "pam_service_name=\(publishUser)", "userlist_enable=NO",
            "pasv_enable=YES", "pasv_address=127.0.0.1", "pasv_min_port=\(passive.lowerBound)", "pasv_max_port=\(passive.upperBound)",
            "connect_from_port_20=NO", "secure_chroot_dir=\(empty.path)", "seccomp_sandbox=NO", "dirmessage_enable=NO",
            "use_localtime=NO", "xferlog_enable=YES", "xferlog_std_format=NO", "log_ftp_protocol=YES",
            "vsftpd_log_file=\(logFile.path)", "syslog_enable=NO", "idle_session_timeout=60", "data_connection_timeout=60",
            "max_per_ip=0", "ftpd_banner=vsftpd loopback publish target",
        ]
        if let maxRate { lines.append("local_max_rate=\(maxRate)") }
        var arguments: [String] = []
        if tls {
            let certificate = try await Self.certificate.value
            arguments = ["--ca-file", certificate.cert.path]
            lines += [
                "ssl_enable=YES", "force_local_logins_ssl=YES", "force_local_data_ssl=YES", "rsa_cert_file=\(certificate.cert.path)",
                "rsa_private_key_file=\(certificate.key.path)", "ssl_ciphers=HIGH", "require_ssl_reuse=NO",
            ]
        }
        let config = folder.appendingPathComponent("vsftpd.conf")
        try (lines.joined(separator: "\n") + "\n").write(to: config, atomically: true, encoding: .utf8)
        let process = try launch(name: "vsftpd", executable: "/usr/sbin/vsftpd", arguments: [config.path], in: folder)
        try await waitUntilListening(name: "vsftpd", port: port, process: process, folder: folder, logs: [logFile])
        started = true
        let url = URL(string: "\(tls ? "ftps" : "ftp")://127.0.0.1:\(port)/pubmed/")!
        let server = LoopbackServer(name: "vsftpd", port: port, baseURL: url, caFile: arguments.isEmpty ? nil : URL(fileURLWithPath: arguments[1]),
                                    folder: folder, process: process, logFile: logFile)
        return PublishTarget(server: server, url: url, tree: root.appendingPathComponent("pubmed", isDirectory: true),
                             environment: ["PUBMED_MIRROR_TARGET_USER": publishUser, "PUBMED_MIRROR_TARGET_PASSWORD": password],
                             arguments: arguments, secret: password)
    }

    /// OpenSSH's sshd in the foreground with its own host key, SFTP by its internal server, logging
    /// this user in with a key of the test's; the known-hosts file holds the host key. The target
    /// folder is `root` when given (a small disk, say), else one of the test's.
    static func sshd(root: URL? = nil) async throws -> PublishTarget {
        let folder = try TestPaths.temporaryDirectory("sshd")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }
        // sshd's privilege separation folder (systemd makes it; here nobody has).
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o755])
        let hostKey = folder.appendingPathComponent("host_ed25519")
        let clientKey = folder.appendingPathComponent("client_ed25519")
        for key in [hostKey, clientKey] {
            let made = try await ChildProcess.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", key.path])
            guard made.status == 0 else { throw LoopbackServerError("ssh-keygen failed (\(made.status)): \(made.stderr); run Scripts/install-test-deps") }
        }
        let authorized = folder.appendingPathComponent("authorized_keys")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: clientKey.path + ".pub"), to: authorized)
        let port = try freePort()
        let hostPublic = try String(contentsOfFile: hostKey.path + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let knownHosts = folder.appendingPathComponent("known_hosts")
        try "[127.0.0.1]:\(port) \(hostPublic)\n".write(to: knownHosts, atomically: true, encoding: .utf8)
        let logFile = folder.appendingPathComponent("stderr.txt")
        let config = folder.appendingPathComponent("sshd_config")
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey.path)
            PidFile \(folder.path)/sshd.pid
            AuthorizedKeysFile \(authorized.path)
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            UsePAM no
            Subsystem sftp internal-sftp -l INFO
            LogLevel INFO

            """.write(to: config, atomically: true, encoding: .utf8)
        let target = root ?? folder.appendingPathComponent("target", isDirectory: true)
        try TestPaths.makeDirectory(target)
        let process = try launch(name: "sshd", executable: "/usr/sbin/sshd", arguments: ["-D", "-e", "-f", config.path], in: folder)
        try await waitUntilListening(name: "sshd", port: port, process: process, folder: folder, logs: [])
        started = true
        let url = URL(string: "sftp://127.0.0.1:\(port)\(target.path)/pubmed/")!
        let server = LoopbackServer(name: "sshd", port: port, baseURL: url, caFile: nil, folder: folder, process: process, logFile: logFile)
        let user = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        return PublishTarget(server: server, url: url, tree: target.appendingPathComponent("pubmed", isDirectory: true),
                             environment: ["PUBMED_MIRROR_TARGET_USER": user, "PUBMED_MIRROR_TARGET_SSH_KEY": clientKey.path],
                             arguments: ["--known-hosts", knownHosts.path], secret: clientKey.path)
    }

    /// `faulty_ftpd.py` with a user allowed to write under a folder of the test's, and upload
    /// faults in `arguments` (e.g. `["--stor-full-after", "1000"]`).
    static func writableFaultyFTP(arguments: [String], root existing: URL? = nil) async throws -> PublishTarget {
        let root = try existing ?? TestPaths.temporaryDirectory("faulty-target")
        let password = "pw-" + UUID().uuidString.prefix(12)
        let server = try await faultyFTP(root: root, arguments: ["--writer", "publisher:\(password)"] + arguments)
        return PublishTarget(server: server, url: server.baseURL, tree: root.appendingPathComponent("pubmed", isDirectory: true),
                             environment: ["PUBMED_MIRROR_TARGET_USER": "publisher", "PUBMED_MIRROR_TARGET_PASSWORD": password],
                             arguments: [], secret: password)
    }
}
