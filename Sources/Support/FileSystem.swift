import Foundation

/// The file-system calls whose order makes the mirror crash-safe, in one place.
public enum FileSystem {
    /// `mkdir -p`.
    public static func createDirectory(_ url: URL) throws(FileSystemError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        let parent = url.deletingLastPathComponent()
        if parent.path != url.path && parent.path != "/" { try createDirectory(parent) }
        if mkdir(url.path, 0o755) != 0 && errno != EEXIST {
            throw FileSystemError(path: url.path, operation: "create folder", errno: errno)
        }
    }

    /// Flushes an open file's bytes to disk.
    public static func sync(descriptor: Int32, path: String) throws(FileSystemError) {
        guard fsync(descriptor) == 0 else { throw FileSystemError(path: path, operation: "fsync", errno: errno) }
    }

    /// Renames atomically and makes the rename itself durable (fsync of the folder).
    public static func rename(_ from: URL, to: URL) throws(FileSystemError) {
        guard Foundation.rename(from.path, to.path) == 0 else {
            throw FileSystemError(path: to.path, operation: "rename", errno: errno)
        }
        syncDirectory(to.deletingLastPathComponent())
    }

    /// Flushes a folder, so that a rename or a new name in it survives a crash. Best effort: a
    /// failure leaves only the durability of the rename to chance, never the data.
    public static func syncDirectory(_ url: URL) {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Writes `bytes` to a temporary name beside `url`, flushes, and renames it into place: readers
    /// see the old file or the new one, never half of one.
    /// Writes all of `bytes` to `descriptor` with write(2), again after EINTR and after a short
    /// write; the errno when it fails, nil when every byte was written.
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32? {
        bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                // `written < count`, so the buffer is not empty and has a base address.
                let result = Foundation.write(descriptor, raw.baseAddress! + written, raw.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += result
            }
            return nil
        }
    }

    public static func writeAtomically(_ bytes: [UInt8], to url: URL) throws(FileSystemError) {
        let file = try AtomicFile(url)
        try file.write(bytes)
        try file.commit()
    }

    public static func remove(_ url: URL) {
        unlink(url.path)
    }

    public static func contents(_ url: URL) -> [UInt8]? {
        FileManager.default.contents(atPath: url.path).map { [UInt8]($0) }
    }

    /// The size of a regular file, or nil when there is none.
    public static func size(of url: URL) -> Int64? {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}

/// A file written under a temporary name beside its own (`.NAME.PID.tmp`) and renamed into place,
/// flushed, by `commit`: a reader sees the old file or the whole new one. Dropped without `commit`,
/// the temporary file is removed. Owned by the one thread that writes it.
public final class AtomicFile {
    public let url: URL
    private let temporary: String
    private let descriptor: Int32
    private var committed = false

    public init(_ url: URL) throws(FileSystemError) {
        self.url = url
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(path: temporary, operation: "create", errno: errno) }
    }

    deinit {
        close(descriptor)
        if !committed { unlink(temporary) }
    }

    public func write(_ bytes: [UInt8]) throws(FileSystemError) {
        if let failure = FileSystem.writeAll(bytes, to: descriptor) {
            throw FileSystemError(path: temporary, operation: "write", errno: failure)
        }
    }

    /// Flushes the file and renames it into place.
    public func commit() throws(FileSystemError) {
        try FileSystem.sync(descriptor: descriptor, path: temporary)
        try FileSystem.rename(URL(fileURLWithPath: temporary), to: url)
        committed = true
    }
}
