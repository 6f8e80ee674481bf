import Foundation

/// Why a folder's lock could not be taken.
public enum LockError: CodedError {
    /// Another process holds it; `holder` is what it wrote into the lock file ("pid 123, since …").
    case held(path: String, holder: String?)
    case failed(FileSystemError)

    public var code: ErrorCode {
        switch self {
        case .held: .locked
        case .failed(let error): error.code
        }
    }

    public var advice: [Advice] {
        switch self {
        case .held: [.waitForOtherRun]
        case .failed(let error): error.advice
        }
    }

    public var cause: (any Error)? {
        if case .failed(let error) = self { return error }
        return nil
    }

    public var description: String {
        switch self {
        case .held(let path, let holder):
            "\(path) is locked by another pubmed-mirror run\(holder.map { " (\($0))" } ?? "")"
        case .failed(let error):
            error.description
        }
    }
}

/// A folder's single-writer lock: an advisory `flock` on a lock file. The kernel drops it when the
/// holder exits, however it dies, so a dead run never blocks the next one.
public final class FileLock: Sendable {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock or throws `.held` at once (never waits).
    public init(path: String) throws(LockError) {
        self.path = path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .failed(FileSystemError(path: path, operation: "open lock", errno: errno)) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            if code == EWOULDBLOCK { throw .held(path: path, holder: holder?.isEmpty == false ? holder : nil) }
            throw .failed(FileSystemError(path: path, operation: "lock", errno: code))
        }
        self.descriptor = descriptor
        // Who holds it, for the message the next run prints.
        let note = "pid \(getpid()), since \(Date().formatted(.iso8601))\n"
        _ = ftruncate(descriptor, 0)
        _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
