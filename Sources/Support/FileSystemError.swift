import Foundation

/// A system call on a local file failed: the file, the call, and errno (as swift-nio's
/// `SystemCallError`). Thrown by every stage that touches the disk; a full disk (ENOSPC, EDQUOT) has
/// a code of its own.
public struct FileSystemError: CodedError, Equatable {
    public var path: String
    /// What was being done, in a word or two: "open", "fsync", "rename", "create folder".
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    /// The disk (or the user's quota) is full.
    public var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT }

    /// A failure that every other file of the run would meet too: a full disk, a read-only one.
    public var stopsRun: Bool { isOutOfSpace || errno == EROFS }

    public var code: ErrorCode { isOutOfSpace ? .diskFull : .fileSystem }
    public var advice: [Advice] { isOutOfSpace ? [.freeSpace] : [] }

    public var description: String {
        "\(path): \(operation) failed: \(String(cString: strerror(errno)))"
    }
}
