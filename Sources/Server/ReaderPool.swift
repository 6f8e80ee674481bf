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
///
/// With the index in PostgreSQL (`--database`), each store reads through the database's pool of
/// connections; the live schema is asked for at most once a second, and a switch to a new one
/// (a rollover or rebuild by the writing machine) is followed the same way.
final class ReaderPool: Sendable {
    let mirror: Mirror
    let size: Int
    /// The longest a read may take (`read` without a limit of its own).
    let queryLimit: Duration
    private let threads: NIOThreadPool
    private let idle = Mutex<[any RecordStore]>([])
    /// The shared store, read-only, when the index is in PostgreSQL.
    private let database: PostgreSQLIndex?
    /// Its live schema as last asked, and when.
    private let live = Mutex<(location: String, asked: ContinuousClock.Instant)?>(nil)

    /// `opened`: a connection already open (the one the server checked the index with), kept for
    /// the first read.
    init(mirror: Mirror, size: Int, queryLimit: Duration, opened: (any RecordStore)? = nil) throws(IndexError) {
        self.mirror = mirror
        self.size = size
        feeds = Places(limit: max(1, size - 1))
        self.queryLimit = queryLimit
        database = try mirror.database.map { url throws(IndexError) in try PostgreSQLIndex(url: url, writable: false) }
        if let opened { idle.withLock { $0.append(opened) } }
        threads = NIOThreadPool(numberOfThreads: size)
        threads.start()
    }

    /// Runs `body` with a connection, on one of the pool's threads, within `limit` from now: a read
    /// still waiting for a reader then is answered `IndexError.interrupted` at once (all readers busy
    /// with long queries must not make `/health` or a quick query hang), and one running is
    /// interrupted (its statement throws `IndexError.interrupted`), so that no query holds a reader
    /// longer.
    func read<T: Sendable>(limit: Duration? = nil, _ body: @escaping @Sendable (any RecordStore) throws -> T) async throws -> T {
        let limit = limit ?? queryLimit
        let started = ContinuousClock.now
        return try await withCheckedThrowingContinuation { continuation in
            let read = PendingRead(continuation)
            DispatchQueue.global().asyncAfter(deadline: .now() + limit.inSeconds) { read.endUnbegun(IndexError.interrupted) }
            threads.submit { state in
                guard state == .active else { return read.endUnbegun(CancellationError()) }
                guard read.begin() else { return }
                read.end(Result { try self.run(within: limit - (ContinuousClock.now - started), body) })
            }
        }
    }

    /// A read's continuation, resumed once: by the read when it began on a thread before its
    /// deadline, else at the deadline (or when the pool is shut down) without running it.
    private final class PendingRead<T: Sendable>: Sendable {
        private enum State {
            case waiting(CheckedContinuation<T, any Error>)
            case running(CheckedContinuation<T, any Error>)
            case over
        }
        private let state: Mutex<State>

        init(_ continuation: CheckedContinuation<T, any Error>) { state = Mutex(.waiting(continuation)) }

        /// Whether the read may run: it was not ended first.
        func begin() -> Bool {
            state.withLock { state in
                guard case .waiting(let continuation) = state else { return false }
                state = .running(continuation)
                return true
            }
        }

        func end(_ result: Result<T, any Error>) { take(running: true)?.resume(with: result) }

        /// Ends a read that has not begun with `error`; nothing once it has.
        func endUnbegun(_ error: any Error) { take(running: false)?.resume(throwing: error) }

        private func take(running: Bool) -> CheckedContinuation<T, any Error>? {
            state.withLock { state in
                switch (state, running) {
                case (.waiting(let continuation), false), (.running(let continuation), true):
                    state = .over
                    return continuation
                default:
                    return nil
                }
            }
        }
    }

    /// `body` on this thread with a connection; past `limit` the watch interrupts the connection
    /// every 2 ms for as long as the body runs (an interrupt between two statements stops nothing,
    /// so once is not enough), and never once it has returned: not a later query on it.
    private func run<T>(within limit: Duration, _ body: (any RecordStore) throws -> T) throws -> T {
        // Which index is now in use: found once a read, for the borrow and the return.
        let current = try currentLocation()
        let store = try borrow(current)
        defer { giveBack(store, current) }
        // The watch holds the store only while the body runs: a cancelled work item stays with
        // the queue until its deadline (a day for a change feed), and the store with it would
        // keep a connection to an index a rollover has replaced open as long.
        let running = Mutex<(any RecordStore)?>(store)
        let watch = DispatchWorkItem {
            while running.withLock({ running in
                running?.interrupt()
                return running != nil
            }) {
                usleep(2_000)
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, limit.inSeconds), execute: watch)
        defer {
            running.withLock { $0 = nil }
            watch.cancel()
        }
        return try body(store)
    }

    /// Change feeds running: each holds a reader for as long as its client reads (hours for all of
    /// PubMed), so at most `size - 1` run at once and one reader is always left for queries.
    private let feeds: Places
    var feedLimit: Int { feeds.limit }

    /// Takes a feed's place, if one is free.
    func beginFeed() -> Bool { feeds.take() }

    func endFeed() { feeds.give() }

    func shutdown() async throws {
        try await threads.shutdownGracefully()
        idle.withLock { $0.removeAll() }
    }

    /// The index in use: the SQLite file `index.current` names, or the database's live schema.
    private func currentLocation() throws -> String {
        guard let database else { return mirror.layout.currentIndex().path }
        let now = ContinuousClock.now
        if let known = live.withLock({ $0 }), now - known.asked < .seconds(1) { return known.location }
        guard let schema = try database.liveSchema() else { throw IndexError.notIndexed(path: database.url.text) }
        let location = PostgreSQLRecordStore.location(database.url, schema)
        live.withLock { $0 = (location, now) }
        return location
    }

    private func borrow(_ current: String) throws -> any RecordStore {
        while let store = idle.withLock({ $0.popLast() }) {
            if store.location == current { return store }
        }
        if let database {
            guard let store = try database.openLive() else { throw IndexError.notIndexed(path: database.url.text) }
            return store
        }
        return try mirror.openIndex()
    }

    private func giveBack(_ store: any RecordStore, _ current: String) {
        guard store.location == current else { return }
        idle.withLock { $0.append(store) }
    }
}
