internal import CLinux
import Foundation
import PubMedSupport

/// Where libcurl's write callback puts a response body. Subclasses are owned by the request that
/// uses them and touched only by that request's thread.
class ResponseSink {
    /// Takes the next bytes of the body; returning false aborts the transfer (CURLE_WRITE_ERROR).
    func receive(_ bytes: UnsafeRawBufferPointer) -> Bool { true }
}

/// Collects a small body (an index page, a `.md5` file) in memory, refusing more than `limit` bytes.
final class MemorySink: ResponseSink {
    private(set) var bytes: [UInt8] = []
    let limit: Int
    private(set) var overflowed = false

    init(limit: Int) { self.limit = limit }

    override func receive(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count + chunk.count <= limit else {
            overflowed = true
            return false
        }
        bytes.append(contentsOf: chunk)
        return true
    }
}

/// Appends a download to an open `.partial` file, counting the bytes as they arrive, handing them to
/// the `FileHasher` that follows the file, and refusing any byte past the size the listing announced.
final class FileSink: ResponseSink {
    private let descriptor: Int32
    private(set) var hasher: FileHasher
    private let path: String
    /// Bytes in the file, including those from an earlier run that this transfer resumes.
    private(set) var length: Int64
    let limit: Int64
    private(set) var overflowed = false
    /// errno of a failed write (ENOSPC: the disk is full).
    private(set) var writeErrno: Int32 = 0
    /// Bytes whose writing to the disk has been started (see `receive`).
    private var writebackStarted: Int64
    /// How much to write before starting its writeback.
    private static let writebackStep: Int64 = 2 << 20

    init(descriptor: Int32, path: String, length: Int64, limit: Int64) throws(FileSystemError) {
        self.descriptor = descriptor
        self.path = path
        self.length = length
        self.limit = limit
        writebackStarted = length
        hasher = try FileHasher(path: path, available: length)
    }

    override func receive(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard length + Int64(chunk.count) <= limit else {
            overflowed = true
            return false
        }
        var offset = 0
        while offset < chunk.count {
            let written = write(descriptor, chunk.baseAddress! + offset, chunk.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                writeErrno = errno
                return false
            }
            offset += written
        }
        length += Int64(chunk.count)
        hasher.advance(to: length)
        // The file is flushed (fsync) before it is renamed into place; starting the disk writes as
        // the bytes arrive leaves that flush only the last few MiB to wait for, instead of the
        // whole file (16-20 MB for a baseline file: about 16 ms here against 9). A failure only
        // loses the head start.
        if length - writebackStarted >= Self.writebackStep {
            _ = csystem_start_writeback(descriptor, writebackStarted, length - writebackStarted)
            writebackStarted = length
        }
        return true
    }

    /// The MD5 of everything written, once the hasher has caught up.
    func digest() throws(FileSystemError) -> String {
        try hasher.finish()
    }

    /// Stops the hasher without a result (the download is abandoned).
    func abandon() {
        hasher.cancel()
    }

    /// Starts over: the server cannot resume, or what was there is longer than the file.
    func restart() throws(FileSystemError) {
        hasher.cancel()
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw FileSystemError(path: path, operation: "truncate", errno: errno)
        }
        length = 0
        writebackStarted = 0
        hasher = try FileHasher(path: path, available: 0)
    }
}
