internal import CZlib
import Foundation

/// Gets a byte range of an uncompressed stream back from its `CompressedChunk`s: each chunk the
/// range touches is inflated from its access point (bit position primed, window set as the
/// dictionary), the bytes before the range skipped. One reused raw-inflate state (chunks start
/// mid-stream, with no zlib or gzip wrapper); not `Sendable`: one per thread.
/// https://www.zlib.net/manual.html (`inflatePrime`, `inflateSetDictionary`)
package final class ChunkReader {
    private let zlib = ZlibInflater(windowBits: ZlibInflater.raw)
    private var stream: UnsafeMutablePointer<z_stream> { zlib.stream }
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    package init() {}

    /// The bytes of `range`; `chunk(offset)` gives the chunk whose output holds `offset`. nil when a
    /// chunk is missing or does not inflate to what it should.
    package func bytes(_ range: Range<Int>, chunk: (Int) throws -> CompressedChunk?) rethrows -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(range.count)
        var position = range.lowerBound
        while position < range.upperBound {
            guard let piece = try chunk(position), piece.start <= position, position < piece.start + piece.length else { return nil }
            let end = min(range.upperBound, piece.start + piece.length)
            guard read(piece, skip: position - piece.start, count: end - position, into: &result) else { return nil }
            position = end
        }
        return result
    }

    /// Inflates `chunk` from its start, drops `skip` bytes, and appends the next `count` to `output`.
    private func read(_ chunk: CompressedChunk, skip: Int, count: Int, into output: inout [UInt8]) -> Bool {
        guard zlib.reset() == Z_OK, chunk.bits >= 0, chunk.bits < 8, !chunk.data.isEmpty || chunk.length == 0 else { return false }
        if chunk.bits > 0 {
            // The high `bits` bits of the first byte are the first bits of this chunk's block.
            guard inflatePrime(stream, Int32(chunk.bits), Int32(chunk.data[0] >> (8 - chunk.bits))) == Z_OK else { return false }
        }
        if !chunk.window.isEmpty {
            let status = chunk.window.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
            guard status == Z_OK else { return false }
        }
        var skipped = 0, copied = 0
        let firstByte = chunk.bits > 0 ? 1 : 0
        return chunk.data.withUnsafeBufferPointer { input in
            guard let base = input.baseAddress else { return false }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base + firstByte)
            stream.pointee.avail_in = uInt(input.count - firstByte)
            return scratch.withUnsafeMutableBufferPointer { buffer in
                while copied < count {
                    // Never past what is wanted: skipped bytes into the scratch buffer, then exactly `count`.
                    let want = skipped < skip ? min(buffer.count, skip - skipped) : min(buffer.count, count - copied)
                    stream.pointee.next_out = buffer.baseAddress
                    stream.pointee.avail_out = uInt(want)
                    let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    let produced = want - Int(stream.pointee.avail_out)
                    if skipped < skip {
                        skipped += produced
                    } else {
                        output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<produced]))
                        copied += produced
                    }
                    if copied == count { return true }
                    if status == Z_STREAM_END || (status != Z_OK && status != Z_BUF_ERROR) { return false }
                    if produced == 0 && stream.pointee.avail_in == 0 { return false }
                }
                return true
            }
        }
    }
}
