import Foundation
import GRDB
import Logging
import PubMedGzip
import PubMedRecords
import PubMedSupport
import Synchronization

/// The record store in an SQLite file (WAL): one row per (PMID, version), its JSON compressed with
/// its neighbours' in blocks (`RecordBlock`) and its original XML kept as the file's own compressed
/// stream (`CompressedChunk`s), an FTS5 index over the current version of each PMID, the files
/// applied, and a log of deletions for `export --since`. Schema: README, "The index database", and
/// `SQLiteRecordStore+Schema`. Applying a file: `+Apply` and `IndexPipeline`; reading: `+Read`.
///
/// One connection to the file (GRDB's rule), which both writes and checkpoints. Writable stores
/// never let a commit copy the log into the database itself (`wal_autocheckpoint = 0`): after each
/// file a checkpoint is queued on the connection, which copies it while the next file is read and
/// prepared, and the next write transaction starts on a fully copied log, which SQLite then reuses
/// from its start instead of growing it. https://www.sqlite.org/wal.html#checkpointing
public final class SQLiteRecordStore: RecordStore {
    public let path: String
    public var location: String { path }
    let database: DatabaseQueue
    let logger: Logger
    private let readOnly: Bool
    /// What the last background checkpoint had to say, for the next `waitForCheckpoint`. A box of
    /// its own, so that the queued checkpoint keeps it alive and not the store (whose `deinit`
    /// must not run on the database's queue).
    private let checkpointNotes = CheckpointNotes()
    /// Set by `interrupt`, cleared when a read starts: SQLite reports an interrupt as
    /// SQLITE_INTERRUPT, except one that lands while FTS5 opens its table ("vtable constructor
    /// failed"), which is told from a damaged index by this.
    private let interruptRequested = Atomic<Bool>(false)

    public init(path: String, readOnly: Bool = false,
                logger: Logger = Logger(label: "pubmed-mirror.index", factory: { _ in SwiftLogNoOpLogHandler() })) throws(IndexError) {
        self.path = path
        self.logger = logger
        self.readOnly = readOnly
        do {
            database = try SQLiteDatabase.open(path: path, readOnly: readOnly, migrator: Self.migrator, cacheKiB: 16384,
                                               pageSize: 8192, busySeconds: 30, autoCheckpoint: readOnly,
                                               prepare: SearchInfo.register)
            let current = try database.read { db in try Self.migrator.appliedMigrations(db).contains(Self.readableMigration) }
            guard current else { throw IndexError.olderFormat(path: path) }
        } catch let error as IndexError {
            throw error
        } catch is OlderFormat {
            throw .olderFormat(path: path)
        } catch {
            throw .database(DatabaseFailure(path: path, role: "index database", error: error))
        }
    }

    deinit {
        // A finished run leaves the log copied into the database, and empty.
        if !readOnly {
            waitForCheckpoint()
            emptyLog()
        }
    }

    /// A database failure of this index, from what GRDB or SQLite threw.
    func failure(_ error: any Error) -> DatabaseFailure {
        DatabaseFailure(path: path, role: "index database", error: error)
    }

    // MARK: Checkpoints

    final class CheckpointNotes: Sendable {
        let problem = Mutex<CheckpointProblem?>(nil)
    }

    /// What went wrong with a checkpoint (the data is safe in the log either way).
    struct CheckpointProblem {
        /// It failed, rather than stopping short of a reader's snapshot (which is normal).
        var failed: Bool
        var message: String
    }

    /// Queues a PASSIVE checkpoint (it never blocks readers and waits for no one) on the store's
    /// connection, after whatever was written last; the next write runs once it is done.
    func startCheckpoint() {
        database.asyncWriteWithoutTransaction { [checkpointNotes] db in
            let problem: CheckpointProblem?
            do {
                let (frames, copied) = try db.checkpoint(.passive)
                problem = frames >= 0 && copied < frames
                    ? CheckpointProblem(failed: false, message: "the checkpoint copied \(copied) of \(frames) log frames (a reader holds an older snapshot); the next one copies the rest")
                    : nil
            } catch {
                problem = CheckpointProblem(failed: true, message: "the checkpoint failed (\(DatabaseFailure.describe(error))); the log keeps everything and the next one retries")
            }
            if let problem { checkpointNotes.problem.withLock { $0 = problem } }
        }
    }

    /// Waits for the queued checkpoint, if any, and logs what went wrong with it (at info: the data
    /// is safe in the log whatever happened, and the next checkpoint copies it).
    func waitForCheckpoint() {
        // An empty write runs after everything queued before it.
        database.writeWithoutTransaction { _ in }
        guard let problem = checkpointNotes.problem.withLock({ problem in defer { problem = nil }; return problem }) else { return }
        logger.info("\(path): \(problem.message)", metadata: ["checkpoint.failed": "\(problem.failed)"])
    }

    /// How long the end of a run waits for readers to leave the log (`emptyLog`).
    static let emptyLogWait: Duration = .seconds(10)

    /// Copies the whole log into the database and truncates it: the run's end. The checkpoints
    /// after each file stop short of readers' snapshots, and while another process has the file
    /// open (a `serve`) closing this connection leaves the log as it is; a process that later opens
    /// the file alone reads all of it first (measured: a 184 MB log left by a file applied under
    /// `serve`'s load made every `search` 3 × slower, until the next write). A TRUNCATE checkpoint
    /// waits for the readers that are in the log (new ones read the database meanwhile), up to
    /// `emptyLogWait`; a reader that takes longer (an `export`) leaves the log for the next run
    /// (SQLite answers busy), and the run says so at info. Not for a file already replaced and
    /// deleted (the live index after a rollover's switch): nobody opens that one again.
    func emptyLog() {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            try database.writeWithoutTransaction { db in
                let busy = try Int.fetchOne(db, sql: "PRAGMA busy_timeout") ?? 0
                try db.execute(sql: "PRAGMA busy_timeout = \(Self.emptyLogWait.components.seconds * 1000)")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(busy)") }
                _ = try db.checkpoint(.truncate)
            }
        } catch {
            logger.info("\(path): the log is left for the next run (\(DatabaseFailure.describe(error)))")
        }
    }

    /// Waits until everything applied so far is on the disk: the checkpoint done, the log and the
    /// database flushed. Call it before relying on the file (switching to it, deleting what it
    /// replaces); a run's end does it by itself.
    public func flush() throws(IndexError) {
        waitForCheckpoint()
        for file in [path + "-wal", path] {
            let descriptor = open(file, O_RDONLY | O_CLOEXEC)
            // No log (nothing written since the last close): nothing to flush there.
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            do throws(FileSystemError) { try FileSystem.sync(descriptor: descriptor, path: file) } catch { throw .local(error) }
        }
    }

    /// The full-text index is kept up to date file by file; once most of its baseline came since
    /// its last merge, it is merged into one segment (`mergeSearchSegments`).
    @discardableResult
    public func finishRun(cancellation: CancellationFlag) throws(IndexError) -> String? {
        guard !readOnly else { return nil }
        return mergeSearchSegments(cancellation: cancellation)
    }

    // MARK: Counts and applied files

    public func appliedFiles() throws(IndexError) -> [AppliedFile] {
        try read { db in try AppliedFile.order(AppliedFile.Columns.position).fetchAll(db) }
    }

    public func counts() throws(IndexError) -> IndexCounts {
        try read { db in
            IndexCounts(current: try Int.fetchOne(db, sql: "SELECT count(*) FROM article WHERE isCurrent = 1") ?? 0,
                        versions: try Int.fetchOne(db, sql: "SELECT count(*) FROM article") ?? 0,
                        files: try Int.fetchOne(db, sql: "SELECT count(*) FROM appliedFile") ?? 0,
                        highWaterMark: try Self.highWaterMark(db))
        }
    }

    static func highWaterMark(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") ?? 0
    }

    /// The high-water mark of the index file at `path`, read without opening it as an index (a
    /// rebuild may replace one of an earlier format, or damaged); nil when it cannot be read.
    public static func highWaterMark(ofFileAt path: String) -> Int64? {
        guard FileManager.default.fileExists(atPath: path),
              let database = try? SQLiteDatabase.open(path: path, readOnly: true, migrator: DatabaseMigrator(), busySeconds: 5)
        else { return nil }
        return try? database.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") }
    }

    /// The high-water mark of the index this one replaced (0: none), kept in `meta` as
    /// `replacedMark`; an index made before it was kept has none.
    static func replacedMark(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'replacedMark'") ?? 0
    }

    /// `mark` recorded as the replaced index's, and the next change numbered past `mark + 1`, so
    /// that even an export made before this index's first change gives a mark no replaced index
    /// had (see `RecordStore.continueNumbering`).
    public func continueNumbering(after mark: Int64) throws(IndexError) {
        do {
            try database.write { db in
                guard mark > (try Self.replacedMark(db)) else { return }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('replacedMark', ?)", arguments: [mark])
                try db.execute(sql: "UPDATE meta SET value = max(value, ?) WHERE key = 'lastSeq'", arguments: [mark + 1])
            }
        } catch {
            throw .database(failure(error))
        }
    }

    /// Stops the statement running on this store's connection, from another thread (it throws
    /// `IndexError.interrupted`); nothing when none runs. A server's time limit per query.
    public func interrupt() {
        interruptRequested.store(true, ordering: .sequentiallyConsistent)
        database.interrupt()
    }

    // MARK: Helpers

    /// Reads in a snapshot (a deferred transaction): one consistent state even while a fetch
    /// applies files.
    func read<T>(_ body: (Database) throws -> T) throws(IndexError) -> T {
        interruptRequested.store(false, ordering: .sequentiallyConsistent)
        do {
            return try database.read(body)
        } catch let error as IndexError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT
                    || interruptRequested.load(ordering: .sequentiallyConsistent) {
            throw .interrupted
        } catch {
            throw .database(failure(error))
        }
    }

    /// The JSON of a row with `pmid`, `version`, `block`, `jsonStart` and `jsonLength`, read with
    /// `reader` (which keeps the last block it read: rows of one block in a row inflate it once).
    func json(_ row: Row, db: Database, reader: BlockReader) throws -> [UInt8] {
        let start: Int = row["jsonStart"], length: Int = row["jsonLength"]
        // Blocks are written only by `RecordPreparer`; one that does not inflate is a damaged database.
        guard let json = try Self.json(start..<start + length, in: row["block"], db: db, reader: reader) else { throw damaged(row) }
        return json
    }

    /// The bytes of `range` in block `block`, read with `reader`; nil when the block is missing or damaged.
    static func json(_ range: Range<Int>, in block: Int64, db: Database, reader: BlockReader) throws -> [UInt8]? {
        try reader.bytes(range, of: block) { try Data.fetchOne(db.cachedStatement(sql: "SELECT data FROM block WHERE id = ?"), arguments: [block]) }
    }

    /// The chunk of a stream whose output holds `offset`, its window inflated; nil when there is none.
    static func chunk(of stream: Int64, holding offset: Int, db: Database, reader: BlockReader) throws -> CompressedChunk? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT start, length, bits, window, data FROM xmlChunk WHERE stream = ? AND start <= ? ORDER BY start DESC LIMIT 1
            """), arguments: [stream, offset]) else { return nil }
        let window: Data = row["window"]
        guard let inflated = window.isEmpty ? [] : reader.all(window) else { return nil }
        return CompressedChunk(start: row["start"], length: row["length"], bits: row["bits"], window: inflated,
                               data: Array(row["data"] as Data))
    }

    func damaged(_ row: Row) -> IndexError {
        .damagedRecord(path: path, pmid: row["pmid"], version: row["version"])
    }
}

extension AppliedFile: FetchableRecord, TableRecord {
    public static let databaseTableName = "appliedFile"

    public enum Columns {
        public static let position = Column("position")
    }
}
