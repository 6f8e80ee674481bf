import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// Cutting a gzip stream into chunks at deflate block boundaries, and getting any byte range back
/// from them; and chunks compressed from scratch.
@Suite(.heavyweight) struct CompressedChunkTests {
    /// The whole output of `url` (and of each further file, as more gzip members) and its chunks.
    static func cut(_ urls: [URL], span: Int, readSize: Int = 100_000) throws -> (bytes: [UInt8], chunks: [CompressedChunk]) {
        let recorder = AccessPointRecorder(span: span)
        let inflater = try GzipInflater(fileName: "test.xml.gz", recorder: recorder)
        var bytes: [UInt8] = []
        for url in urls {
            try FileChunks.read(url, chunkSize: readSize, mapError: { GzipError(file: url.lastPathComponent, $0) }) { (chunk) throws(GzipError) in
                try inflater.inflate(chunk) { bytes.append(contentsOf: $0) }
            }
        }
        try inflater.finish()
        return (bytes, recorder.take())
    }

    /// The chunk holding `offset`, as the store finds it: the last one starting at or before it.
    static func lookup(_ chunks: [CompressedChunk]) -> (Int) -> CompressedChunk? {
        { offset in chunks.last { $0.start <= offset } }
    }

    /// Ranges of every kind: whole chunks, across boundaries, at both ends, empty, and pseudo-random.
    static func ranges(_ chunks: [CompressedChunk], total: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = [0..<0, 0..<1, 0..<total, total - 1..<total, total..<total]
        for chunk in chunks {
            ranges.append(chunk.start..<chunk.start + chunk.length)
            ranges.append(max(0, chunk.start - 100)..<min(total, chunk.start + 100))
        }
        var seed: UInt64 = 7
        for _ in 0..<50 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let start = Int(seed >> 33) % total
            ranges.append(start..<min(total, start + Int(seed % 50_000)))
        }
        return ranges
    }

    @Test func everyRangeOfARealFileComesBackFromItsChunks() throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        let (bytes, chunks) = try Self.cut([url], span: 64 * 1024)
        // Contiguous, covering everything, each chunk's window the output just before it.
        #expect(chunks.first?.start == 0)
        #expect(chunks.count > 50)
        for (chunk, next) in zip(chunks, chunks.dropFirst()) { #expect(chunk.start + chunk.length == next.start) }
        #expect(chunks.last.map { $0.start + $0.length } == bytes.count)
        for chunk in chunks.dropFirst() {
            #expect(chunk.window == Array(bytes[max(0, chunk.start - CompressedChunk.windowSize)..<chunk.start]))
        }
        #expect(chunks.first?.window.isEmpty == true)
        // Block boundaries fall mid-byte, so the primed-bits path is taken.
        #expect(chunks.contains { $0.bits > 0 })
        #expect(chunks.contains { $0.bits == 0 })

        let reader = ChunkReader()
        for range in Self.ranges(chunks, total: bytes.count) {
            #expect(reader.bytes(range, chunk: Self.lookup(chunks)) == Array(bytes[range]), "\(range)")
        }
    }

    /// A reader told the stream keeps its last chunk between calls: the same ranges, in an order
    /// that goes back and forth within chunks and jumps between them, and interleaved with a
    /// second stream of the same offsets, still come back byte for byte.
    @Test func aReaderThatKeepsItsLastChunkGivesTheSameBytes() throws {
        let first = try Self.cut([RecordTestData.url(RecordTestData.largerBaseline)], span: 64 * 1024)
        let second = try Self.cut([RecordTestData.url(RecordTestData.largerUpdate)], span: 64 * 1024)
        let reader = ChunkReader()
        var lookups = 0
        let ranges = Self.ranges(first.chunks, total: first.bytes.count)
        for (index, range) in (ranges + ranges.reversed()).enumerated() {
            #expect(reader.bytes(range, stream: 1, chunk: { lookups += 1; return Self.lookup(first.chunks)($0) }) == Array(first.bytes[range]), "\(range)")
            // Another stream with its own chunks at the same offsets, now and then.
            if index % 7 == 0, range.upperBound <= second.bytes.count {
                #expect(reader.bytes(range, stream: 2, chunk: Self.lookup(second.chunks)) == Array(second.bytes[range]), "stream 2 \(range)")
            }
        }
        // Consecutive ranges of one chunk are read from the chunk in hand.
        let chunk = first.chunks[3]
        lookups = 0
        for offset in stride(from: chunk.start, to: chunk.start + chunk.length - 1000, by: 1000).reversed() {
            #expect(reader.bytes(offset..<offset + 1000, stream: 1, chunk: { lookups += 1; return Self.lookup(first.chunks)($0) }) == Array(first.bytes[offset..<offset + 1000]))
        }
        #expect(lookups == 1)
    }

    /// A chunk ends at the first block boundary past the span (NCBI's blocks, gzip -6, hold 100 to
    /// 300 KB of output), and the chunks follow one another with no gap. The boundaries are those
    /// a cut at every block finds.
    @Test func theDefaultSpanCutsAtTheFirstBlockBoundaryPastIt() throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        let (bytes, chunks) = try Self.cut([url], span: CompressedChunk.span)
        let boundaries = try Self.cut([url], span: 1).chunks.map(\.start)
        #expect(chunks.count > 1)
        #expect(chunks.first?.start == 0 && chunks.last.map { $0.start + $0.length } == bytes.count)
        for (chunk, next) in zip(chunks, chunks.dropFirst()) {
            #expect(next.start == chunk.start + chunk.length)
            #expect(next.start == boundaries.first { $0 >= chunk.start + CompressedChunk.span })
        }
    }

    @Test func aFileOfSeveralMembersStartsAChunkAtEachMember() throws {
        let first = RecordTestData.url(RecordTestData.largerBaseline), second = RecordTestData.url(RecordTestData.largerUpdate)
        let (bytes, chunks) = try Self.cut([first, second], span: 256 * 1024)
        var firstLength = 0
        try GzipInflater.readFile(first) { firstLength += $0.count }
        let boundary = try #require(chunks.first { $0.start == firstLength })
        #expect(boundary.window.isEmpty && boundary.bits == 0, "a new member reaches back to nothing")
        let reader = ChunkReader()
        for range in Self.ranges(chunks, total: bytes.count) + [firstLength - 5000..<firstLength + 5000] {
            #expect(reader.bytes(range, chunk: Self.lookup(chunks)) == Array(bytes[range]), "\(range)")
        }
    }

    /// An empty gzip member (what gzip makes of an empty file), here before a real one: no chunk of
    /// no output is left (the next would start at the same offset, and the store keys chunks by it).
    @Test func anEmptyMemberLeavesNoEmptyChunk() throws {
        let folder = try TestPaths.temporaryDirectory("chunks-empty-member")
        let empty = folder.appendingPathComponent("empty.gz")
        try Data([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]).write(to: empty)
        let real = RecordTestData.url(RecordTestData.largerBaseline)
        let (bytes, chunks) = try Self.cut([empty, real, empty, real], span: 256 * 1024)
        #expect(chunks.allSatisfy { $0.length > 0 })
        #expect(Set(chunks.map(\.start)).count == chunks.count)
        for (chunk, next) in zip(chunks, chunks.dropFirst()) { #expect(chunk.start + chunk.length == next.start) }
        let reader = ChunkReader()
        for range in Self.ranges(chunks, total: bytes.count) {
            #expect(reader.bytes(range, chunk: Self.lookup(chunks)) == Array(bytes[range]), "\(range)")
        }
        // And through the store: every record's XML from the file's own stream.
        let joined = folder.appendingPathComponent("joined.xml.gz")
        try (try Data(contentsOf: empty) + Data(contentsOf: real)).write(to: joined)
        let store = try RecordStoreTests.store()
        _ = try store.apply(FileIdentity(name: "joined.xml.gz", folder: "local", cycle: nil, number: nil, md5: "x"), contentsOf: joined)
        var checked = 0
        _ = try ArticleFile.read(joined) { item in
            guard case .record(let record, let xml) = item else { return }
            let stored = try store.record(pmid: record.pmid, version: record.version)
            #expect(stored?.xml == xml)
            checked += 1
        }
        #expect(checked == 756)
    }

    @Test func chunksCompressedHereComeBackToo() throws {
        let compressor = ChunkCompressor()
        var bytes: [UInt8] = []
        var places: [Range<Int>] = []
        // Text that compresses, in pieces of many sizes, past several spans.
        var piece = 0
        while bytes.count < 3 * CompressedChunk.span + 12_345 {
            let text = Array("<PubmedArticle>\(piece) \(String(repeating: "heart failure ", count: piece % 300))</PubmedArticle>".utf8)
            let start = compressor.append(text)
            #expect(start == bytes.count)
            places.append(start..<start + text.count)
            bytes += text
            piece += 1
        }
        compressor.finish()
        let chunks = compressor.take()
        #expect(chunks.count == 4)
        #expect(chunks.allSatisfy { $0.bits == 0 && $0.window.isEmpty })
        #expect(chunks.reduce(0) { $0 + $1.data.count } < bytes.count / 10)
        let reader = ChunkReader()
        for range in places + Self.ranges(chunks, total: bytes.count) {
            #expect(reader.bytes(range, chunk: Self.lookup(chunks)) == Array(bytes[range]), "\(range)")
        }
    }

    @Test func damagedOrMissingChunksGiveNothing() throws {
        let (bytes, chunks) = try Self.cut([RecordTestData.url(RecordTestData.largerBaseline)], span: 64 * 1024)
        let reader = ChunkReader()
        let middle = chunks[chunks.count / 2]
        let range = middle.start + 10..<middle.start + 5000
        #expect(reader.bytes(range, chunk: { _ in nil }) == nil, "missing")
        #expect(reader.bytes(range, chunk: { _ in chunks[0] }) == nil, "a chunk that does not hold the range")
        var cut = middle
        cut.data = Array(cut.data.prefix(100))
        #expect(reader.bytes(range, chunk: { _ in cut }) == nil, "its data cut short")
        var wrongWindow = middle
        wrongWindow.window = Array(repeating: 0x41, count: wrongWindow.window.count)
        #expect(reader.bytes(range, chunk: { _ in wrongWindow }) != Array(bytes[range]), "another window")
        // The reader is not left broken.
        #expect(reader.bytes(range, chunk: Self.lookup(chunks)) == Array(bytes[range]))
    }
}
