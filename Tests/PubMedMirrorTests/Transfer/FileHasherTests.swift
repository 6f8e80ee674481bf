import Crypto
import Foundation
import Testing
@testable import PubMedSupport
@testable import PubMedTransfer

/// The hasher that follows a download: it hashes what the writer says is written, bytes already
/// there included, and can be finished or cancelled more than once.
@Suite struct FileHasherTests {
    static func file(_ bytes: [UInt8]) throws -> String {
        let path = try TestPaths.temporaryDirectory("hasher").appendingPathComponent("file").path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static let bytes = (0..<3_500_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    static let expected = Insecure.MD5.hash(data: Data(bytes)).map { String(format: "%02x", $0) }.joined()

    @Test func hashesBehindAWriterInStepsAndFinishesTwice() async throws {
        let path = try Self.file([])
        let handle = try #require(FileHandle(forWritingAtPath: path))
        let hasher = try FileHasher(path: path, available: 0)
        var written = 0
        for piece in stride(from: 0, to: Self.bytes.count, by: 300_000) {
            let end = min(piece + 300_000, Self.bytes.count)
            try handle.write(contentsOf: Self.bytes[piece..<end])
            written = end
            hasher.advance(to: Int64(written))
        }
        try handle.close()
        #expect(try hasher.finish() == Self.expected)
        #expect(try hasher.finish() == Self.expected, "a second finish returns the same digest")
        hasher.cancel()  // after finishing: nothing to stop, and no hang
    }

    @Test func bytesAlreadyThereAreHashedToo() throws {
        let path = try Self.file(Self.bytes)
        let hasher = try FileHasher(path: path, available: Int64(Self.bytes.count))
        #expect(try hasher.finish() == Self.expected)
    }

    @Test func cancellingTwiceDoesNotHang() throws {
        let path = try Self.file(Array(Self.bytes.prefix(1000)))
        let hasher = try FileHasher(path: path, available: 1000)
        hasher.advance(to: 2_000_000)  // more than the file holds: the thread waits, or fails
        hasher.cancel()
        hasher.cancel()
    }

    @Test func aFileShorterThanTheWriterSaidIsAnError() throws {
        let path = try Self.file(Array(Self.bytes.prefix(1000)))
        let hasher = try FileHasher(path: path, available: 1000)
        hasher.advance(to: 5000)
        #expect(throws: FileSystemError.self) { _ = try hasher.finish() }
    }
}
