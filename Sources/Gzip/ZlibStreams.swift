internal import CZlib
import Foundation

/// Compresses byte strings, each into one zlib stream, with one reused deflate state:
/// `deflateReset` keeps the state's 256 KiB of tables, where `compress2` would allocate and clear
/// them every time. Not `Sendable`: one per thread.
package final class ZlibCompressor {
    private let zlib: ZlibDeflater
    private var stream: UnsafeMutablePointer<z_stream> { zlib.stream }
    private var output: [UInt8] = []

    package init(level: Int32 = 1) {
        zlib = ZlibDeflater(level: level)
    }

    /// The concatenation of `pieces` as one zlib stream.
    package func compress(_ pieces: [[UInt8]]) -> Data {
        zlib.reset()
        let total = pieces.reduce(0) { $0 + $1.count }
        let bound = Int(deflateBound(stream, uLong(total)))
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let produced: Int = output.withUnsafeMutableBufferPointer { out in
            stream.pointee.next_out = out.baseAddress
            stream.pointee.avail_out = uInt(bound)
            // With deflateBound bytes of room for the whole input, each piece is always taken whole.
            func feed(_ bytes: [UInt8], finish: Bool) {
                bytes.withUnsafeBufferPointer { source in
                    stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                    stream.pointee.avail_in = uInt(source.count)
                    let status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    precondition(finish ? status == Z_STREAM_END : (status == Z_OK || status == Z_BUF_ERROR),
                                 "deflate failed: \(status)")
                    precondition(stream.pointee.avail_in == 0, "deflate did not take its input")
                }
            }
            for piece in pieces { feed(piece, finish: false) }
            feed([], finish: true)
            return Int(stream.pointee.total_out)
        }
        return Data(output[0..<produced])
    }
}

/// Reads zlib streams with one reused inflate state, keeping the last block it read inflated as
/// far as it was asked: the next record of the same block (the common case for `export`, which
/// goes in PMID order, and for the records of one file) inflates only what lies beyond. Not
/// `Sendable`: one per thread.
package final class BlockReader {
    private let zlib = ZlibInflater(windowBits: ZlibInflater.zlib)
    private var stream: UnsafeMutablePointer<z_stream> { zlib.stream }
    /// The block in hand: its id, its compressed bytes (zlib reads them in place) and what has been
    /// inflated of it so far.
    private var block: Int64?
    private var data = Data()
    private var inflated: [UInt8] = []
    private var filled = 0
    private var ended = false
    private var broken = false

    package init() {}

    /// The bytes of `range` in block `id`, whose compressed bytes `data` gives only when it is not
    /// the block in hand; nil when the block is damaged (does not inflate, or ends early).
    package func bytes(_ range: Range<Int>, of id: Int64, data: () throws -> Data?) rethrows -> [UInt8]? {
        if block != id {
            guard let fresh = try data() else { return nil }
            start(id, fresh)
        }
        guard inflate(upTo: range.upperBound) else { return nil }
        return Array(inflated[range])
    }

    /// The whole of a zlib stream (not kept in hand); nil when it is damaged.
    package func all(_ data: Data) -> [UInt8]? {
        start(nil, data)
        defer { self.data = Data() }
        while !ended {
            guard inflate(upTo: max(4096, 2 * filled)) || ended else { return nil }
        }
        return Array(inflated[0..<filled])
    }

    private func start(_ id: Int64?, _ fresh: Data) {
        block = id
        data = fresh
        filled = 0
        ended = false
        broken = false
        zlib.reset()
    }

    /// Inflates the block in hand as far as `end`; false when it is damaged or shorter.
    private func inflate(upTo end: Int) -> Bool {
        if end <= filled { return true }
        if ended || broken { return false }
        if inflated.count < end { inflated.append(contentsOf: repeatElement(0, count: max(end, 2 * inflated.count) - inflated.count)) }
        let room = inflated.count
        return data.withUnsafeBytes { raw in
            inflated.withUnsafeMutableBufferPointer { out in
                let taken = Int(stream.pointee.total_in)
                guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                    broken = true
                    return false
                }
                stream.pointee.next_in = UnsafeMutablePointer(mutating: base + taken)
                stream.pointee.avail_in = uInt(raw.count - taken)
                // `out` has `room >= end > filled` bytes, so it has a base address.
                stream.pointee.next_out = out.baseAddress! + filled
                stream.pointee.avail_out = uInt(room - filled)
                while true {
                    let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    filled = room - Int(stream.pointee.avail_out)
                    if status == Z_STREAM_END {
                        ended = true
                        return filled >= end
                    }
                    if filled >= end { return true }
                    if status != Z_OK || stream.pointee.avail_in == 0 {
                        broken = true
                        return false
                    }
                }
            }
        }
    }
}

/// Compresses one stream into gzip as its pieces come (an HTTP response's body, sent as it is
/// made): each call returns what deflate has ready, the last one (`finish`) the rest and the
/// trailer. Not `Sendable`: one per response.
/// zlib writes the gzip header itself, with no name and a modification time of 0, so the same
/// bytes in give the same bytes out (`export --shards` relies on it).
package final class GzipStreamEncoder {
    private let zlib: ZlibDeflater
    private var stream: UnsafeMutablePointer<z_stream> { zlib.stream }
    private var output = [UInt8](repeating: 0, count: 64 << 10)

    /// `level`: zlib's 1 (fastest, what a response needs) to 9.
    package init(level: Int32 = 1) {
        zlib = ZlibDeflater(level: level, windowBits: 31)
    }

    package func encode(_ bytes: [UInt8], finish: Bool = false) -> [UInt8] {
        var produced: [UInt8] = []
        bytes.withUnsafeBufferPointer { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = uInt(source.count)
            output.withUnsafeMutableBufferPointer { out in
                var status: Int32
                repeat {
                    stream.pointee.next_out = out.baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    precondition(status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR, "deflate failed: \(status)")
                    produced.append(contentsOf: UnsafeBufferPointer(rebasing: out[0..<(out.count - Int(stream.pointee.avail_out))]))
                } while stream.pointee.avail_out == 0 || (finish && status != Z_STREAM_END)
            }
        }
        return produced
    }
}
