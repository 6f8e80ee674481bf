import Foundation
import Logging
import PubMedFiles
import PubMedIndex
import PubMedListing
import PubMedSupport
import PubMedTransfer

/// A mirror folder: NCBI's files (`FileMirror`) and the index built from them, composed. Here and
/// only here do the two meet: `fetch` plans and downloads the files, then indexes them; `index`
/// applies mirrored files in NCBI's order and carries out the annual rollover; `status` tells both.
/// Everything that writes takes the folder's lock and opens the state database once.
public struct Mirror: Sendable {
    public let layout: MirrorLayout
    public let logger: Logger
    public let files: FileMirror
    /// The PostgreSQL database holding the index (`--database`); nil for the SQLite index in the folder.
    public let database: DatabaseURL?

    /// `logger` receives what the run does, at info and below (none by default).
    public init(root: URL, database: DatabaseURL? = nil,
                logger: Logger = Logger(label: "pubmed-mirror", factory: { _ in SwiftLogNoOpLogHandler() })) {
        layout = MirrorLayout(root: root)
        self.logger = logger
        self.database = database
        files = FileMirror(layout: layout, logger: logger)
    }

    /// The index in use, read-only, for search, show and export (which may run during a fetch).
    public func openIndex() throws(IndexError) -> any RecordStore {
        if let database {
            guard let store = try PostgreSQLIndex(url: database, writable: false).openLive() else { throw .notIndexed(path: database.text) }
            return store
        }
        let url = layout.currentIndex()
        guard FileManager.default.fileExists(atPath: url.path) else { throw .notIndexed(path: layout.root.path) }
        return try SQLiteRecordStore(path: url.path, readOnly: true)
    }

    /// Where the index lives; `writable` takes the database's writer lock (the folder's own lock
    /// covers the SQLite index).
    func indexHome(writable: Bool) throws(IndexError) -> IndexHome {
        guard let database else { return .files(layout, logger) }
        return .database(try PostgreSQLIndex(url: database, writable: writable))
    }

    /// Takes the folder's single-writer lock (creating the folder when `create`).
    func lock(creating create: Bool) throws(MirrorError) -> FileLock {
        if create {
            do throws(FileSystemError) { try FileSystem.createDirectory(layout.root) } catch { throw .local(error) }
        }
        do throws(LockError) { return try FileLock(path: layout.lockFile.path) } catch { throw .lock(error) }
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

    var downloads: DownloadOptions {
        var options = DownloadOptions(source: source)
        options.transfer = transfer
        options.retry = retry
        options.jobs = jobs
        return options
    }
}

/// What one `fetch` did.
public struct FetchReport: Sendable {
    public enum Outcome: String, Sendable {
        case upToDate = "up-to-date"
        case updated
        case partial
        case failed
        case interrupted
        /// `--dry-run`: nothing was changed.
        case planned

        /// As the state database records it (a dry run records nothing).
        var run: FetchRun.Outcome? { FetchRun.Outcome(rawValue: rawValue) }
    }

    public typealias Download = DownloadReport.Download
    public typealias Failure = DownloadReport.Failure

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

public struct IndexOptions: Sendable {
    /// Apply update files even when a predecessor is missing or not applied.
    public var allowGaps = false
    /// Build a new index from the local files beside the old one, then switch to it.
    public var rebuild = false
    /// After an annual rollover, keep the old cycle's files instead of deleting them.
    public var keepOld = false
    public init() {}
}

/// Where an annual rollover stands: a new baseline cycle is being indexed beside the old index.
public struct RolloverState: Sendable, Codable, Equatable {
    public var fromCycle: Int
    public var toCycle: Int
    /// Baseline files of the new cycle the server lists, and how many are mirrored.
    public var baselineListed: Int
    public var baselineMirrored: Int
    /// Files applied to the new index so far.
    public var filesIndexed: Int
    /// The new index is complete and in use.
    public var switched: Bool
    /// Old-cycle files deleted after the switch.
    public var filesPruned: Int
    /// Why the switch waits although the files listed are mirrored (`IndexPlan.incomplete`).
    public var waiting: String? = nil
}

/// What an `index` run did.
public struct IndexReport: Sendable {
    public struct Problem: Sendable {
        public var name: String
        public var message: String
        public var code: ErrorCode
        public var advice: [Advice] = []

        public init(name: String, message: String, code: ErrorCode, advice: [Advice] = []) {
            self.name = name
            self.message = message
            self.code = code
            self.advice = advice
        }

        public init(name: String, error: IndexError) {
            self.init(name: name, message: error.description, code: error.code, advice: error.advice)
        }
    }
    public var applied: [AppliedFile] = []
    /// Files not applied: refused (gaps), unreadable or malformed.
    public var failures: [Problem] = []
    /// Files left alone on purpose (an older cycle than the newest baseline).
    public var skipped: [Problem] = []
    public var counts: IndexCounts?
    public var seconds: Double = 0
    /// Set while (and when) a new baseline cycle replaces the old one.
    public var rollover: RolloverState?
    /// The run was stopped (a signal): the file being applied was rolled back.
    public var interrupted = false
    /// The failure that stopped the run before its other files (a full disk, the database server
    /// gone: `Mirror.stopsTheRun`), which decides the exit code rather than "some files failed".
    public var stoppedBy: Problem?
}
