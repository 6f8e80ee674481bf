import Crypto
import Foundation

/// An MD5 that a file's reader feeds with every chunk it reads (`FileChunks.read`), so that the
/// digest of a file being indexed comes without a read of its own. Used by one thread at a time:
/// the reading thread, then (once it has finished) whoever takes the digest.
final class RunningMD5: @unchecked Sendable {
    private var hasher = Insecure.MD5()
    private(set) var digest: String?

    func update(_ bytes: UnsafeRawBufferPointer) { hasher.update(bufferPointer: bytes) }

    /// The lower-case hex digest of everything fed; the hasher takes no more bytes after this.
    func finish() {
        digest = hasher.finalize().hex
    }
}

/// Reads a file front to back in fixed-size chunks through one reused buffer: memory stays at one
/// chunk whatever the file size.
enum FileChunks {
    /// Calls `body` with each chunk (valid only during the call) and returns the number of bytes
    /// read; `hashing`, when given, is fed every chunk and finished at the end of the file.
    @discardableResult
    static func read(_ url: URL, chunkSize: Int, hashing: RunningMD5? = nil,
                     _ body: (UnsafeRawBufferPointer) throws(RecordError) -> Void) throws(RecordError) -> Int {
        let name = url.lastPathComponent
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(name, "cannot open the file", errno) }
        defer { close(descriptor) }
        let size = max(4096, chunkSize)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var total = 0
        while true {
            let count = Foundation.read(descriptor, buffer, size)
            if count < 0 {
                if errno == EINTR { continue }
                throw systemError(name, "cannot read the file at byte \(total)", errno)
            }
            if count == 0 {
                hashing?.finish()
                return total
            }
            total += count
            hashing?.update(UnsafeRawBufferPointer(start: buffer, count: count))
            try body(UnsafeRawBufferPointer(start: buffer, count: count))
        }
    }

    /// The first bytes of the file (fewer when the file is shorter), to recognise its format.
    static func prefix(_ url: URL, count: Int) throws(RecordError) -> [UInt8] {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw systemError(url.lastPathComponent, "cannot open the file", errno) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            // `count > filled >= 0`, so the array is not empty and has a base address.
            let result = bytes.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress! + filled, count - filled) }
            if result < 0 {
                if errno == EINTR { continue }
                throw systemError(url.lastPathComponent, "cannot read the file", errno)
            }
            if result == 0 { break }
            filled += result
        }
        return Array(bytes[0..<filled])
    }

    private static func systemError(_ name: String, _ what: String, _ code: Int32) -> RecordError {
        let reason = String(cString: strerror(code))
        return RecordError(kind: .io, file: name, message: "\(what): \(reason)",
                           underlying: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
    }
}
