import Foundation

/// Why one file of the mirror could not be brought up to date (or why the run stopped). Each case
/// renders as one sentence naming the file.
public enum MirrorError: Error, Sendable, CustomStringConvertible {
    /// The request failed; see `TransferError.kind` for whether a retry can help.
    case transfer(TransferError)
    /// The server sent more bytes than the listing announced.
    case tooLong(file: String, listedSize: Int64)
    /// The download ended at a size other than the listed one.
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    /// The bytes do not hash to the published `.md5`.
    case md5Mismatch(file: String, published: String, actual: String)
    /// The published `.md5` file cannot be used.
    case badMD5File(file: String, problem: String)
    /// The server lists the file but no `.md5` beside it, so it cannot be verified.
    case missingMD5(file: String)
    /// A local file operation failed (disk full, permissions).
    case local(path: String, operation: String, errno: Int32)
    /// The state database failed.
    case database(path: String, message: String)
    /// Another process holds the mirror folder's lock.
    case locked(path: String, holder: String?)
    /// The run would not fit on the disk: found before anything was downloaded.
    case insufficientSpace(path: String, download: Int64, index: Int64, free: Int64)

    /// Whether trying the same file again in this run can help.
    public var isRetryable: Bool {
        switch self {
        case .transfer(let error): error.isTransient
        case .tooLong, .sizeMismatch, .md5Mismatch: true
        case .badMD5File, .missingMD5, .local, .database, .locked, .insufficientSpace: false
        }
    }

    /// Whether the failure dooms every other file too, so the run should stop now.
    public var stopsRun: Bool {
        switch self {
        case .transfer(let error): error.scope == .run && error.kind == .permanent
        case .local(_, _, let code): code == ENOSPC || code == EDQUOT || code == EROFS
        case .database, .locked, .insufficientSpace: true
        default: false
        }
    }

    public var retryAfter: Double? {
        if case .transfer(let error) = self { return error.retryAfter }
        return nil
    }

    public var description: String {
        switch self {
        case .transfer(let error):
            return error.description
        case .tooLong(let file, let listed):
            return "\(file): the server sent more than the \(listed) bytes it listed; the download was discarded"
        case .sizeMismatch(let file, let expected, let actual):
            return "\(file): downloaded \(actual) bytes but the server listed \(expected); the download was discarded"
        case .md5Mismatch(let file, let published, let actual):
            return "\(file): MD5 \(actual) does not match the published \(published); the download was discarded"
        case .badMD5File(let file, let problem):
            return "\(file).md5: \(problem)"
        case .missingMD5(let file):
            return "\(file): the server publishes no \(file).md5, so the file cannot be verified and was not downloaded"
        case .local(let path, let operation, let code):
            let reason = String(cString: strerror(code))
            let hint = code == ENOSPC ? " (free some space and run again; what is mirrored is intact)" : ""
            return "\(path): \(operation) failed: \(reason)\(hint)"
        case .database(let path, let message):
            return "\(path): state database error: \(message)"
        case .insufficientSpace(let path, let download, let index, let free):
            let needed = download + index
            let parts = index > 0 ? " (\(ByteCount.format(download)) to download, about \(ByteCount.format(index)) for the index)" : ""
            return "\(path): not enough free disk space: this run needs about \(ByteCount.format(needed))\(parts) but \(ByteCount.format(free)) is free; nothing was downloaded (free some space, or use --mirror on a larger disk)"
        case .locked(let path, let holder):
            return "\(path) is locked by another pubmed-mirror run\(holder.map { " (\($0))" } ?? ""); try again when it has finished"
        }
    }
}
