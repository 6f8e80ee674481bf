internal import CZlib
import Foundation

/// zlib compression of stored blobs (record JSON, original XML). Each blob is its 4-byte
/// little-endian uncompressed length followed by a zlib stream (RFC 1950).
/// https://www.zlib.net/manual.html
enum Compression {
    static func decompress(_ input: [UInt8]) -> [UInt8]? {
        guard input.count >= 4 else { return nil }
        let length = Int(input[0]) | Int(input[1]) << 8 | Int(input[2]) << 16 | Int(input[3]) << 24
        guard length > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: length)
        var produced = uLong(length)
        let status = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { source in
                uncompress(out.baseAddress, &produced, source.baseAddress! + 4, uLong(input.count - 4))
            }
        }
        guard status == Z_OK, Int(produced) == length else { return nil }
        return output
    }
}

/// Compresses many small blobs with one reused deflate state. `compress2` sets up (and zeroes) a
/// fresh 256 KiB state for every call, which cost more than the compression itself when indexing
/// 60,000 blobs a file; `deflateReset` keeps the allocation. Not `Sendable`: one per writer.
final class BlobCompressor {
    /// Owned by this object, at a stable address (zlib keeps pointers into it).
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8] = []

    /// Level 1: on PubMed XML about as small as level 6 within ~3%, and faster.
    init(level: Int32 = 1) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit_(stream, level, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        // Only fails for lack of memory or a bad level; neither can be handled here.
        precondition(status == Z_OK, "deflateInit failed: \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func compress(_ input: [UInt8]) -> [UInt8] {
        deflateReset(stream)
        let bound = Int(deflateBound(stream, uLong(input.count)))
        if output.count < bound + 4 { output = [UInt8](repeating: 0, count: bound + 4) }
        let length = UInt32(input.count)
        let produced: Int = output.withUnsafeMutableBufferPointer { out in
            out[0] = UInt8(length & 0xFF)
            out[1] = UInt8((length >> 8) & 0xFF)
            out[2] = UInt8((length >> 16) & 0xFF)
            out[3] = UInt8(length >> 24)
            return input.withUnsafeBufferPointer { source in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.pointee.avail_in = uInt(input.count)
                stream.pointee.next_out = out.baseAddress! + 4
                stream.pointee.avail_out = uInt(bound)
                let status = deflate(stream, Z_FINISH)
                // With deflateBound bytes of room, one Z_FINISH call always completes.
                precondition(status == Z_STREAM_END, "deflate did not finish: \(status)")
                return 4 + Int(stream.pointee.total_out)
            }
        }
        return Array(output[0..<produced])
    }
}
