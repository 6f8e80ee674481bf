import Foundation
import PubMedFiles
import PubMedListing
import PubMedSupport
import PubMedTransfer

/// Everything `publish` needs besides the mirror folder.
public struct PublishOptions: Sendable {
    /// The folder on the internal server that gets NCBI's layout.
    public var target: MirrorSource
    public var transfer = TransferOptions()
    public var retry = RetryPolicy()
    /// Parallel uploads, each over its own reused connection. Two by default: an internal server
    /// serves others too.
    public var jobs = 2
    /// Remove from the target the PubMed files the mirror no longer holds, once the rest is in place.
    public var delete = false
    /// Print the plan and change nothing.
    public var dryRun = false

    /// A target must be writable: FTP, FTPS, SFTP or a local folder (not HTTP).
    public init(target: MirrorSource) throws(ConfigurationError) {
        guard [.ftp, .ftps, .sftp, .file].contains(target.scheme) else {
            throw ConfigurationError("\(target): a publish target must be ftp://, ftps://, sftp:// or file://, not \(target.scheme.rawValue)://")
        }
        self.target = target
        transfer.role = .target
    }

    /// The target as its records and its lock name it: scheme and host in lower case, without the
    /// scheme's default port, so that two spellings of one server share them.
    public var targetKey: String {
        guard var components = URLComponents(url: target.url, resolvingAgainstBaseURL: false) else { return target.description }
        components.scheme = components.scheme?.lowercased()
        components.host = components.host?.lowercased()
        let defaults: [MirrorSource.Scheme: Int] = [.ftp: 21, .ftps: 21, .sftp: 22]
        if let port = components.port, defaults[target.scheme] == port { components.port = nil }
        return components.string ?? target.description
    }
}

/// What one `publish` did.
public struct PublishReport: Sendable {
    public enum Outcome: String, Sendable {
        case upToDate = "up-to-date"
        case updated
        case partial
        case failed
        case interrupted
        /// `--dry-run`: nothing was changed.
        case planned

        var run: PublishRun.Outcome? { PublishRun.Outcome(rawValue: rawValue) }
    }

    public struct Upload: Sendable {
        public var folder: MirrorFolder
        public var name: String
        public var reason: PublishPlan.Reason
        public var size: Int64
        /// Bytes that crossed the network this run.
        public var sent: Int64
        /// Bytes an earlier, cut upload had left on the server and that were not sent again.
        public var resumedFrom: Int64
    }

    public var target: String
    public var outcome: Outcome
    public var plan: PublishPlan
    public var uploads: [Upload] = []
    /// Files in place whose `.md5` alone was sent.
    public var md5Sent = 0
    /// Files found in place by their `.md5` on the target, not sent again.
    public var confirmed = 0
    public var deleted: [PublishPlan.Deletion] = []
    /// Deletions planned but not carried out: some file failed, so the old ones stay.
    public var deletionsHeldBack = 0
    /// Hidden temporary files of earlier runs removed (`PublishPlan.leftovers`).
    public var leftoversRemoved = 0
    public var failures: [DownloadReport.Failure] = []
    /// The error that stopped the run, when one did.
    public var runError: PublishError?
    public var requests = 0
    public var bytesSent: Int64 = 0
    public var seconds: Double = 0
}

/// Why `publish` could not run at all, or stopped.
public enum PublishError: CodedError {
    case mirror(MirrorError)
    /// The mirror holds no verified file yet.
    case nothingMirrored(path: String)

    public var code: ErrorCode {
        switch self {
        case .mirror(let error): error.code
        case .nothingMirrored: .nothingToPublish
        }
    }

    public var advice: [Advice] {
        switch self {
        case .mirror(let error): error.advice
        case .nothingMirrored: [.fetchBeforePublishing]
        }
    }

    public var cause: (any Error)? {
        if case .mirror(let error) = self { return error }
        return nil
    }

    public var description: String {
        switch self {
        case .mirror(let error): error.description
        case .nothingMirrored(let path): "\(path) holds no verified PubMed file to publish"
        }
    }

    public var isCancellation: Bool {
        if case .mirror(let error) = self { return error.isCancellation }
        return false
    }
}

extension ErrorCode {
    public static let nothingToPublish = ErrorCode("publish.nothing-mirrored", .notFound)
}

extension Advice {
    public static let fetchBeforePublishing = Advice("fetch-before-publishing", "fetch the files before publishing them")
}
