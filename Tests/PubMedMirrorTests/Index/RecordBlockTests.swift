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

/// The stored form of records' JSON: a few records' JSON one after another, in one zlib stream.
@Suite struct RecordBlockTests {
    static func json(_ n: Int, repeats: Int = 1) -> [UInt8] {
        Array(String(repeating: #"{"pmid":\#(n),"title":"Aspirin and heart failure: trial \#(n) é"}"#, count: repeats).utf8)
    }

    static func noise(_ count: Int) -> [UInt8] {
        var seed: UInt32 = 1
        return (0..<count).map { _ in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: seed >> 24)
        }
    }

    struct Stored {
        var id: Int64
        var data: Data
        var pieces: [[UInt8]]
        var ranges: [Range<Int>]
    }

    @Test func everyPieceComesBackExactlyInAnyOrderFromReusedStates() throws {
        let compressor = ZlibCompressor(), reader = BlockReader()
        // Blocks of different sizes through one compressor, including empty pieces and a large one.
        let blocks: [[[UInt8]]] = [(1...16).map { Self.json($0) }, [Self.json(17, repeats: 2000)], [[], Self.json(18), []], (19...21).map { Self.json($0) }]
        let stored = blocks.enumerated().map { index, pieces in
            Stored(id: Int64(index + 1), data: compressor.compress(pieces), pieces: pieces, ranges: RecordBlock.ranges(of: pieces))
        }
        var fetches = 0
        // Forwards, backwards, and jumping between blocks.
        let order = stored.flatMap { block in block.pieces.indices.map { (block, $0) } }
        for (block, index) in order + order.reversed() {
            let bytes = reader.bytes(block.ranges[index], of: block.id) { () -> Data? in
                fetches += 1
                return block.data
            }
            #expect(bytes == block.pieces[index])
        }
        // The block in hand is not fetched again for its next record.
        #expect(fetches < order.count)
        #expect(stored[1].data.count < stored[1].pieces[0].count / 20, "the repeated JSON compresses")
        #expect(reader.all(stored[0].data) == stored[0].pieces.flatMap { $0 })
    }

    @Test func neighboursCompressBetterTogether() {
        let pieces = (1...16).map { Self.json($0) }
        let together = ZlibCompressor().compress(pieces).count
        let apart = pieces.reduce(0) { $0 + ZlibCompressor().compress([$1]).count }
        #expect(together < apart)
    }

    @Test func aReadNeedsOnlyTheStartOfTheStream() throws {
        // 100 kB that hardly compress after the first piece: reading the first must not need them.
        let pieces = [Self.json(1), Self.noise(100_000)]
        let data = ZlibCompressor().compress(pieces)
        let ranges = RecordBlock.ranges(of: pieces)
        #expect(data.count > 90_000)
        let cut = Data(data.prefix(400))
        #expect(BlockReader().bytes(ranges[0], of: 1, data: { cut }) == pieces[0])
        #expect(BlockReader().bytes(ranges[1], of: 1, data: { cut }) == nil)
        #expect(BlockReader().all(cut) == nil)
    }

    @Test func damagedBlocksAreRefusedNotMisread() {
        let pieces = (1...3).map { Self.json($0) }
        let data = ZlibCompressor().compress(pieces)
        let last = RecordBlock.ranges(of: pieces)[2]
        #expect(BlockReader().bytes(last, of: 1, data: { Data() }) == nil, "empty")
        #expect(BlockReader().bytes(last, of: 1, data: { nil }) == nil, "missing")
        #expect(BlockReader().bytes(last, of: 1, data: { Data([0x00, 0x01, 0x02]) }) == nil, "not zlib")
        #expect(BlockReader().bytes(last.lowerBound..<last.upperBound + 1, of: 1, data: { data }) == nil, "past the end")
        // Deflate has no checksum short of the stream's end, but damage to its codes shows.
        var flipped = data
        flipped[2] ^= 0xFF
        let reader = BlockReader()
        #expect(reader.bytes(last, of: 1, data: { flipped }) != pieces[2])
        // After all that, the same reader still reads a good block.
        #expect(reader.bytes(last, of: 2, data: { data }) == pieces[2])
    }
}
