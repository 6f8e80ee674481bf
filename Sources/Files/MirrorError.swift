import Foundation
import PubMedListing
import PubMedSupport
import PubMedTransfer

/// Why one file of the mirror could not be brought up to date (or why the run stopped). Each case
/// renders as one sentence naming the file, and keeps what caused it.
public enum MirrorError: CodedError {
    /// The request failed; see `TransferError.kind` for whether a retry can help.
    case transfer(TransferError)
    /// The server sent more bytes than the listing announced.
    case tooLong(file: String, listedSize: Int64)
    /// The download ended at a size other than the listed one.
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    /// After an upload (`publish`), the server holds another size than the file's (nil: none at all).
    case uploadSizeMismatch(file: String, expected: Int64, actual: Int64?)
    /// After an upload, the server's own hash of it (FTP HASH) is not the file's MD5.
    case uploadDigestMismatch(file: String, expected: String, actual: String)
    /// A mirrored file is not the one the state database recorded when `publish` came to send it
    /// (a fetch replaced it meanwhile): it is left for the next run.
    case changedDuringPublish(file: String)
    /// The bytes do not hash to the published `.md5`.
    case md5Mismatch(file: String, published: String, actual: String)
    /// The published `.md5` file cannot be used.
    case badMD5File(file: String, problem: MD5FileError)
    /// The server lists the file but no `.md5` beside it, so it cannot be verified.
    case missingMD5(file: String)
    /// A local file operation failed (disk full, permissions).
    case local(FileSystemError)
    /// The state database failed.
    case database(DatabaseFailure)
    /// The PostgreSQL server holding the state (`--database`) failed or refused.
    case server(ServerDatabaseFailure)
    /// Another process holds the mirror folder's lock, or the lock cannot be taken.
    case lock(LockError)
    /// The shared ledger's files are not in this folder: it is not the folder the mirror was
    /// fetched into, so checking it would mark every file missing for the machine that fetches.
    case notThisFolder(path: String, ledger: String)
    /// The run would not fit on the disk: found before anything was downloaded.
    case insufficientSpace(path: String, download: Int64, index: Int64, free: Int64)

    /// A download's own failure, as the mirror reports it.
    public init(_ error: DownloadError) {
        switch error {
        case .transfer(let error): self = .transfer(error)
        case .local(let error): self = .local(error)
        case .tooLong(let file, let listed): self = .tooLong(file: file, listedSize: listed)
        }
    }

    /// Whether trying the same file again in this run can help.
    public var isRetryable: Bool {
        switch self {
        case .transfer(let error): error.isTransient
        case .tooLong, .sizeMismatch, .uploadSizeMismatch, .uploadDigestMismatch, .md5Mismatch: true
        case .badMD5File, .missingMD5, .changedDuringPublish, .local, .database, .server, .lock, .insufficientSpace, .notThisFolder: false
        }
    }

    /// Whether the failure dooms every other file too, so the run should stop now.
    public var stopsRun: Bool {
        switch self {
        case .transfer(let error): error.scope == .run && error.kind == .permanent
        case .local(let error): error.stopsRun
        case .database, .server, .lock, .insufficientSpace, .notThisFolder: true
        default: false
        }
    }

    public var isCancellation: Bool {
        if case .transfer(let error) = self { return error.kind == .cancelled }
        return false
    }

    public var retryAfter: Double? {
        if case .transfer(let error) = self { return error.retryAfter }
        return nil
    }

    public var code: ErrorCode {
        switch self {
        case .transfer(let error): error.code
        case .tooLong: .downloadTooLong
        case .sizeMismatch: .sizeMismatch
        case .uploadSizeMismatch: .uploadSizeMismatch
        case .uploadDigestMismatch: .uploadDigestMismatch
        case .changedDuringPublish: .changedDuringPublish
        case .md5Mismatch: .md5Mismatch
        case .badMD5File(_, let problem): problem.code
        case .missingMD5: .missingMD5
        case .local(let error): error.code
        case .database(let error): error.code
        case .server(let error): error.code
        case .lock(let error): error.code
        case .insufficientSpace: .insufficientSpace
        case .notThisFolder: .notThisFolder
        }
    }

    public var advice: [Advice] {
        switch self {
        case .transfer(let error): error.advice
        case .local(let error): error.advice
        case .database(let error): error.advice
        case .server(let error): error.advice
        case .lock(let error): error.advice
        case .insufficientSpace: [.freeSpace, .useLargerDisk]
        case .notThisFolder: [.verifyWhereFetched]
        case .tooLong, .sizeMismatch, .uploadSizeMismatch, .uploadDigestMismatch, .md5Mismatch, .badMD5File, .missingMD5: []
        case .changedDuringPublish: [.publishAgain]
        }
    }

    public var cause: (any Error)? {
        switch self {
        case .transfer(let error): error
        case .badMD5File(_, let problem): problem
        case .local(let error): error
        case .database(let error): error
        case .server(let error): error
        case .lock(let error): error
        case .tooLong, .sizeMismatch, .uploadSizeMismatch, .uploadDigestMismatch, .md5Mismatch, .missingMD5, .changedDuringPublish, .insufficientSpace,
             .notThisFolder: nil
        }
    }

    public var description: String {
        switch self {
        case .transfer(let error):
            return error.description
        case .tooLong(let file, let listed):
            return DownloadError.tooLong(file: file, listedSize: listed).description
        case .sizeMismatch(let file, let expected, let actual):
            return "\(file): downloaded \(actual) bytes but the server listed \(expected); the download was discarded"
        case .uploadSizeMismatch(let file, let expected, let actual):
            let held = actual.map { "\($0) bytes" } ?? "no file"
            return "\(file): after the upload the server holds \(held), not the \(expected) bytes of the file; it was not put in place"
        case .uploadDigestMismatch(let file, let expected, let actual):
            return "\(file): the server hashes what it holds to MD5 \(actual), not the file's \(expected); it was not put in place and is sent again"
        case .changedDuringPublish(let file):
            return "\(file) changed in the mirror while it was being published (a fetch replaced it); it was not put in place"
        case .md5Mismatch(let file, let published, let actual):
            return "\(file): MD5 \(actual) does not match the published \(published); the download was discarded"
        case .badMD5File(_, let problem):
            return problem.description
        case .missingMD5(let file):
            return "\(file): the server publishes no \(file).md5, so the file cannot be verified and was not downloaded"
        case .local(let error):
            return error.description
        case .database(let error):
            return error.description
        case .server(let error):
            return error.description
        case .lock(let error):
            return error.description
        case .notThisFolder(let path, let ledger):
            return "\(path) holds none of the files the ledger in \(ledger) records as mirrored: it is not the folder they were fetched into, and nothing was marked"
        case .insufficientSpace(let path, let download, let index, let free):
            let needed = download + index
            let parts = index > 0 ? " (\(ByteCount.format(download)) to download, about \(ByteCount.format(index)) for the index)" : ""
            return "\(path): not enough free disk space: this run needs about \(ByteCount.format(needed))\(parts) but \(ByteCount.format(free)) is free; nothing was downloaded"
        }
    }
}

extension ErrorCode {
    public static let sizeMismatch = ErrorCode("server.size-mismatch", .serverData)
    public static let md5Mismatch = ErrorCode("server.md5-mismatch", .serverData)
    public static let uploadSizeMismatch = ErrorCode("server.upload-size-mismatch", .serverData)
    public static let uploadDigestMismatch = ErrorCode("server.upload-md5-mismatch", .serverData)
    public static let changedDuringPublish = ErrorCode("local.changed-during-publish", .badFile)
    public static let missingMD5 = ErrorCode("server.missing-md5", .serverData)
    public static let insufficientSpace = ErrorCode("local.insufficient-space", .local)
    public static let notThisFolder = ErrorCode("mirror.not-this-folder", .notFound)
}

extension Advice {
    public static let useLargerDisk = Advice("use-larger-disk", "keep the mirror on a larger disk")
    public static let publishAgain = Advice("publish-again", "publish again once the fetch is done")
    public static let verifyWhereFetched = Advice("verify-where-fetched", "run verify on the machine that fetches, with its --mirror folder")
}
