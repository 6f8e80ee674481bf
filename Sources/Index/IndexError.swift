import PubMedQuery
import PubMedRecords
import PubMedSupport

/// Why indexing, searching or showing failed; each renders as one sentence, with its code and what
/// caused it.
public enum IndexError: CodedError {
    /// The file cannot be read or parsed.
    case parse(PubMedRecords.RecordError)
    /// An SQLite database failed (the index, or the state database it was planned from).
    case database(DatabaseFailure)
    /// The PostgreSQL server of the shared store failed or refused.
    case server(ServerDatabaseFailure)
    /// A local file operation failed.
    case local(FileSystemError)
    /// The mirror folder's lock is held by another run, or cannot be taken.
    case lock(LockError)
    /// An update file whose predecessor in the cycle is missing or not applied.
    /// `listed`: whether the server ever listed `missing` (a file NCBI never published, or
    /// removed, cannot be fetched: only `--allow-gaps` goes past it).
    case gap(file: String, missing: String, listed: Bool = true)
    /// A query that cannot be read.
    case query(QueryError)
    /// There is no index yet.
    case notIndexed(path: String)
    /// There are no mirrored files to index yet.
    case nothingMirrored(path: String)
    /// A rebuild was not switched to, because files failed.
    /// `stoppedBy`: the code of a failure that stopped the rebuild (a full disk), which is the
    /// code of this error too.
    case rebuildIncomplete(reason: String, stoppedBy: ErrorCode?)
    /// The index was made by an earlier pubmed-mirror, which stored records differently.
    case olderFormat(path: String)
    /// A stored record does not read back (its block or chunks are damaged).
    case damagedRecord(path: String, pmid: Int, version: Int)
    /// The run was asked to stop: the file being applied was rolled back.
    case cancelled(file: String)
    /// A read was stopped from another thread (`SQLiteRecordStore.interrupt`: a server's time
    /// limit per query).
    case interrupted
    /// A change sequence past the index's high-water mark: a number this index has not given (one
    /// of another index, or of an index made again when the one it replaced could not be read).
    case sinceAhead(since: Int64, mark: Int64)
    /// A change sequence of the index this one replaced (`RecordStore.continueNumbering`).
    case sinceEarlierIndex(since: Int64, replacedMark: Int64)
    /// This binary codes values that are not ASCII otherwise than the one that built the index
    /// (`SearchCode.foldingFingerprint`): writing would leave the search index inconsistent.
    case foldingChanged(path: String)
    /// Something that cannot happen did (a bug).
    case inconsistency(String)

    public var code: ErrorCode {
        switch self {
        case .parse(let error): error.code
        case .database(let error): error.code
        case .server(let error): error.code
        case .local(let error): error.code
        case .lock(let error): error.code
        case .gap: .gap
        case .query(let error): error.code
        case .notIndexed: .notIndexed
        case .nothingMirrored: .nothingMirrored
        case .rebuildIncomplete(_, let stop): stop ?? .rebuildIncomplete
        case .olderFormat: .olderIndexFormat
        case .damagedRecord: .damagedRecord
        case .cancelled: .cancelled
        case .interrupted: .queryInterrupted
        case .sinceAhead: .sinceAhead
        case .sinceEarlierIndex: .sinceEarlierIndex
        case .foldingChanged: .foldingChanged
        case .inconsistency: .internalFailure
        }
    }

    public var advice: [Advice] {
        switch self {
        case .parse(let error): error.advice
        case .database(let error): error.advice
        case .server(let error): error.advice
        case .local(let error): error.advice
        case .lock(let error): error.advice
        case .gap(_, _, let listed): listed ? [.fetchMissing, .allowGaps] : [.allowGaps]
        case .notIndexed: [.runIndex]
        case .nothingMirrored: [.runFetch]
        case .olderFormat, .damagedRecord, .foldingChanged: [.rebuildIndex]
        case .inconsistency: [.reportBug]
        case .sinceAhead, .sinceEarlierIndex: [.exportAll]
        case .query, .rebuildIncomplete, .cancelled, .interrupted: []
        }
    }

    public var cause: (any Error)? {
        switch self {
        case .parse(let error): error
        case .database(let error): error
        case .server(let error): error
        case .local(let error): error
        case .lock(let error): error
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .parse(let error): error.description
        case .database(let error): error.description
        case .server(let error): error.description
        case .local(let error): error.description
        case .lock(let error): error.description
        case .gap(let file, let missing, let listed):
            listed ? "\(file) cannot be applied: \(missing), which must be applied before it, is missing or not applied yet"
                : "\(file) cannot be applied: \(missing), which must be applied before it, has never been listed by the server"
        case .query(let error): error.description
        case .notIndexed(let path): "\(path) has no index yet"
        case .nothingMirrored(let path): "\(path) has no mirrored files to index yet"
        case .rebuildIncomplete(let reason, _):
            "the rebuilt index was not switched to and was deleted: \(reason); the index in use is unchanged"
        case .olderFormat(let path):
            "\(path) was made by an earlier pubmed-mirror, which stored records differently"
        case .damagedRecord(let path, let pmid, let version):
            "\(path): the stored record of PMID \(pmid) version \(version) is damaged"
        case .cancelled(let file): "\(file): stopped before it was applied; the index is as it was before it"
        case .interrupted: "the query was stopped before it finished"
        case .sinceAhead(let since, let mark):
            "change \(since) is past this index's high-water mark, \(mark): this index has given no such number (it is another index's, or this one was made again when the index it replaced could not be read), so what changed since \(since) cannot be told"
        case .sinceEarlierIndex(let since, let replacedMark):
            "change \(since) belongs to the index this one replaced (an annual rollover or a rebuild; that index's high-water mark was \(replacedMark)): what differs between the two indexes, such as the records a new baseline left out, is in no change set"
        case .foldingChanged(let path):
            "\(path) was built by a pubmed-mirror whose Swift or Foundation folds accented and other non-ASCII letters otherwise than this one's: applying files to it would leave records in its search index that it could not remove; its searches still work"
        case .inconsistency(let message): message
        }
    }
}

extension ErrorCode {
    public static let gap = ErrorCode("index.gap", .badFile)
    public static let notIndexed = ErrorCode("index.none", .notFound)
    public static let nothingMirrored = ErrorCode("mirror.empty", .notFound)
    public static let rebuildIncomplete = ErrorCode("index.rebuild-incomplete", .badFile)
    public static let olderIndexFormat = ErrorCode("index.older-format", .local)
    public static let damagedRecord = ErrorCode("index.damaged-record", .local)
    public static let recordNotFound = ErrorCode("index.pmid-not-found", .notFound)
    public static let queryInterrupted = ErrorCode("index.query-interrupted", .interrupted)
    public static let sinceAhead = ErrorCode("index.since-ahead", .invalidInput)
    public static let sinceEarlierIndex = ErrorCode("index.since-earlier-index", .invalidInput)
    public static let foldingChanged = ErrorCode("index.folding-changed", .local)
}

extension Advice {
    public static let fetchMissing = Advice("fetch-missing", "fetch the missing file")
    public static let allowGaps = Advice("allow-gaps", "apply it anyway, allowing gaps")
    public static let runIndex = Advice("run-index", "index the mirrored files (or fetch, which indexes them)")
    public static let runFetch = Advice("run-fetch", "fetch the files first")
    public static let rebuildIndex = Advice("rebuild-index", "rebuild the index from the mirrored files")
    public static let exportAll = Advice("export-all", "export every current record again, and follow the changes from its high-water mark")
}
