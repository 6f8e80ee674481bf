import Foundation
import PubMedIndex
import PubMedSupport
import Synchronization

/// The shared store's database (README, "The PostgreSQL store"): which index schema answers
/// (`PGCatalog`), the writer's lock, and the stores in it. What the SQLite index keeps as files in
/// the mirror folder (the index in use, one built beside it for a rollover or a rebuild, the
/// switch between them) it keeps as schemas: a new cycle is built in a schema of its own while
/// the live one answers, and one transaction moves the views and the live mark to it.
///
/// A writable index holds PostgreSQL's advisory lock on its writer connection for as long as it is
/// open: a second writer on the same database, from this machine or another, is refused, as a
/// second run on one mirror folder is. Readers need no lock and only SELECT rights.
public final class PostgreSQLIndex: Sendable {
    public let url: DatabaseURL
    public let writable: Bool
    let pool: PGPool
    private let writer: Mutex<PGConnection?>

    /// Opens the database; a writable index takes the writer's lock and creates the control table
    /// when it is missing.
    public init(url: DatabaseURL, writable: Bool) throws(IndexError) {
        self.url = url
        self.writable = writable
        pool = PGPool(url: url)
        guard writable else {
            writer = Mutex(nil)
            return
        }
        do throws(ServerDatabaseFailure) {
            let connection = try PGPool.connect(url)
            try Self.lock(connection)
            try PGCatalog.prepare(connection)
            writer = Mutex(connection)
        } catch {
            throw .server(error)
        }
    }

    deinit { writer.withLock { $0?.releaseAdvisoryLocks() } }

    /// The schema that answers; nil before the first index.
    public func liveSchema() throws(IndexError) -> String? {
        try withConnection { connection throws(ServerDatabaseFailure) in try PGCatalog.liveSchema(connection) }
    }

    /// The high-water mark of the index that answers, for one built to replace it; nil when there
    /// is none or it cannot be read.
    public func liveHighWaterMark() -> Int64? {
        guard let schema = (try? liveSchema()) ?? nil else { return nil }
        return try? withConnection { connection throws(ServerDatabaseFailure) in
            try PGCatalog.highWaterMark(schema, connection)
        }
    }

    /// The index that answers; nil when there is none yet.
    public func openLive() throws(IndexError) -> PostgreSQLRecordStore? {
        guard let schema = try liveSchema() else { return nil }
        return try PostgreSQLRecordStore(index: self, schema: schema, readOnly: !writable)
    }

    /// The index that answers, created (empty, live) when there is none.
    public func openLiveCreating() throws(IndexError) -> PostgreSQLRecordStore {
        if let live = try openLive() { return live }
        let schema = "pubmed_1"
        try withWriter { connection throws(ServerDatabaseFailure) in
            if try !PGCatalog.exists(schema, connection) { try PGCatalog.create(schema, connection) }
            try PGCatalog.makeLive(schema, connection)
        }
        return try PostgreSQLRecordStore(index: self, schema: schema, readOnly: false)
    }

    /// An index built beside the live one (`pubmed_c26` for a new cycle, `pubmed_rebuild`), created
    /// when missing and resumed when a run before this one left it half built.
    public func openBuilding(_ schema: String) throws(IndexError) -> PostgreSQLRecordStore {
        try withWriter { connection throws(ServerDatabaseFailure) in
            if try !PGCatalog.exists(schema, connection) { try PGCatalog.create(schema, connection) }
        }
        return try PostgreSQLRecordStore(index: self, schema: schema, readOnly: false)
    }

    /// A building index, if there is one in `schema` (for `status`).
    public func building(_ schema: String) throws(IndexError) -> PostgreSQLRecordStore? {
        let exists = try withConnection { connection throws(ServerDatabaseFailure) in try PGCatalog.exists(schema, connection) }
        return exists ? try PostgreSQLRecordStore(index: self, schema: schema, readOnly: true) : nil
    }

    /// Makes `store` the index that answers, in one transaction, then drops the one it replaces
    /// unless a reader still holds it (then the next run's `finishRun` drops it, and says so).
    public func switchTo(_ store: PostgreSQLRecordStore) throws(IndexError) {
        try withWriter { connection throws(ServerDatabaseFailure) in try PGCatalog.makeLive(store.schema, connection) }
        // Switched: what follows is tidying, which the next run's finishRun does again (and warns
        // about) when it cannot be done now.
        _ = try? dropReplaced()
    }

    /// Drops the index schemas the live one replaced that a run before could not (a reader held
    /// them); says which are still left.
    func dropReplaced() throws(IndexError) -> String? {
        let left = try withWriter { connection throws(ServerDatabaseFailure) in try PGCatalog.dropReplaced(connection) }
        guard !left.isEmpty else { return nil }
        return "the index schema\(left.count == 1 ? "" : "s") that the live one replaced could not be dropped yet, since a reader still uses "
            + "\(left.count == 1 ? "it" : "them"); the next run tries again: " + left.joined(separator: ", ")
    }

    /// A new, empty index for a rebuild (`pubmed_rYYYYMMDDHHMMSS`); the half-built ones of
    /// rebuilds that were stopped are dropped first.
    public func openRebuild(at date: Date = Date()) throws(IndexError) -> PostgreSQLRecordStore {
        try dropRebuilds { _ in true }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let stamp = [parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!]
            .enumerated().map { $0.offset == 0 ? String($0.element) : String(format: "%02d", $0.element) }.joined()
        return try openBuilding("pubmed_r" + stamp)
    }

    /// Drops a rebuild's index that will not be switched to (nothing when it is live).
    public func discard(_ store: PostgreSQLRecordStore) throws(IndexError) {
        try dropRebuilds { $0 == store.schema }
    }

    /// Drops the rebuilds' schemas (`pubmed_r…`) that are not live and that `which` names; one a
    /// reader still holds (a long export of an index a rebuild replaced) is left for a later run
    /// after 10 s rather than waited for.
    private func dropRebuilds(_ which: (String) -> Bool) throws(IndexError) {
        try withWriter { connection throws(ServerDatabaseFailure) in
            for (name, live) in try PGCatalog.schemas(connection) where !live && name.hasPrefix("pubmed_r") && which(name) {
                do throws(ServerDatabaseFailure) {
                    try PGCatalog.drop(name, connection)
                } catch where error.code == .databaseLocked && connection.isUsable {
                    continue
                }
            }
        }
    }

    // MARK: Connections

    /// The writer's connection; after it was lost (a server restart), a new one, which takes the lock again.
    func writerConnection() throws(IndexError) -> PGConnection {
        do throws(ServerDatabaseFailure) { return try lockedConnection() } catch { throw .server(error) }
    }

    private func lockedConnection() throws(ServerDatabaseFailure) -> PGConnection {
        guard writable else {
            throw ServerDatabaseFailure(server: url.text, operation: "writing", sqlState: "25006",
                                        message: "the index was opened read-only", connectionLost: false)
        }
        if let connection = writer.withLock({ $0 }), connection.isUsable { return connection }
        let connection = try PGPool.connect(url)
        try Self.lock(connection)
        writer.withLock { $0 = connection }
        return connection
    }

    private func withWriter<T>(_ body: (PGConnection) throws(ServerDatabaseFailure) -> T) throws(IndexError) -> T {
        do throws(ServerDatabaseFailure) { return try body(try lockedConnection()) } catch { throw .server(error) }
    }

    /// The writer's connection when there is one (a writer reads through it, under its lock), else the pool's.
    private func withConnection<T>(_ body: (PGConnection) throws(ServerDatabaseFailure) -> T) throws(IndexError) -> T {
        do throws(ServerDatabaseFailure) {
            return writable ? try body(try lockedConnection()) : try pool.with(body)
        } catch {
            throw .server(error)
        }
    }

    /// Takes the database's writer lock on `connection` (for the connection's life).
    static func lock(_ connection: PGConnection) throws(ServerDatabaseFailure) {
        try connection.takeAdvisoryLock("\(PGCatalog.writerLock)", operation: "taking the writer's lock",
                                        doing: "writing to this database (it holds the advisory lock \(PGCatalog.writerLock))")
    }
}
