import Foundation

/// The mirror folder's single-writer lock: an advisory `flock` on `DIR/.pubmed-mirror.lock`. The
/// kernel drops it when the holder exits, however it dies, so a dead run never blocks the next one.
public final class FileLock: Sendable {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock or throws `.locked` at once (never waits).
    public init(path: String) throws(MirrorError) {
        self.path = path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .local(path: path, operation: "open lock", errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            if code == EWOULDBLOCK { throw .locked(path: path, holder: holder?.isEmpty == false ? holder : nil) }
            throw .local(path: path, operation: "lock", errno: code)
        }
        self.descriptor = descriptor
        // Who holds it, for the message the next run prints.
        let note = "pid \(getpid()), since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(descriptor, 0)
        _ = note.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
