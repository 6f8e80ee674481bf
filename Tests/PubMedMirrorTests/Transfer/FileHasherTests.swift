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

    /// The hash failing part way (the file cut short under it: EIO, ESTALE and the like the same)
    /// must not leave the writer waiting for ever on a full channel, inside libcurl's write
    /// callback, once it has run more than the channel's 64 steps ahead: the writer goes on, and
    /// `finish` reports the failure.
    @Test func aHashThatFailsPartWayNeverBlocksTheWriter() async throws {
        let path = try Self.file(Array(Self.bytes.prefix(1000)))
        let hasher = try FileHasher(path: path, available: 1000)
        hasher.advance(to: 2 << 20)  // past the file's end: the hashing thread fails
        let done = OneShot<Bool>()
        // The writer's thread owns the hasher from here on (as a download's transfer thread does).
        nonisolated(unsafe) let owned = hasher
        let writer = Thread {
            for step in 3...200 { owned.advance(to: Int64(step) << 20) }
            _ = done.finish(true)
        }
        writer.start()
        let deadline = ContinuousClock.now + .seconds(20)
        while done.value == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(done.value == true, "the writer was still waiting on the channel after 20 s")
        guard done.value == true else { return }
        #expect(throws: FileSystemError.self) { _ = try hasher.finish() }
    }

    @Test func aFileShorterThanTheWriterSaidIsAnError() throws {
        let path = try Self.file(Array(Self.bytes.prefix(1000)))
        let hasher = try FileHasher(path: path, available: 1000)
        hasher.advance(to: 5000)
        #expect(throws: FileSystemError.self) { _ = try hasher.finish() }
    }
}
