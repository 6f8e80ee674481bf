internal import CZlib
import Foundation

/// zlib's one-shot compress/uncompress for stored blobs (record JSON, original XML).
/// https://www.zlib.net/manual.html#Utility
enum Compression {
    /// zlib format (RFC 1950), level 6 by default.
    static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var capacity = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(capacity) + 4)
        // First 4 bytes: the uncompressed length (little endian), so that uncompress knows the size.
        let length = UInt32(input.count)
        output[0] = UInt8(length & 0xFF)
        output[1] = UInt8((length >> 8) & 0xFF)
        output[2] = UInt8((length >> 16) & 0xFF)
        output[3] = UInt8(length >> 24)
        let status = output.withUnsafeMutableBufferPointer { out in
            input.withUnsafeBufferPointer { source in
                compress2(out.baseAddress! + 4, &capacity, source.baseAddress, uLong(input.count), level)
            }
        }
        precondition(status == Z_OK, "compress2 cannot fail with a buffer of compressBound bytes")
        output.removeLast(output.count - 4 - Int(capacity))
        return output
    }

    static func decompress(_ input: [UInt8]) -> [UInt8]? {
        guard input.count >= 4 else { return nil }
        let length = Int(input[0]) | Int(input[1]) << 8 | Int(input[2]) << 16 | Int(input[3]) << 24
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
