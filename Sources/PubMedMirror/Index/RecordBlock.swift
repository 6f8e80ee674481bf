internal import CZlib
import Foundation

/// How records are stored: a few consecutive records of one file share a block, one zlib stream
/// (RFC 1950) holding their JSON one after another, then their original XML one after another.
/// Each record's row says where its two parts lie in the block's uncompressed bytes.
///
/// Why blocks: deflate starts every stream cold, with nothing to match against, and most of a lone
/// record's cost and size come from that start; neighbouring PubMed records share tags, journal
/// names, MeSH terms and affiliations. Measured with zlib level 1 on the 30,000 records of
/// pubmed20n0014 (JSON and XML, 274 MB): one stream a record, 1.92 s and 68.7 MB; blocks of 8,
/// 1.17 s and 43.5 MB. The JSON comes first so that `search` and `export`, which need only the
/// JSON, stop inflating at its end. https://www.zlib.net/manual.html
enum RecordBlock {
    /// Records a block holds at most.
    static let capacity = 8

    /// Where one record's parts lie in its block's uncompressed bytes.
    struct Location: Sendable, Equatable {
        var jsonStart: Int
        var jsonLength: Int
        var xmlStart: Int
        var xmlLength: Int

        var json: Range<Int> { jsonStart..<jsonStart + jsonLength }
        var xml: Range<Int> { xmlStart..<xmlStart + xmlLength }
    }
}

/// Compresses blocks with one reused deflate state. `deflateReset` keeps the state's 256 KiB of
/// tables, where `compress2` would allocate and clear them for every block. Not `Sendable`: one
/// per thread.
final class BlockCompressor {
    /// Owned by this object, at a stable address (zlib keeps pointers into it).
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8] = []

    /// Level 1: on PubMed records within 10 % of level 6's size, and about twice as fast.
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

    /// One block of `parts` (in order), and where each part lies in it.
    func compress(_ parts: [(json: [UInt8], xml: [UInt8])]) -> (data: Data, locations: [RecordBlock.Location]) {
        var locations: [RecordBlock.Location] = []
        locations.reserveCapacity(parts.count)
        let jsonTotal = parts.reduce(0) { $0 + $1.json.count }
        var jsonAt = 0, xmlAt = jsonTotal
        for part in parts {
            locations.append(.init(jsonStart: jsonAt, jsonLength: part.json.count, xmlStart: xmlAt, xmlLength: part.xml.count))
            jsonAt += part.json.count
            xmlAt += part.xml.count
        }
        deflateReset(stream)
        let bound = Int(deflateBound(stream, uLong(xmlAt)))
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let produced: Int = output.withUnsafeMutableBufferPointer { out in
            stream.pointee.next_out = out.baseAddress
            stream.pointee.avail_out = uInt(bound)
            // With deflateBound bytes of room for the whole block, each input is always taken whole.
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
            for part in parts { feed(part.json, finish: false) }
            for part in parts { feed(part.xml, finish: false) }
            feed([], finish: true)
            return Int(stream.pointee.total_out)
        }
        return (Data(output[0..<produced]), locations)
    }
}

/// Reads records out of blocks with one reused inflate state, keeping the last block it read
/// inflated as far as it was asked: the next record of the same block (the common case for
/// `export`, which goes in PMID order, and for the records of one file) inflates only what lies
/// beyond. Not `Sendable`: one per thread.
final class BlockReader {
    private let stream: UnsafeMutablePointer<z_stream>
    /// The block being read: its id, its compressed bytes (zlib reads them in place) and what
    /// has been inflated of it so far.
    private var block: Int64?
    private var data = Data()
    private var inflated: [UInt8] = []
    private var filled = 0
    private var ended = false
    private var broken = false

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit_(stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "inflateInit failed: \(status)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Whether `id` is the block in hand, so its data need not be fetched again.
    func holds(_ id: Int64) -> Bool { block == id }

    /// The bytes of `range` in block `id`, whose compressed bytes `data` are needed only when it
    /// is not the block in hand; nil when the block is damaged (does not inflate, or ends early).
    func bytes(_ range: Range<Int>, of id: Int64, data: () throws -> Data?) rethrows -> [UInt8]? {
        if block != id {
            guard let fresh = try data() else { return nil }
            start(id, fresh)
        }
        guard range.lowerBound >= 0, inflate(upTo: range.upperBound) else { return nil }
        return Array(inflated[range])
    }

    /// Inflates the block as far as `end`, or to its end when `end` is nil.
    private func start(_ id: Int64, _ fresh: Data) {
        block = id
        data = fresh
        filled = 0
        ended = false
        broken = false
        inflateReset(stream)
    }

    private func inflate(upTo end: Int) -> Bool {
        if end <= filled { return true }
        if ended || broken { return false }
        if inflated.count < end { inflated.append(contentsOf: repeatElement(0, count: max(end, 2 * inflated.count) - inflated.count)) }
        let room = inflated.count
        let wanted = end
        let complete: Bool = data.withUnsafeBytes { raw in
            inflated.withUnsafeMutableBufferPointer { out in
                let consumedBefore = Int(stream.pointee.total_in)
                guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
                stream.pointee.next_in = UnsafeMutablePointer(mutating: base + consumedBefore)
                stream.pointee.avail_in = uInt(raw.count - consumedBefore)
                stream.pointee.next_out = out.baseAddress! + filled
                stream.pointee.avail_out = uInt(room - filled)
                while true {
                    let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    filled = room - Int(stream.pointee.avail_out)
                    if status == Z_STREAM_END {
                        ended = true
                        return filled >= wanted
                    }
                    if filled >= wanted { return true }
                    if status != Z_OK || stream.pointee.avail_in == 0 {
                        broken = true
                        return false
                    }
                }
            }
        }
        return complete
    }
}
