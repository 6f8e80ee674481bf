import Foundation
import PubMedSupport

/// How every request is made: timeouts, TLS trust and credentials.
public struct TransferOptions: Sendable {
    /// Seconds allowed for the TCP (and TLS) connection to be set up.
    public var connectTimeout: Double = 30
    /// Seconds without a single byte of progress after which a request counts as stalled. There is
    /// no whole-transfer timeout: a slow but moving download of a 20 MB file is fine.
    public var stallTimeout: Double = 60
    /// Skip TLS certificate verification (`--insecure`).
    public var insecure = false
    /// A PEM file of extra certificate authorities to trust (`--ca-file`).
    public var caFile: String?
    /// From PUBMED_MIRROR_USER / PUBMED_MIRROR_PASSWORD; anonymous when nil. Never printed.
    public var credentials: Credentials?
    /// SFTP: the private key to log in with (PUBMED_MIRROR_SSH_KEY); the password, if any, unlocks it.
    public var sshKeyFile: String?
    /// SFTP: the OpenSSH known-hosts file the server's host key must be in (`--known-hosts`);
    /// `insecure` skips the check.
    public var knownHostsFile: String?
    /// Whether the server is the mirror's source or a `publish` target (for the advice errors carry).
    public var role: Role = .source
    public enum Role: Sendable { case source, target }
    public var userAgent = "pubmed-mirror/\(PubMedMirrorVersion.current)"

    public init() {}

    /// The user this process runs as: SFTP's login when none is given, as ssh's.
    public static var localUserName: String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return ProcessInfo.processInfo.environment["USER"] ?? "root"
    }

    public struct Credentials: Sendable {
        public var user: String
        public var password: String
        public init(user: String, password: String) {
            self.user = user
            self.password = password
        }
    }
}
