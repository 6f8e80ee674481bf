internal import CZlib
import Foundation

/// How a record is stored: its JSON and its original XML compressed together, JSON first, as one
/// zlib stream (RFC 1950) after an 8-byte header: the JSON's length and the XML's length, each
/// 4 bytes little-endian. One stream is smaller and faster than two: the XML repeats the title,
/// abstract and names that the JSON holds, and deflate finds them in its window. The JSON comes
/// first so that `search` and `export`, which need only the JSON, inflate only that far.
/// https://www.zlib.net/manual.html
enum RecordBlob {
    static let headerSize = 8

    /// The lengths in a blob's header, or nil when it is too short to have one.
    static func lengths(_ blob: UnsafeRawBufferPointer) -> (json: Int, xml: Int)? {
        guard blob.count >= headerSize else { return nil }
        func word(_ at: Int) -> Int {
            Int(blob[at]) | Int(blob[at + 1]) << 8 | Int(blob[at + 2]) << 16 | Int(blob[at + 3]) << 24
        }
        return (word(0), word(4))
    }
}

/// Compresses many records with one reused deflate state. `compress2` sets up (and zeroes) a
/// fresh 256 KiB state for every call, which cost more than the compression itself when indexing
/// 30,000 records a file; `deflateReset` keeps the allocation. Not `Sendable`: one per thread.
final class BlobCompressor {
    /// Owned by this object, at a stable address (zlib keeps pointers into it).
    private let stream: UnsafeMutablePointer<z_stream>
    private var output: [UInt8] = []

    /// Level 1: on PubMed records about as small as level 6 within 10 %, and about twice as fast.
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

    /// A `RecordBlob`: the header, then `json` and `xml` in one zlib stream.
    func compress(json: [UInt8], xml: [UInt8]) -> Data {
        deflateReset(stream)
        let bound = Int(deflateBound(stream, uLong(json.count + xml.count)))
        if output.count < bound + RecordBlob.headerSize {
            output = [UInt8](repeating: 0, count: bound + RecordBlob.headerSize)
        }
        let produced: Int = output.withUnsafeMutableBufferPointer { out in
            for (offset, length) in [(0, json.count), (4, xml.count)] {
                for byte in 0..<4 { out[offset + byte] = UInt8(truncatingIfNeeded: length >> (8 * byte)) }
            }
            stream.pointee.next_out = out.baseAddress! + RecordBlob.headerSize
            stream.pointee.avail_out = uInt(bound)
            json.withUnsafeBufferPointer { source in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.pointee.avail_in = uInt(source.count)
                // With deflateBound bytes of room for both parts, the input is always taken whole.
                let status = deflate(stream, Z_NO_FLUSH)
                precondition((status == Z_OK || status == Z_BUF_ERROR) && stream.pointee.avail_in == 0,
                             "deflate did not take the JSON: \(status)")
            }
            return xml.withUnsafeBufferPointer { source in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.pointee.avail_in = uInt(source.count)
                let status = deflate(stream, Z_FINISH)
                precondition(status == Z_STREAM_END, "deflate did not finish: \(status)")
                return RecordBlob.headerSize + Int(stream.pointee.total_out)
            }
        }
        return Data(output[0..<produced])
    }
}

/// Reads `RecordBlob`s with one reused inflate state. Not `Sendable`: one per thread.
final class BlobInflater {
    private let stream: UnsafeMutablePointer<z_stream>

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

    /// The record's JSON, inflating no further than its end; nil for a damaged blob.
    func json(_ blob: Data) -> [UInt8]? {
        inflate(blob, wantXML: false)?.json
    }

    /// The record's JSON and original XML; nil for a damaged blob.
    func both(_ blob: Data) -> (json: [UInt8], xml: [UInt8])? {
        inflate(blob, wantXML: true)
    }

    private func inflate(_ blob: Data, wantXML: Bool) -> (json: [UInt8], xml: [UInt8])? {
        blob.withUnsafeBytes { raw -> (json: [UInt8], xml: [UInt8])? in
            guard let lengths = RecordBlob.lengths(raw) else { return nil }
            let wanted = lengths.json + (wantXML ? lengths.xml : 0)
            // One byte of room past a whole record, so that a stream longer than its header says
            // is caught rather than cut.
            let room = wantXML ? wanted + 1 : wanted
            guard room > 0 else { return ([], []) }
            var output = [UInt8](repeating: 0, count: room)
            let complete = output.withUnsafeMutableBufferPointer { out -> Bool in
                inflateReset(stream)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    + RecordBlob.headerSize)
                stream.pointee.avail_in = uInt(raw.count - RecordBlob.headerSize)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(room)
                while true {
                    let status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    let produced = room - Int(stream.pointee.avail_out)
                    // A JSON-only read stops as soon as it has the JSON; a whole read needs the
                    // stream to end (its checksum verified) exactly where the header says.
                    if !wantXML && produced == wanted { return true }
                    if status == Z_STREAM_END { return produced == wanted }
                    if status != Z_OK || stream.pointee.avail_out == 0 { return false }
                }
            }
            guard complete else { return nil }
            return (Array(output[0..<lengths.json]), Array(output[lengths.json..<wanted]))
        }
    }
}
