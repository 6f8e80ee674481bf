import Foundation
import Testing
@testable import PubMedMirror

/// The stored form of a record: JSON and XML in one zlib stream behind an 8-byte header.
@Suite struct RecordBlobTests {
    static let json = Array(#"{"pmid":1,"title":"Aspirin and heart failure: a trial"}"#.utf8)
    static let xml = Array("<PubmedArticle><ArticleTitle>Aspirin and heart failure: a trial</ArticleTitle>\u{e9}</PubmedArticle>".utf8)

    @Test func bothPartsComeBackExactlyFromOneReusedCompressor() throws {
        let compressor = BlobCompressor(), inflater = BlobInflater()
        // Reuse across records of different sizes, including empty parts and a large one.
        let large = Array(repeating: Self.xml, count: 2000).flatMap { $0 }
        for (json, xml) in [(Self.json, Self.xml), ([], Self.xml), (Self.json, []), (Self.json, large), (Self.json, Self.xml)] {
            let blob = compressor.compress(json: json, xml: xml)
            let both = try #require(inflater.both(blob))
            #expect(both.json == json && both.xml == xml)
            #expect(inflater.json(blob) == json)
        }
        let blob = compressor.compress(json: Self.json, xml: large)
        #expect(blob.count < large.count / 20, "the repeated XML compresses")
    }

    @Test func theXMLRepeatingTheJSONCostsLittle() {
        let compressor = BlobCompressor()
        let jsonAlone = compressor.compress(json: Self.json, xml: []).count
        let together = compressor.compress(json: Self.json, xml: Self.xml).count
        let xmlAlone = compressor.compress(json: [], xml: Self.xml).count
        #expect(together < jsonAlone + xmlAlone)
    }

    @Test func aJSONReadNeedsOnlyTheStartOfTheStream() throws {
        // 100 kB that hardly compress, so the stream is long and the JSON is at its very start.
        var seed: UInt32 = 1
        let noise = (0..<100_000).map { _ in
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: seed >> 24)
        }
        let blob = BlobCompressor().compress(json: Self.json, xml: noise)
        #expect(blob.count > 90_000)
        // Cut the stream far before its end: the JSON still comes back, the whole record does not.
        let cut = Data(blob.prefix(RecordBlob.headerSize + 400))
        #expect(BlobInflater().json(cut) == Self.json)
        #expect(BlobInflater().both(cut) == nil)
    }

    @Test func damagedBlobsAreRefusedNotMisread() {
        let compressor = BlobCompressor(), inflater = BlobInflater()
        let blob = compressor.compress(json: Self.json, xml: Self.xml)
        #expect(inflater.both(Data()) == nil, "no header")
        #expect(inflater.both(Data(blob.prefix(5))) == nil, "short header")
        var flipped = blob
        flipped[blob.count - 2] ^= 0xFF
        #expect(inflater.both(flipped) == nil, "checksum")
        var longer = blob
        longer[4] = longer[4] &- 1  // the header says one byte less XML than the stream holds
        #expect(inflater.both(longer) == nil)
        var shorter = blob
        shorter[4] = shorter[4] &+ 1  // and one byte more
        #expect(inflater.both(shorter) == nil)
        #expect(inflater.both(Data(blob.prefix(RecordBlob.headerSize) + [0x00, 0x01, 0x02])) == nil, "not zlib")
        // After all that, the same inflater still reads a good blob.
        #expect(inflater.both(blob)?.xml == Self.xml)
    }
}
