import Foundation
import NIOPosix
import PubMedMirror
import Synchronization

/// The server's reads: a fixed number of threads, each borrowing one read-only connection to the
/// index (SQLite calls block, so they stay off the event loops), so that at most `size` queries run
/// at once whatever the number of clients; the others wait their turn.
///
/// Each read sees the index as last committed (WAL: a `fetch` applying a file does not block it,
/// and the file's records appear once its transaction commits). When an annual rollover switches
/// the mirror to a new index file, a connection to the old one is closed when it is next returned
/// and the next read opens the new one; a read already running finishes on the old file.
final class ReaderPool: Sendable {
    let mirror: Mirror
    let size: Int
    private let threads: NIOThreadPool
    private let idle = Mutex<[SQLiteRecordStore]>([])

    init(mirror: Mirror, size: Int) {
        self.mirror = mirror
        self.size = size
        threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
    }

    /// Runs `body` with a connection, on one of the pool's threads.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteRecordStore) throws -> T) async throws -> T {
        try await threads.runIfActive {
            let store = try self.borrow()
            defer { self.giveBack(store) }
            return try body(store)
        }
    }

    func shutdown() async throws {
        try await threads.shutdownGracefully()
        idle.withLock { $0.removeAll() }
    }

    private func borrow() throws -> SQLiteRecordStore {
        let current = mirror.layout.currentIndex().path
        while let store = idle.withLock({ $0.popLast() }) {
            if store.path == current { return store }
        }
        return try mirror.openIndex()
    }

    private func giveBack(_ store: SQLiteRecordStore) {
        guard store.path == mirror.layout.currentIndex().path else { return }
        idle.withLock { $0.append(store) }
    }
}
