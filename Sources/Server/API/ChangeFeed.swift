import Foundation
import NIOCore
import PubMedMirror
import Synchronization

/// The change feed's body, streamed as the index is read: a reader thread exports (`export
/// --since`) into chunks of about 256 KB and waits after each until the client has taken it, so
/// a feed of millions of records holds two chunks in memory, and a client that goes away (or takes
/// no chunk for a minute) stops the export and frees its reader.
final class ChangeFeed: Sendable {
    private static let chunkBytes = 256 << 10
    /// How long a chunk may wait for the client to take it.
    private static let patience: DispatchTimeInterval = .seconds(60)
    private let chunks: AsyncThrowingStream<[UInt8], any Error>
    private let gate = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    /// Starts the export on one of `pool`'s readers (with a limit of a day: a full export of
    /// PubMed takes minutes), in the place `pool.beginFeed()` gave, which it gives back when done.
    init(pool: ReaderPool, since: Int64?) {
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        self.chunks = chunks
        let gate = gate
        Task { [self] in
            defer { pool.endFeed() }
            do {
                try await pool.read(limit: .seconds(86_400)) { store in
                    var buffer: [UInt8] = []
                    buffer.reserveCapacity(Self.chunkBytes + (64 << 10))
                    let mark = try store.export(since: since) { item in
                        buffer += item.jsonLine
                        buffer.append(UInt8(ascii: "\n"))
                        guard buffer.count >= Self.chunkBytes else { return }
                        continuation.yield(buffer)
                        buffer.removeAll(keepingCapacity: true)
                        // A chunk not taken in a minute: the client is gone (or its body was never
                        // written); the reader is freed rather than held for ever.
                        if gate.wait(timeout: .now() + Self.patience) == .timedOut { self.stop() }
                        if self.isStopped { throw CancellationError() }
                    }
                    buffer += Array("{\"highWaterMark\":\(mark)}\n".utf8)
                    continuation.yield(buffer)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }

    /// Hands each chunk to `write`, in order; the export goes on once a chunk is written.
    func drain(_ write: (ByteBuffer) async throws -> Void) async throws {
        do {
            for try await chunk in chunks {
                try await write(ByteBuffer(bytes: chunk))
                gate.signal()
            }
            // The stream also ends when this task is cancelled: never let a cut feed look whole
            // (the client must see the connection fail, not an answer without its high-water mark).
            try Task.checkCancellation()
        } catch {
            stop()
            throw error
        }
    }

    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        gate.signal()
    }

    var isStopped: Bool { stopped.load(ordering: .sequentiallyConsistent) }
}
