import Foundation

/// How records' JSON is stored: the JSON of up to `capacity` consecutive records of one file, one
/// after another, as one zlib stream (RFC 1950). Each record's row says where its JSON lies in the
/// block's uncompressed bytes. (The original XML is kept apart, as `CompressedChunk`s of the
/// file's own gzip stream.)
///
/// Why blocks: deflate starts every stream cold, with nothing to match against, and most of a lone
/// record's cost and size come from that start; neighbouring PubMed records share keys, journal
/// names, MeSH terms and affiliations. Blocks of 16 took less than half the time and about half
/// the space of one stream a record (measurements: Docs/benchmarks.md), and a search hit then
/// inflates at most 16 records' JSON (some 50 kB). https://www.zlib.net/manual.html
enum RecordBlock {
    /// Records a block holds at most.
    static let capacity = 16

    /// Where each piece lies in the concatenation of `pieces`.
    static func ranges(of pieces: [[UInt8]]) -> [Range<Int>] {
        var start = 0
        return pieces.map { piece in
            defer { start += piece.count }
            return start..<start + piece.count
        }
    }
}
