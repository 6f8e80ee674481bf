import Foundation
import Testing
@testable import PubMedGzip

/// The gzip that `export --shards` writes on every core: one plain member that gzip itself reads
/// back byte for byte, the same bytes whatever the thread count, about the size of one deflate stream.
@Suite struct BlockGzipEncoderTests {
    /// Text like the shards' (JSON lines), `count` bytes of it.
    static func text(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var line = 0
        while bytes.count < count {
            bytes += Array("{\"pmid\":\(31_000_000 + line * 7),\"title\":\"Trial \(line % 97) of drug \(line % 13) in cohort \(line % 5)\",\"year\":\(1990 + line % 35)}\n".utf8)
            line += 1
        }
        return Array(bytes.prefix(count))
    }

    static func compress(_ input: [UInt8], threads: Int, pieces: Int) -> [UInt8] {
        let encoder = BlockGzipEncoder(level: 6, threads: threads)
        var output: [UInt8] = []
        let size = max(1, input.count / pieces + 1)
        var start = 0
        while start < input.count {
            output += encoder.encode(Array(input[start..<min(start + size, input.count)]))
            start += size
        }
        return output + encoder.finish()
    }

    @Test(arguments: [0, 1, 4_095, BlockGzipEncoder.blockSize, BlockGzipEncoder.blockSize + 1, 7 * BlockGzipEncoder.blockSize / 2])
    func gzipReadsBackWhatWasWrittenWhateverTheThreads(count: Int) async throws {
        let input = Self.text(count)
        let one = Self.compress(input, threads: 1, pieces: 3)
        #expect(Self.compress(input, threads: 3, pieces: 7) == one, "the same bytes whatever the threads and pieces")
        let file = try TestPaths.temporaryDirectory("block-gzip").appendingPathComponent("data.gz")
        try Data(one).write(to: file)
        let read = try await ChildProcess.run("/bin/gzip", ["-dc", file.path])
        #expect(read.status == 0, "\(read.stderr)")
        #expect(Array(read.stdout.utf8) == input)
        // Within 1 % (and 64 bytes) of one zlib stream over the whole input: the blocks are primed.
        let whole = GzipStreamEncoder(level: 6).encode(input, finish: true)
        #expect(one.count <= whole.count + whole.count / 100 + 64, "\(one.count) against \(whole.count)")
    }
}
