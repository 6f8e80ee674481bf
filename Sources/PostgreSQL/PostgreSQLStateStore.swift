import Foundation
import PubMedFiles
import PubMedListing
import PubMedSupport
import Synchronization

/// The mirror's state in the shared database (`--database`): the file ledger, the fetch runs and
/// the publish targets, in tables of the control schema `pubmed_mirror` beside the index schemas,
/// so that every machine with the URL (and a read-only role) sees what the writing machine has
/// mirrored. The tables and their columns are `PGLedger`'s.
///
/// A writable state holds the database's ledger lock (an advisory lock, not the index's writer
/// lock: the two are taken by different connections of one run) for as long as it is open, so a
/// fetch, index, verify or publish on another machine is refused with exit 3 while one runs. Its
/// connection is used by one thread at a time (parallel downloads record their files through it
/// in turn); when the server restarted it is replaced and the lock taken again.
public final class PostgreSQLStateStore: MirrorState {
    public let url: DatabaseURL
    public let writable: Bool
    /// Whether it holds the ledger lock.
    public let exclusive: Bool
    private let pool: PGPool
    private let writer: Mutex<PGConnection?>
    /// The publish target whose lock the writer's connection holds (`lockTarget`), to take again
    /// with a new connection.
    private let target = Mutex<String?>(nil)
    /// Whether a reader has seen the ledger's tables: until then it asks the catalog whether they
    /// exist rather than query them and fail (each failure an ERROR line in the server's log).
    private let ledgerSeen = Mutex(false)

    public var location: String { url.text }

    /// The state, read-only: connects only when first read.
    public init(readingFrom url: DatabaseURL) {
        self.url = url
        writable = false
        exclusive = false
        pool = PGPool(url: url)
        writer = Mutex(nil)
    }

    /// Opens the state for writing: takes the ledger lock (unless not `exclusive`) and creates the
    /// tables when missing.
    public init(writingTo url: DatabaseURL, exclusive: Bool = true) throws(MirrorError) {
        self.url = url
        writable = true
        self.exclusive = exclusive
        pool = PGPool(url: url)
        do throws(ServerDatabaseFailure) {
            let connection = try PGPool.connect(url)
            if exclusive { try Self.lock(connection) }
            try PGLedger.prepare(connection)
            writer = Mutex(connection)
        } catch {
            throw .server(error)
        }
    }

    deinit { writer.withLock { $0?.releaseAdvisoryLocks() } }

    /// Takes the lock of publishing to `key` (a target's URL) for as long as this state is open:
    /// two machines publishing one mirror to one target never overlap (each folder's own publish
    /// lock keeps apart only the runs of one machine).
    public func lockTarget(_ key: String) throws(MirrorError) {
        target.withLock { $0 = key }
        try write("taking the lock of publishing to \(key)") { connection throws(ServerDatabaseFailure) in
            try Self.lockTarget(key, connection)
        }
    }

    private static func lockTarget(_ key: String, _ connection: PGConnection) throws(ServerDatabaseFailure) {
        try connection.takeAdvisoryLock("\(PGLedger.publishLockClass), hashtext($1)", [key], operation: "taking the lock of publishing to \(key)",
                                        doing: "publishing to \(key) from this database's mirror")
    }

    // MARK: Files

    public func files() throws(MirrorError) -> [MirroredFile] {
        try read("reading the file ledger") { connection throws(ServerDatabaseFailure) in
            let result = try connection.execute("SELECT \(PGLedger.file.selectList) FROM \(PGLedger.file.table) ORDER BY folder, cycle, number")
            return (0..<result.count).compactMap { PGLedger.mirroredFile(result, $0) }
        }
    }

    public func save(_ file: MirroredFile) throws(MirrorError) {
        try save([file])
    }

    public func save(_ files: [MirroredFile]) throws(MirrorError) {
        guard !files.isEmpty else { return }
        try write("recording \(files.count == 1 ? files[0].name : "\(files.count) files")") { connection throws(ServerDatabaseFailure) in
            for file in files { try connection.execute(PGLedger.file.upsert, PGLedger.values(file)) }
        }
    }

    public func forget(_ files: [MirroredFile]) throws(MirrorError) {
        guard !files.isEmpty else { return }
        try write("forgetting \(files.count) files") { connection throws(ServerDatabaseFailure) in
            _ = try connection.execute("DELETE FROM \(PGLedger.file.table) WHERE (folder, name) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                                   [PGArray.texts(files.map(\.folder.rawValue)), PGArray.texts(files.map(\.name))])
        }
    }

    // MARK: Fetch runs

    public func startRun(source: String) throws(MirrorError) -> FetchRun {
        var run = FetchRun(source: source, startedAt: Date())
        run.id = try insert(PGLedger.fetchRun, PGLedger.values(run), "recording a fetch run")
        return run
    }

    /// Inserts a run without its id (`values`' first), returning the id it was given.
    private func insert(_ table: PGLedger.Table, _ values: [String?], _ operation: String) throws(MirrorError) -> Int64? {
        try write(operation) { connection throws(ServerDatabaseFailure) in
            try connection.execute(table.insert, Array(values.dropFirst())).int64(0, 0)
        }
    }

    public func finish(_ run: FetchRun) throws(MirrorError) {
        try write("recording a fetch run") { connection throws(ServerDatabaseFailure) in
            _ = try connection.execute(PGLedger.fetchRun.upsert, PGLedger.values(run))
        }
    }

    public func runs(limit: Int) throws(MirrorError) -> [FetchRun] {
        try read("reading the fetch runs") { connection throws(ServerDatabaseFailure) in
            let result = try connection.execute("SELECT \(PGLedger.fetchRun.selectList) FROM \(PGLedger.fetchRun.table) ORDER BY id DESC LIMIT $1",
                                                [String(max(0, limit))])
            return (0..<result.count).compactMap { PGLedger.fetchRun(result, $0) }
        }
    }

    // MARK: Publish targets

    public func publishedFiles(target: String) throws(MirrorError) -> [PublishedFile] {
        try read("reading the published files") { connection throws(ServerDatabaseFailure) in
            let result = try connection.execute("SELECT \(PGLedger.published.selectList) FROM \(PGLedger.published.table) WHERE target = $1 ORDER BY folder, name",
                                                [target])
            return (0..<result.count).compactMap { PGLedger.publishedFile(result, $0) }
        }
    }

    public func save(_ file: PublishedFile) throws(MirrorError) {
        try write("recording \(file.name) at \(file.target)") { connection throws(ServerDatabaseFailure) in
            _ = try connection.execute(PGLedger.published.upsert, PGLedger.values(file))
        }
    }

    public func forget(_ files: [PublishedFile]) throws(MirrorError) {
        guard !files.isEmpty else { return }
        try write("forgetting \(files.count) published files") { connection throws(ServerDatabaseFailure) in
            _ = try connection.execute("""
                DELETE FROM \(PGLedger.published.table) WHERE (target, folder, name) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))
                """, [PGArray.texts(files.map(\.target)), PGArray.texts(files.map(\.folder.rawValue)), PGArray.texts(files.map(\.name))])
        }
    }

    public func startPublishRun(target: String) throws(MirrorError) -> PublishRun {
        var run = PublishRun(target: target, startedAt: Date())
        run.id = try insert(PGLedger.publishRun, PGLedger.values(run), "recording a publish run")
        return run
    }

    public func finish(_ run: PublishRun) throws(MirrorError) {
        try write("recording a publish run") { connection throws(ServerDatabaseFailure) in
            _ = try connection.execute(PGLedger.publishRun.upsert, PGLedger.values(run))
        }
    }

    public func publishTargets() throws(MirrorError) -> [PublishedTarget] {
        try read("reading the publish targets") { connection throws(ServerDatabaseFailure) in
            let totals = try connection.execute("""
                SELECT target, count(*), coalesce(sum(size), 0), extract(epoch FROM max(published_at))::float8, count(last_error)
                FROM \(PGLedger.published.table) WHERE md5 IS NOT NULL OR last_error IS NOT NULL GROUP BY target
                """)
            var targets: [String: PublishedTarget] = [:]
            for row in 0..<totals.count {
                let target = totals.string(row, 0) ?? ""
                targets[target] = PublishedTarget(target: target, files: totals.int(row, 1) ?? 0, bytes: totals.int64(row, 2) ?? 0,
                                                  lastPublished: totals.double(row, 3).map { Date(timeIntervalSince1970: $0) },
                                                  failing: totals.int(row, 4) ?? 0)
            }
            let runs = try connection.execute("""
                SELECT \(PGLedger.publishRun.selectList) FROM \(PGLedger.publishRun.table)
                WHERE id IN (SELECT max(id) FROM \(PGLedger.publishRun.table) GROUP BY target)
                """)
            for row in 0..<runs.count {
                guard let run = PGLedger.publishRun(runs, row) else { continue }
                targets[run.target, default: PublishedTarget(target: run.target)].lastRun = run
            }
            return targets.values.sorted { $0.target < $1.target }
        }
    }

    // MARK: Moving a state in

    /// Copies `contents` (a mirror folder's `state.sqlite`) into the ledger, in one transaction,
    /// when the ledger is still empty; returns whether it did. Run ids are kept.
    public func adopt(_ contents: StateContents) throws(MirrorError) -> Bool {
        try write("copying the mirror's state into the database") { connection throws(ServerDatabaseFailure) in
            let known = try connection.execute("""
                SELECT (SELECT count(*) FROM \(PGLedger.file.table)) + (SELECT count(*) FROM \(PGLedger.fetchRun.table))
                """).int(0, 0) ?? 0
            guard known == 0 else { return false }
            for file in contents.files { try connection.execute(PGLedger.file.upsert, PGLedger.values(file)) }
            for run in contents.runs { try connection.execute(PGLedger.fetchRun.upsert, PGLedger.values(run)) }
            for file in contents.publishedFiles { try connection.execute(PGLedger.published.upsert, PGLedger.values(file)) }
            for run in contents.publishRuns { try connection.execute(PGLedger.publishRun.upsert, PGLedger.values(run)) }
            for table in [PGLedger.fetchRun.table, PGLedger.publishRun.table] {
                try connection.execute("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce((SELECT max(id) FROM \(table)), 0) + 1, false)")
            }
            return true
        }
    }

    // MARK: Connections

    /// Reads through the writer's connection when there is one (under its lock), else a pooled one.
    /// A database no writer has prepared yet holds no ledger: empty, not an error.
    private func read<T: Sendable>(_ operation: String, _ body: (PGConnection) throws(ServerDatabaseFailure) -> [T]) throws(MirrorError) -> [T] {
        do throws(ServerDatabaseFailure) {
            if writable { return try transaction(operation, body) }
            return try pool.with { connection throws(ServerDatabaseFailure) in
                connection.operation = operation
                if !ledgerSeen.withLock({ $0 }) {
                    let present = try connection.execute("SELECT to_regclass($1) IS NOT NULL", ["\(PGCatalog.control).ledger_meta"])
                    guard present.bool(0, 0) else { return [] }
                    ledgerSeen.withLock { $0 = true }
                }
                return try body(connection)
            }
        } catch where error.sqlState == "42P01" || error.sqlState == "3F000" {
            return []
        } catch {
            throw .server(error)
        }
    }

    /// Runs `body` in one transaction on the writer's connection, holding it for the time.
    private func write<T: Sendable>(_ operation: String, _ body: (PGConnection) throws(ServerDatabaseFailure) -> T) throws(MirrorError) -> T {
        do throws(ServerDatabaseFailure) { return try transaction(operation, body) } catch { throw .server(error) }
    }

    private func transaction<T: Sendable>(_ operation: String, _ body: (PGConnection) throws(ServerDatabaseFailure) -> T) throws(ServerDatabaseFailure) -> T {
        try writer.withLock { (held: inout PGConnection?) throws(ServerDatabaseFailure) -> T in
            var connection = try usable(&held)
            connection.operation = operation
            do throws(ServerDatabaseFailure) {
                try connection.execute("BEGIN")
            } catch where !connection.isUsable {
                // Dropped while idle (an idle-session timeout, a restart, a firewall), which a run
                // that downloads for hours meets: a new connection, with the lock taken again.
                held = nil
                connection = try usable(&held)
                connection.operation = operation
                try connection.execute("BEGIN")
            }
            return try connection.committing { () throws(ServerDatabaseFailure) -> T in try body(connection) }
        }
    }

    /// The writer's connection; after it was lost (a server restart), a new one, which takes the lock again.
    private func usable(_ held: inout PGConnection?) throws(ServerDatabaseFailure) -> PGConnection {
        guard writable else {
            throw ServerDatabaseFailure(server: url.text, operation: "writing the mirror's state", sqlState: "25006",
                                        message: "the state was opened read-only", connectionLost: false)
        }
        if let held, held.isUsable { return held }
        let connection = try PGPool.connect(url)
        if exclusive { try Self.lock(connection) }
        if let key = target.withLock({ $0 }) { try Self.lockTarget(key, connection) }
        held = connection
        return connection
    }

    private static func lock(_ connection: PGConnection) throws(ServerDatabaseFailure) {
        try connection.takeAdvisoryLock("\(PGLedger.lock)", operation: "taking the mirror's lock",
                                        doing: "writing to this database (it holds the advisory lock \(PGLedger.lock))")
    }
}
