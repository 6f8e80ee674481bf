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
    /// The chunk in hand, kept between calls when its stream was named: several records of one
    /// chunk (a batch of PMIDs from one file, in any order) inflate it once, each only as far as
    /// it has not been inflated yet.
    private var held: Held?

    /// A chunk being inflated: where it lies, its compressed bytes at a fixed address (zlib reads
    /// them in place from one call to the next), and its output so far.
    private final class Held {
        let stream: Int64
        let start: Int
        let length: Int
        let input: UnsafeMutableBufferPointer<UInt8>
        var output: [UInt8] = []
        var ended = false

        init(stream: Int64, chunk: CompressedChunk) {
            self.stream = stream
            start = chunk.start
            length = chunk.length
            input = .allocate(capacity: chunk.data.count)
            _ = input.initialize(from: chunk.data)
            output.reserveCapacity(chunk.length)
        }

        deinit { input.deallocate() }

        func holds(_ stream: Int64?, _ offset: Int) -> Bool {
            self.stream == stream && start <= offset && offset < start + length
        }
    }

    package init() {}

    /// The bytes of `range`; `chunk(offset)` gives the chunk whose output holds `offset`. nil when a
    /// chunk is missing or does not inflate to what it should. With `stream` (the id of the
    /// stream the chunks belong to, which must not name another stream while this reader lives),
    /// the last chunk read is kept for the next call.
    package func bytes(_ range: Range<Int>, stream key: Int64? = nil, chunk: (Int) throws -> CompressedChunk?) rethrows -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(range.count)
        var position = range.lowerBound
        while position < range.upperBound {
            let current: Held
            if let held, key != nil, held.holds(key, position) {
                current = held
            } else {
                guard let piece = try chunk(position), piece.start <= position, position < piece.start + piece.length,
                      let started = start(piece, in: key ?? -1) else { return nil }
                current = started
                held = key == nil ? nil : started
            }
            let end = min(range.upperBound, current.start + current.length)
            guard inflate(current, through: end - current.start) else { return nil }
            result.append(contentsOf: current.output[(position - current.start)..<(end - current.start)])
            position = end
        }
        return result
    }

    /// Sets the inflate state at `chunk`'s access point: bit position primed, window set as the
    /// dictionary.
    private func start(_ chunk: CompressedChunk, in streamID: Int64) -> Held? {
        guard zlib.reset() == Z_OK, chunk.bits >= 0, chunk.bits < 8, !chunk.data.isEmpty || chunk.length == 0 else { return nil }
        if chunk.bits > 0 {
            // The high `bits` bits of the first byte are the first bits of this chunk's block.
            guard inflatePrime(stream, Int32(chunk.bits), Int32(chunk.data[0] >> (8 - chunk.bits))) == Z_OK else { return nil }
        }
        if !chunk.window.isEmpty {
            let status = chunk.window.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
            guard status == Z_OK else { return nil }
        }
        let held = Held(stream: streamID, chunk: chunk)
        let firstByte = chunk.bits > 0 ? 1 : 0
        stream.pointee.next_in = held.input.baseAddress.map { $0 + firstByte }
        stream.pointee.avail_in = uInt(max(0, held.input.count - firstByte))
        return held
    }

    /// Inflates `held` on until its output has `count` bytes (never past them: the chunk's data
    /// may run on past its length).
    private func inflate(_ held: Held, through count: Int) -> Bool {
        scratch.withUnsafeMutableBufferPointer { buffer in
            while held.output.count < count {
                guard !held.ended else { return false }
                let want = min(buffer.count, count - held.output.count)
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(want)
                let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                let produced = want - Int(stream.pointee.avail_out)
                held.output.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<produced]))
                if held.output.count >= count { return true }
                if status == Z_STREAM_END { held.ended = true }
                if status != Z_OK && status != Z_BUF_ERROR && status != Z_STREAM_END { return false }
                if produced == 0 && stream.pointee.avail_in == 0 { return false }
            }
            return true
        }
    }
}
