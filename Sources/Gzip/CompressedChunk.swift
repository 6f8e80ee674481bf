import Foundation

/// A piece of a compressed stream that can be inflated on its own, without the bytes before it:
/// the raw deflate data from an access point (the boundary between two deflate blocks) on, with
/// what inflating needs at that point. The index keeps NCBI's own compressed bytes this way as
/// the records' original XML, at no compression cost; `ChunkReader` gets any byte range back.
///
/// The technique is the one zlib's `examples/zran.c` describes: at a block boundary the decoder
/// needs only the bit position and the last 32 KiB of output (the furthest a deflate
/// back-reference can reach). https://www.zlib.net/manual.html (`Z_BLOCK`, `inflatePrime`,
/// `inflateGetDictionary`, `inflateSetDictionary`)
public struct CompressedChunk: Sendable, Equatable {
    /// Where the chunk's output starts in the whole uncompressed stream.
    public var start: Int
    /// How many uncompressed bytes the chunk yields.
    public var length: Int
    /// Unused bits in `data[0]` that begin this chunk's first block (the rest of that byte ended
    /// the previous block); 0 when the chunk starts on a byte boundary.
    public var bits: Int
    /// The output just before `start`, up to 32 KiB, that back-references may reach; empty at the
    /// start of a deflate stream or after a full flush.
    public var window: [UInt8]
    /// Raw deflate data from the access point on, through at least the byte where the next chunk
    /// starts (the last block may run on past `length`; readers stop there).
    public var data: [UInt8]

    public init(start: Int, length: Int, bits: Int, window: [UInt8], data: [UInt8]) {
        self.start = start
        self.length = length
        self.bits = bits
        self.window = window
        self.data = data
    }

    /// Output bytes between access points at least, within a gzip member: the first block boundary
    /// past it ends a chunk, and so does the member's end (NCBI's gzip -6 blocks hold 100–300 KB of
    /// output). Reading a record inflates its chunk up to it, half a chunk on average, and each
    /// chunk stores a window (about 5 KB compressed). At 128 KiB, against 1 MiB, `efetch` of one
    /// record served about twice the requests a second for 4.6 % more index (Docs/benchmarks.md,
    /// "Serving"). Read back whatever the span was when the index was made.
    public static let span = 1 << 17
    /// The deflate window: the furthest a back-reference reaches.
    public static let windowSize = 1 << 15
}

/// Cuts a gzip file into `CompressedChunk`s while `GzipInflater` inflates it (with `Z_BLOCK`, so
/// that zlib stops at each block boundary): an access point at the start of each member and then
/// at the first block boundary past every `CompressedChunk.span` bytes of output. Holds the
/// compressed bytes of the chunk being cut, and the finished chunks until they are taken. Used by
/// the inflater's thread only.
package final class AccessPointRecorder {
    private let span: Int
    /// The chunk being cut: its access point, and its compressed bytes so far.
    private var current: (start: Int, bits: Int, window: [UInt8])?
    private var data: [UInt8] = []
    private var finished: [CompressedChunk] = []
    /// Uncompressed output so far, over all members.
    private(set) var produced = 0

    init(span: Int = CompressedChunk.span) {
        self.span = span
    }

    /// Whether an access point here is worth recording: at a member's start, or a span after the last.
    func wants(memberStart: Bool) -> Bool {
        guard let current else { return true }
        return memberStart || produced - current.start >= span
    }

    /// Compressed bytes the inflater took, in order.
    func consumed(_ bytes: UnsafeRawBufferPointer) {
        data.append(contentsOf: bytes)
    }

    /// Uncompressed bytes the inflater produced.
    func produced(_ count: Int) {
        produced += count
    }

    /// An access point after the bytes consumed so far, `bits` of the last one unused; `window`
    /// is the output before it that back-references may reach.
    func point(bits: Int, window: [UInt8]) {
        // The byte holding the new block's first bits belongs to both chunks.
        let shared = bits > 0 ? data.last : nil
        close()
        current = (produced, bits, window)
        if let shared { data.append(shared) }
    }

    /// The input ended: the chunk being cut is complete.
    func finish() {
        close()
    }

    /// Whether chunks are completed and not yet taken.
    var hasFinished: Bool { !finished.isEmpty }

    /// The chunks completed since the last call.
    func take() -> [CompressedChunk] {
        defer { finished.removeAll() }
        return finished
    }

    private func close() {
        // A chunk of no output (an empty gzip member, an empty first block) is left out: the next
        // chunk starts at the same offset and holds whatever comes there.
        if let current, produced > current.start {
            finished.append(CompressedChunk(start: current.start, length: produced - current.start, bits: current.bits,
                                            window: current.window, data: data))
        }
        current = nil
        data = []
    }
}
