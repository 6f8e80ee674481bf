import Foundation
import Testing
@testable import PubMedMirror

/// The stored form of records: a few records' JSON, then their XML, in one zlib stream.
@Suite struct RecordBlockTests {
    static func part(_ n: Int, xmlRepeats: Int = 1) -> (json: [UInt8], xml: [UInt8]) {
        let json = Array(#"{"pmid":\#(n),"title":"Aspirin and heart failure: trial \#(n)"}"#.utf8)
        let xml = Array(repeating: Array("<PubmedArticle><ArticleTitle>Aspirin and heart failure: trial \(n)</ArticleTitle>\u{e9}</PubmedArticle>".utf8),
                        count: xmlRepeats).flatMap { $0 }
        return (json, xml)
    }

    static func noise(_ count: Int) -> [UInt8] {
        var seed: UInt32 = 1
        return (0..<count).map { _ in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: seed >> 24)
        }
    }

    @Test func everyPartComesBackExactlyInAnyOrderFromReusedStates() throws {
        let compressor = BlockCompressor(), reader = BlockReader()
        // Blocks of different sizes through one compressor, including empty parts and a large one.
        let blocks: [[(json: [UInt8], xml: [UInt8])]] = [
            (1...8).map { Self.part($0) },
            [Self.part(9, xmlRepeats: 2000)],
            [([], Self.part(10).xml), (Self.part(11).json, []), ([], [])],
            (12...14).map { Self.part($0) },
        ]
        var stored: [(id: Int64, data: Data, parts: [(json: [UInt8], xml: [UInt8])], locations: [RecordBlock.Location])] = []
        for (index, parts) in blocks.enumerated() {
            let (data, locations) = compressor.compress(parts)
            #expect(locations.count == parts.count)
            stored.append((Int64(index + 1), data, parts, locations))
        }
        var fetches = 0
        // Forwards, backwards, XML before JSON, and jumping between blocks.
        let order = stored.flatMap { block in block.parts.indices.map { (block, $0) } }
        for (block, index) in order + order.reversed() {
            let location = block.locations[index]
            let data = { () -> Data? in fetches += 1; return block.data }
            #expect(reader.bytes(location.xml, of: block.id, data: data) == block.parts[index].xml)
            #expect(reader.bytes(location.json, of: block.id, data: data) == block.parts[index].json)
        }
        // The block in hand is not fetched again for its next record.
        #expect(fetches < order.count)
        let large = stored[1]
        #expect(large.data.count < large.parts[0].xml.count / 20, "the repeated XML compresses")
    }

    @Test func neighboursCompressBetterTogether() {
        let parts = (1...8).map { Self.part($0) }
        let together = BlockCompressor().compress(parts).data.count
        let apart = parts.reduce(0) { $0 + BlockCompressor().compress([$1]).data.count }
        #expect(together < apart)
    }

    @Test func aJSONReadNeedsOnlyTheStartOfTheStream() throws {
        // 100 kB that hardly compress after the JSON: a JSON read must not need them.
        let parts = [(Self.part(1).json, Self.noise(100_000))]
        let (data, locations) = BlockCompressor().compress(parts)
        #expect(data.count > 90_000)
        let cut = Data(data.prefix(400))
        #expect(BlockReader().bytes(locations[0].json, of: 1, data: { cut }) == parts[0].0)
        #expect(BlockReader().bytes(locations[0].xml, of: 1, data: { cut }) == nil)
    }

    @Test func damagedBlocksAreRefusedNotMisread() {
        let parts = (1...3).map { Self.part($0) }
        let (data, locations) = BlockCompressor().compress(parts)
        let last = locations[2].xml
        #expect(BlockReader().bytes(last, of: 1, data: { Data() }) == nil, "empty")
        #expect(BlockReader().bytes(last, of: 1, data: { nil }) == nil, "missing")
        #expect(BlockReader().bytes(last, of: 1, data: { Data([0x00, 0x01, 0x02]) }) == nil, "not zlib")
        #expect(BlockReader().bytes(last.lowerBound..<last.upperBound + 1, of: 1, data: { data }) == nil, "past the end")
        // Deflate has no checksum short of the stream's end, but damage to its codes shows.
        var flipped = data
        flipped[2] ^= 0xFF
        let reader = BlockReader()
        #expect(reader.bytes(last, of: 1, data: { flipped }) != parts[2].xml)
        // After all that, the same reader still reads a good block.
        #expect(reader.bytes(last, of: 2, data: { data }) == parts[2].xml)
    }
}
