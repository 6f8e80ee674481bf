import Foundation
import Logging

/// A mirror folder: NCBI's `baseline/` and `updatefiles/` kept beside a state database. Commands
/// (`fetch`, `status`, `verify`) are extensions of this type, one file each.
public struct Mirror: Sendable {
    public let layout: MirrorLayout
    public let logger: Logger

    public init(root: URL, logger: Logger = Logger(label: "pubmed-mirror")) {
        self.layout = MirrorLayout(root: root)
        self.logger = logger
    }

    /// The state database, read-only; nil when no fetch has created it yet.
    func existingState() throws(MirrorError) -> StateStore? {
        guard FileManager.default.fileExists(atPath: layout.stateDatabase.path) else { return nil }
        return try StateStore(path: layout.stateDatabase.path, readOnly: true)
    }
}

/// Everything `fetch` needs to know besides the mirror folder.
public struct FetchOptions: Sendable {
    public var source: MirrorSource
    public var transfer = TransferOptions()
    public var retry = RetryPolicy()
    /// Parallel transfers, each with its own reused connection.
    public var jobs = 3
    /// Print the plan and change nothing.
    public var dryRun = false
    /// Refuse to start downloading when the disk cannot hold the downloads and the index growth.
    public var checkSpace = true
    /// Index what was downloaded (and anything mirrored but not yet indexed) before releasing the lock.
    public var index = true
    public var indexOptions = IndexOptions()

    public init(source: MirrorSource) { self.source = source }
}

/// What one `fetch` did.
public struct FetchReport: Sendable {
    public enum Outcome: String, Sendable {
        /// Nothing needed doing.
        case upToDate = "up-to-date"
        /// Files were downloaded or confirmed, and none failed.
        case updated
        /// Some files failed; every file in place is verified.
        case partial
        /// A failure that dooms every file (disk full, login, TLS trust) stopped the run.
        case failed
        /// Cancelled by a signal; partial downloads are kept for the next run to resume.
        case interrupted
        /// `--dry-run`: nothing was changed.
        case planned
    }

    public struct Download: Sendable {
        public var folder: MirrorFolder
        public var name: String
        public var reason: MirrorPlan.Reason
        public var size: Int64
        public var received: Int64
        public var resumedFrom: Int64
        public var md5: String
    }

    public struct Failure: Sendable {
        public var folder: MirrorFolder
        public var name: String
        public var message: String
    }

    public var source: String
    public var outcome: Outcome
    public var plan: MirrorPlan
    public var ignored: [IgnoredName]
    public var downloads: [Download] = []
    /// Files whose listing changed but whose published MD5 did not.
    public var confirmed = 0
    public var failures: [Failure] = []
    /// The error that stopped the run, when one did.
    public var runError: MirrorError?
    public var requests = 0
    public var bytesReceived: Int64 = 0
    public var seconds: Double = 0
    public var freeBytes: Int64?
    /// Disk space the plan needs: the downloads, plus the index growth when indexing.
    public var bytesNeeded: Int64 = 0
    /// What indexing did after the downloads (nil with `--no-index`, a dry run, or a failed run).
    public var index: IndexReport?
    /// Why indexing could not run at all.
    public var indexError: IndexError?
}
