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
    /// The longest a read may take (`read` without a limit of its own).
    let queryLimit: Duration
    private let threads: NIOThreadPool
    private let idle = Mutex<[SQLiteRecordStore]>([])

    /// `opened`: a connection already open (the one the server checked the index with), kept for
    /// the first read.
    init(mirror: Mirror, size: Int, queryLimit: Duration, opened: SQLiteRecordStore? = nil) {
        self.mirror = mirror
        self.size = size
        self.queryLimit = queryLimit
        if let opened { idle.withLock { $0.append(opened) } }
        threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
    }

    /// Runs `body` with a connection, on one of the pool's threads; after `limit` its statement is
    /// interrupted (it throws `IndexError.interrupted`), so that no query holds a reader longer.
    func read<T: Sendable>(limit: Duration? = nil, _ body: @escaping @Sendable (SQLiteRecordStore) throws -> T) async throws -> T {
        let limit = limit ?? queryLimit
        return try await threads.runIfActive {
            // Which file the mirror's index is now: read once a read, for the borrow and the return.
            let current = self.mirror.layout.currentIndex().path
            let store = try self.borrow(current)
            defer { self.giveBack(store, current) }
            // Past the limit, the watch interrupts the connection every 2 ms for as long as the body
            // runs (an interrupt between two statements stops nothing, so once is not enough), and
            // never once it has returned: not a later query on this connection.
            let running = Mutex(true)
            let watch = DispatchWorkItem {
                while running.withLock({ running in
                    if running { store.interrupt() }
                    return running
                }) {
                    usleep(2_000)
                }
            }
            let (seconds, attoseconds) = limit.components
            DispatchQueue.global().asyncAfter(deadline: .now() + Double(seconds) + Double(attoseconds) / 1e18, execute: watch)
            defer {
                running.withLock { $0 = false }
                watch.cancel()
            }
            return try body(store)
        }
    }

    func shutdown() async throws {
        try await threads.shutdownGracefully()
        idle.withLock { $0.removeAll() }
    }

    private func borrow(_ current: String) throws -> SQLiteRecordStore {
        while let store = idle.withLock({ $0.popLast() }) {
            if store.path == current { return store }
        }
        return try mirror.openIndex()
    }

    private func giveBack(_ store: SQLiteRecordStore, _ current: String) {
        guard store.path == current else { return }
        idle.withLock { $0.append(store) }
    }
}
