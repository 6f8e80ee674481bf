internal import CZlib
import Foundation

/// Compresses a stream of its own into `CompressedChunk`s, for XML that comes without a gzip
/// stream to keep (a plain `.xml` file, records built elsewhere): raw deflate at level 1 with a
/// full flush after every `CompressedChunk.span` bytes, so every chunk starts on a byte boundary
/// with nothing to reach back to (no window). Not `Sendable`: one per thread.
package final class ChunkCompressor {
    /// Raw deflate: the chunks are read with a raw inflater.
    private let zlib = ZlibDeflater(level: 1, windowBits: ZlibInflater.raw)
    private var stream: UnsafeMutablePointer<z_stream> { zlib.stream }
    private var output = [UInt8](repeating: 0, count: 64 * 1024)
    private var data: [UInt8] = []
    private var chunkStart = 0
    private var finished: [CompressedChunk] = []
    /// Uncompressed bytes taken so far: the offset the next bytes will have.
    package private(set) var offset = 0

    package init() {}

    /// Adds `bytes` to the stream; returns where they start in it.
    package func append(_ bytes: [UInt8]) -> Int {
        let start = offset
        run(bytes, flush: Z_NO_FLUSH)
        offset += bytes.count
        if offset - chunkStart >= CompressedChunk.span { cut(flush: Z_FULL_FLUSH) }
        return start
    }

    /// Ends the stream: the last chunk is complete.
    package func finish() {
        if offset > chunkStart { cut(flush: Z_FINISH) }
    }

    /// The chunks completed since the last call.
    package func take() -> [CompressedChunk] {
        defer { finished.removeAll() }
        return finished
    }

    private func cut(flush: Int32) {
        run([], flush: flush)
        finished.append(CompressedChunk(start: chunkStart, length: offset - chunkStart, bits: 0, window: [], data: data))
        data = []
        chunkStart = offset
    }

    private func run(_ bytes: [UInt8], flush: Int32) {
        bytes.withUnsafeBufferPointer { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = uInt(source.count)
            output.withUnsafeMutableBufferPointer { out in
                repeat {
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    let status = deflate(stream, flush)
                    // Only a bad state or no progress possible; neither can happen with room to write.
                    precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR, "deflate failed: \(status)")
                    data.append(contentsOf: UnsafeBufferPointer(rebasing: out[0..<(out.count - Int(stream.pointee.avail_out))]))
                } while stream.pointee.avail_out == 0
            }
        }
    }
}
