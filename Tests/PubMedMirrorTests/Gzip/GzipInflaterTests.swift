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

@Suite(.heavyweight) struct GzipInflaterTests {
    /// Decompresses `compressed` fed in pieces of `chunkSize`, returning the output and the
    /// largest chunk the inflater emitted.
    private static func inflate(_ compressed: [UInt8], chunkSize: Int, name: String = "test.gz") throws -> (bytes: [UInt8], largestChunk: Int) {
        let inflater = try GzipInflater(fileName: name)
        var output: [UInt8] = []
        var largest = 0
        try compressed.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = min(chunkSize, buffer.count - offset)
                try inflater.inflate(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count])) { (chunk) throws(GzipError) in
                    largest = max(largest, chunk.count)
                    output.append(contentsOf: chunk)
                }
                offset += count
            }
        }
        try inflater.finish()
        return (output, largest)
    }

    private static func gzip(_ data: [UInt8]) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("data")
        try Data(data).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-n", "-6", file.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try [UInt8](Data(contentsOf: folder.appendingPathComponent("data.gz")))
    }

    /// The sample's decompressed size and sha256 are given in SOURCES.md; the bytes must come out
    /// the same whatever the input chunking, and no output chunk exceeds 256 KiB.
    @Test(arguments: [1, 7, 4096, 1 << 20])
    func realFileInAnyChunking(chunkSize: Int) throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        let compressed = try [UInt8](Data(contentsOf: url))
        let (bytes, largest) = try Self.inflate(compressed, chunkSize: chunkSize)
        #expect(bytes.count == 5_709_076)
        #expect(largest <= GzipInflater.outputChunkSize)
        #expect(bytes.starts(with: Array("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n".utf8)))
        #expect(bytes.suffix(20) == ArraySlice("</PubmedArticleSet>\n".utf8))
    }

    @Test func readFileStreamsTheWholeFile() throws {
        var total = 0
        var largest = 0
        try GzipInflater.readFile(RecordTestData.url(RecordTestData.largerUpdate), chunkSize: 100_000) { chunk in
            total += chunk.count
            largest = max(largest, chunk.count)
        }
        #expect(total == 5_540_234)
        #expect(largest == GzipInflater.outputChunkSize)
    }

    /// `cat a.gz b.gz` is a valid gzip file whose content is both files' content.
    @Test(arguments: [1, 13, 1 << 16])
    func multipleMembers(chunkSize: Int) throws {
        let first = Array("first member\n".utf8)
        let second = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000) + Array("end\n".utf8)
        let joined = try Self.gzip(first) + Self.gzip(second) + Self.gzip([])
        let (bytes, _) = try Self.inflate(joined, chunkSize: chunkSize)
        #expect(bytes == first + second)
    }

    @Test func truncatedDownloadNamesTheOffset() throws {
        let url = RecordTestData.url(RecordTestData.truncated)
        var total = 0
        let error = try RecordTestData.error(GzipError.self) {
            try GzipInflater.readFile(url) { total += $0.count }
        }
        #expect(error.kind == .truncated)
        #expect(error.byteOffset == 212_992)
        #expect(error.description == "pubmed23n0001.xml.gz: the gzip stream ends early at byte 212992 (truncated download?)")
        // Everything before the cut was delivered (SOURCES.md: 2,009,329 decompressible bytes).
        #expect(total == 2_009_329)
    }

    @Test func truncatedInTheMiddleOfTheSecondMember() throws {
        let joined = try Self.gzip(Array("one".utf8)) + Self.gzip(Array("two".utf8))
        let error = try RecordTestData.error(GzipError.self) { _ = try Self.inflate(Array(joined.dropLast(3)), chunkSize: 5) }
        #expect(error.kind == .truncated)
        #expect(error.byteOffset == joined.count - 3)
    }

    @Test(arguments: [
        ("<?xml version=\"1.0\"?><PubmedArticleSet/>", "not a gzip file"),
        ("\u{1f}x", "not a gzip file"),
    ])
    func notGzip(text: String, message: String) throws {
        let error = try RecordTestData.error(GzipError.self) { _ = try Self.inflate(Array(text.utf8), chunkSize: 1) }
        #expect(error.kind == .notGzip)
        #expect(error.description == "test.gz: \(message)")
    }

    @Test func emptyInput() throws {
        let error = try RecordTestData.error(GzipError.self) { _ = try Self.inflate([], chunkSize: 1) }
        #expect(error.kind == .notGzip)
        #expect(error.description == "test.gz: the file is empty, not a gzip file")
    }

    /// A flipped byte inside the deflate data: zlib's message and the compressed offset.
    @Test func corruptData() throws {
        var compressed = try [UInt8](Data(contentsOf: RecordTestData.url(RecordTestData.largerBaseline)))
        for index in 1000..<1100 { compressed[index] ^= 0x5a }
        let error = try RecordTestData.error(GzipError.self) { _ = try Self.inflate(compressed, chunkSize: 4096) }
        #expect(error.kind == .data)
        let offset = try #require(error.byteOffset)
        #expect((1000...1100 + 4096).contains(offset))
        #expect(error.description.hasPrefix("test.gz: gzip data error at byte \(offset): "))
    }

    /// A CRC mismatch in the trailer is a data error, not silent success.
    @Test func badChecksum() throws {
        var compressed = try Self.gzip(Array("some text that will be checked".utf8))
        compressed[compressed.count - 8] ^= 0xff
        let error = try RecordTestData.error(GzipError.self) { _ = try Self.inflate(compressed, chunkSize: 1 << 16) }
        #expect(error.kind == .data)
        #expect(error.description.contains("incorrect data check"))
    }

    /// An error thrown by the output closure stops the inflater and comes back unchanged.
    @Test func outputErrorStops() throws {
        let inflater = try GzipInflater(fileName: "x.gz")
        let compressed = try [UInt8](Data(contentsOf: RecordTestData.url(RecordTestData.largerBaseline)))
        let stop = GzipError(kind: .io, file: "x.gz", message: "stop")
        let error = try RecordTestData.error(GzipError.self) {
            try compressed.withUnsafeBytes { buffer in
                try inflater.inflate(buffer) { (_) throws(GzipError) in throw stop }
            }
        }
        #expect(error.message == "stop")
        let later = try RecordTestData.error(GzipError.self) { try inflater.finish() }
        #expect(later.message == "stop")
    }
}
