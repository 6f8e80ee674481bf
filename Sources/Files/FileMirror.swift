import Foundation
import Logging
import PubMedListing
import PubMedSupport
import PubMedTransfer

/// The files of a mirror folder: NCBI's `baseline/` and `updatefiles/`, kept byte for byte beside
/// the state database that records them. Lists the source, plans against the database and the
/// disk, downloads and verifies, and re-verifies what is on disk. It knows nothing of the index:
/// `PubMedMirror` composes the two. The caller holds the mirror's lock for everything that writes.
public struct FileMirror: Sendable {
    public let layout: MirrorLayout
    public let logger: Logger

    public init(layout: MirrorLayout, logger: Logger) {
        self.layout = layout
        self.logger = logger
    }
}

/// How files are fetched: from where, how each request is made and retried, how many at once.
public struct DownloadOptions: Sendable {
    public var source: MirrorSource
    public var transfer = TransferOptions()
    public var retry = RetryPolicy()
    /// Parallel transfers, each with its own reused connection.
    public var jobs = 3

    public init(source: MirrorSource) { self.source = source }
}

/// Both folders of the source as listed, turned into PubMed files.
public struct Listing: Sendable {
    public var files: [RemoteFile] = []
    /// Listed names that are not PubMed files, and why each was left out.
    public var ignored: [IgnoredName] = []
    public var requests = 0
}

/// What downloading a plan's work did.
public struct DownloadReport: Sendable {
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
        public var code: ErrorCode
        public var advice: [Advice]

        public init(folder: MirrorFolder, name: String, error: MirrorError) {
            self.folder = folder
            self.name = name
            message = error.description
            code = error.code
            advice = error.advice
        }
    }

    public var downloads: [Download] = []
    /// Files whose listing changed but whose published MD5 did not.
    public var confirmed = 0
    public var failures: [Failure] = []
    /// The failure that stopped every transfer (disk full, login, TLS trust), if one did.
    public var stoppedBy: MirrorError?
    public var cancelled = false
    public var requests = 0
    public var bytesReceived: Int64 = 0
}
