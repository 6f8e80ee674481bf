import PubMedSupport

/// A failed request, classified so that the caller knows whether to retry it.
public struct TransferError: CodedError {
    public enum Kind: Sendable, Equatable {
        /// Worth retrying after a pause: resets, timeouts, stalls, FTP 421/425/426/450/451, HTTP 408/429/5xx.
        case transient
        /// Retrying will not help: not found, login refused, certificate not trusted.
        case permanent
        /// The user or a signal asked the run to stop.
        case cancelled
    }

    /// How much a failure says about the rest of the run.
    public enum Scope: Sendable, Equatable {
        /// Only this file is affected (not found, damaged file).
        case file
        /// Every request to this server will fail the same way (login, TLS trust, bad URL).
        case run
    }

    public var kind: Kind
    public var scope: Scope
    /// What failed, as a stable name (`transfer.timed-out`, `transfer.tls-untrusted`).
    public var code: ErrorCode
    /// The URL of the request, without credentials.
    public var url: String
    /// One sentence saying what went wrong.
    public var summary: String
    /// What the user can do about it.
    public var advice: [Advice]
    /// Seconds the server asked us to wait (HTTP Retry-After).
    public var retryAfter: Double?
    /// libcurl's CURLcode, when the failure came from libcurl.
    public var curlCode: Int?
    /// The last FTP reply or HTTP status code, when there was one.
    public var responseCode: Int?

    public init(kind: Kind, scope: Scope, code: ErrorCode? = nil, url: String, summary: String, advice: [Advice] = [],
                retryAfter: Double? = nil, curlCode: Int? = nil, responseCode: Int? = nil) {
        self.kind = kind
        self.scope = scope
        self.code = code ?? Self.defaultCode(kind)
        self.url = url
        self.summary = summary
        self.advice = advice
        self.retryAfter = retryAfter
        self.curlCode = curlCode
        self.responseCode = responseCode
    }

    public var isTransient: Bool { kind == .transient }

    public var description: String {
        url.isEmpty ? summary : "\(url): \(summary)"
    }

    private static func defaultCode(_ kind: Kind) -> ErrorCode {
        switch kind {
        case .transient: .transferFailed
        case .permanent: .transferRefused
        case .cancelled: .cancelled
        }
    }
}

extension ErrorCode {
    /// A request failed for a passing reason (connection reset, server error) and kept failing.
    public static let transferFailed = ErrorCode("transfer.failed", .serverUnreachable)
    public static let transferTimedOut = ErrorCode("transfer.timed-out", .serverUnreachable)
    public static let transferStalled = ErrorCode("transfer.stalled", .serverUnreachable)
    public static let transferUnresolvedHost = ErrorCode("transfer.unresolved-host", .serverUnreachable)
    public static let transferCannotConnect = ErrorCode("transfer.cannot-connect", .serverUnreachable)
    public static let transferTooManyConnections = ErrorCode("transfer.too-many-connections", .serverUnreachable)
    public static let transferServerError = ErrorCode("transfer.server-error", .serverUnreachable)
    /// The server refused for good, for a reason of its own.
    public static let transferRefused = ErrorCode("transfer.refused", .serverRefused)
    public static let transferLoginRefused = ErrorCode("transfer.login-refused", .serverRefused)
    public static let transferTLSUntrusted = ErrorCode("transfer.tls-untrusted", .serverRefused)
    public static let transferNoTLS = ErrorCode("transfer.no-tls", .serverRefused)
    public static let transferNotFound = ErrorCode("transfer.not-found", .serverRefused)
    public static let transferBadURL = ErrorCode("transfer.bad-url", .serverRefused)
    public static let transferUnsupported = ErrorCode("transfer.unsupported", .serverRefused)
    /// Writing to a server (`publish`): no room left, a name it will not take, no right to write.
    public static let transferStorageFull = ErrorCode("transfer.storage-full", .serverRefused)
    public static let transferNameRefused = ErrorCode("transfer.name-refused", .serverRefused)
    public static let transferWriteRefused = ErrorCode("transfer.write-refused", .serverRefused)
    /// SFTP: the server failed a write without saying why (OpenSSH: a full disk among others).
    public static let transferWriteFailed = ErrorCode("transfer.write-failed", .serverRefused)
    /// SFTP: the server's host key is not in the known-hosts file, or differs from it.
    public static let transferHostKeyUnverified = ErrorCode("transfer.host-key-unverified", .serverRefused)
    /// The server's response is far larger than such a file can be.
    public static let transferResponseTooLarge = ErrorCode("transfer.response-too-large", .serverData)
    /// libcurl itself cannot be used: missing, too old, or refusing an option the mirror relies on.
    public static let transferLibcurl = ErrorCode("transfer.libcurl", .local)
}

extension Advice {
    public static let raiseStallTimeout = Advice("raise-stall-timeout", "allow longer without data before a request counts as stalled, if the link is very slow")
    public static let checkTimeouts = Advice("check-timeouts", "allow longer for connecting and between data")
    public static let lowerJobs = Advice("lower-jobs", "use fewer parallel transfers if this persists")
    public static let checkCredentials = Advice("check-credentials", "NCBI needs no login; check the user and password given")
    public static let trustCertificate = Advice("trust-certificate", "add the server's certificate authority to the trusted ones, or skip verification only if you accept the risk")
    public static let usePlainFTP = Advice("use-plain-ftp", "use ftp:// instead of ftps:// if the server has no TLS")
    public static let checkSource = Advice("check-source", "check the source URL")
    public static let checkSourceAndDNS = Advice("check-source-and-dns", "check the source URL and this machine's DNS")
    public static let checkSourceFolder = Advice("check-source-folder", "check that the source names the folder that holds baseline/ and updatefiles/")
    public static let tryAgainLater = Advice("try-again-later", "try again later")
    public static let credentialsFromEnvironment = Advice("credentials-from-environment", "give the user and password separately, not inside the URL")
    public static let freeTargetSpace = Advice("free-target-space", "free space on the target server; what is published there is intact")
    public static let checkTargetPermissions = Advice("check-target-permissions", "check that the target's user may create, rename and delete files in its folders")
    public static let addKnownHost = Advice("add-known-host", "add the server's host key to the known-hosts file (ssh-keyscan), after checking it")
    public static let checkTargetCredentials = Advice("check-target-credentials", "check the target's user and password")
    public static let checkSSHCredentials = Advice("check-ssh-credentials", "check the user and the SSH key file given")
    public static let installLibcurl = Advice("install-libcurl", "install libcurl 7.85 or later (Debian: libcurl4-openssl-dev)")
}

/// Why a download into a `.partial` file failed: the request, the local file, or the server sending
/// more than it listed.
public enum DownloadError: CodedError {
    case transfer(TransferError)
    case local(FileSystemError)
    /// The server sent more bytes than the listing announced (the bytes past it were refused).
    case tooLong(file: String, listedSize: Int64)

    public var code: ErrorCode {
        switch self {
        case .transfer(let error): error.code
        case .local(let error): error.code
        case .tooLong: .downloadTooLong
        }
    }

    public var advice: [Advice] {
        switch self {
        case .transfer(let error): error.advice
        case .local(let error): error.advice
        case .tooLong: []
        }
    }

    public var cause: (any Error)? {
        switch self {
        case .transfer(let error): error
        case .local(let error): error
        case .tooLong: nil
        }
    }

    public var description: String {
        switch self {
        case .transfer(let error): error.description
        case .local(let error): error.description
        case .tooLong(let file, let listed): "\(file): the server sent more than the \(listed) bytes it listed; the download was discarded"
        }
    }
}

extension ErrorCode {
    public static let downloadTooLong = ErrorCode("server.file-too-long", .serverData)
}
