import Foundation

/// The file-system calls whose order makes the mirror crash-safe, in one place.
enum FileSystem {
    /// `mkdir -p`.
    static func createDirectory(_ url: URL) throws(MirrorError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        let parent = url.deletingLastPathComponent()
        if parent.path != url.path && parent.path != "/" { try createDirectory(parent) }
        if mkdir(url.path, 0o755) != 0 && errno != EEXIST {
            throw .local(path: url.path, operation: "create folder", errno: errno)
        }
    }

    /// Flushes a file's bytes to disk.
    static func sync(_ url: URL) throws(MirrorError) {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .local(path: url.path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .local(path: url.path, operation: "fsync", errno: errno) }
    }

    /// Renames atomically and makes the rename itself durable (fsync of the folder).
    static func rename(_ from: URL, to: URL) throws(MirrorError) {
        guard Foundation.rename(from.path, to.path) == 0 else {
            throw .local(path: to.path, operation: "rename", errno: errno)
        }
        syncDirectory(to.deletingLastPathComponent())
    }

    static func syncDirectory(_ url: URL) {
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// Writes `bytes` to a temporary name beside `url`, flushes, and renames it into place: readers
    /// see the old file or the new one, never half of one.
    static func writeAtomically(_ bytes: [UInt8], to url: URL) throws(MirrorError) {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .local(path: temporary.path, operation: "create", errno: errno) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                unlink(temporary.path)
                throw .local(path: temporary.path, operation: "write", errno: code)
            }
            written += result
        }
        let synced = fsync(descriptor) == 0
        let code = errno
        close(descriptor)
        guard synced else {
            unlink(temporary.path)
            throw .local(path: temporary.path, operation: "fsync", errno: code)
        }
        try rename(temporary, to: url)
    }

    static func remove(_ url: URL) {
        unlink(url.path)
    }

    static func contents(_ url: URL) -> [UInt8]? {
        FileManager.default.contents(atPath: url.path).map { [UInt8]($0) }
    }
}
