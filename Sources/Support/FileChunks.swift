import Crypto
import Foundation

/// Reads a file front to back in fixed-size chunks through one reused buffer: memory stays at one
/// chunk whatever the file size. The one loop that reads files here: the gunzip of a file being
/// indexed, the MD5 of a mirrored file (`FileDigest`), and the hasher that follows a download.
public enum FileChunks {
    /// Calls `body` with each chunk of the open file `descriptor` (valid only during the call), from
    /// `offset` on, and returns the offset it stopped at. `limit`, when given, is asked before each
    /// read how far the file may be read now (it may wait for a writer); nil from it ends the loop
    /// there. Without it the loop ends at the end of the file. A failed read becomes `mapError`'s error.
    @discardableResult
    public static func read<E: Error>(
        descriptor: Int32, path: String, chunkSize: Int, from offset: Int64 = 0,
        limit: ((Int64) -> Int64?)? = nil, mapError: (FileSystemError) -> E,
        _ body: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) -> Int64 {
        let size = max(4096, chunkSize)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        while true {
            var wanted = size
            if let limit {
                guard let end = limit(position), end > position else { return position }
                wanted = Int(min(Int64(size), end - position))
            }
            let count = pread(descriptor, buffer, wanted, off_t(position))
            if count < 0 {
                if errno == EINTR { continue }
                throw mapError(FileSystemError(path: path, operation: "read at byte \(position)", errno: errno))
            }
            if count == 0 {
                // The end of the file: where a limit allowed more, the file is shorter than it said.
                if limit != nil { throw mapError(FileSystemError(path: path, operation: "read at byte \(position)", errno: EIO)) }
                return position
            }
            position += Int64(count)
            try body(UnsafeRawBufferPointer(start: buffer, count: count))
        }
    }

    /// The same over the file at `url`, opened and closed here.
    @discardableResult
    public static func read<E: Error>(
        _ url: URL, chunkSize: Int, mapError: (FileSystemError) -> E, _ body: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) -> Int64 {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw mapError(FileSystemError(path: url.path, operation: "open", errno: errno)) }
        defer { close(descriptor) }
        return try read(descriptor: descriptor, path: url.path, chunkSize: chunkSize, mapError: mapError, body)
    }

    /// The first bytes of the file (fewer when the file is shorter), to recognise its format.
    public static func prefix(_ url: URL, count: Int) throws(FileSystemError) -> [UInt8] {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(path: url.path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            // `count > filled >= 0`, so the array is not empty and has a base address.
            let result = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + filled, count - filled, off_t(filled)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: url.path, operation: "read", errno: errno)
            }
            if result == 0 { break }
            filled += result
        }
        return Array(bytes[0..<filled])
    }
}

/// The MD5 of a whole file, as `md5sum` and NCBI's `.md5` files write it.
public enum FileDigest {
    /// The MD5 of the file open as `descriptor`, read from its start (its position is not used).
    public static func md5(descriptor: Int32, path: String) throws(FileSystemError) -> String {
        var hasher = Insecure.MD5()
        try FileChunks.read(descriptor: descriptor, path: path, chunkSize: 1 << 20, mapError: { $0 }) { (chunk) throws(FileSystemError) in
            hasher.update(bufferPointer: chunk)
        }
        return hasher.finalize().hex
    }

    public static func md5(of url: URL, progress: (Int64) -> Void = { _ in }) throws(FileSystemError) -> String {
        var hasher = Insecure.MD5()
        var total: Int64 = 0
        try FileChunks.read(url, chunkSize: 1 << 20, mapError: { $0 }) { (chunk) throws(FileSystemError) in
            hasher.update(bufferPointer: chunk)
            total += Int64(chunk.count)
            progress(total)
        }
        return hasher.finalize().hex
    }
}
