import Foundation
import GRDB
import Logging

/// The writer thread's result, handed to the thread that waits for it.
private final class ApplyOutcome: @unchecked Sendable {
    private var result: Result<AppliedFile, any Error>?
    private let done = DispatchSemaphore(value: 0)

    func set(_ result: Result<AppliedFile, any Error>) {
        self.result = result
        done.signal()
    }

    func wait() -> Result<AppliedFile, any Error> {
        done.wait()
        // `set` stored the result before signalling.
        return result!
    }
}

/// The record store in an SQLite file (WAL): one row per (PMID, version), its JSON and original XML
/// compressed in blocks of a few records (see `RecordBlock`), an FTS5 index over the current version of each PMID,
/// the files applied, and a log of deletions for `export --since`. Schema: README, "The index".
public final class SQLiteRecordStore: RecordStore {
    public let path: String
    private let database: DatabaseQueue
    /// Checkpoints after each applied file, in the background (nil when read-only).
    private let checkpointer: Checkpointer?
    private let logger: Logger

    public init(path: String, readOnly: Bool = false, logger: Logger = Logger(label: "pubmed-mirror.index", factory: { _ in SwiftLogNoOpLogHandler() })) throws(IndexError) {
        self.path = path
        self.logger = logger
        checkpointer = readOnly ? nil : Checkpointer(path: path)
        do {
            database = try SQLiteDatabase.open(path: path, readOnly: readOnly, migrator: Self.migrator, cacheKiB: 16384,
                                               pageSize: 8192, busySeconds: 30, autoCheckpoint: readOnly,
                                               prepare: SearchInfo.register)
            let current = try database.read { db in try Self.migrator.hasCompletedMigrations(db) }
            guard current else { throw IndexError.database(path: path, message: Self.olderFormat) }
        } catch let error as IndexError {
            throw error
        } catch is OlderFormat {
            throw .database(path: path, message: Self.olderFormat)
        } catch {
            throw .database(path: path, message: SQLiteDatabase.describe(error))
        }
    }

    deinit {
        // A finished run leaves the log copied into the database and both flushed.
        Self.report(checkpointer?.wait(), path: path, logger: logger)
    }

    /// Logs what a checkpoint's `Checkpointer.wait` handed on: a failure as a warning, a checkpoint
    /// cut short by a reader as information.
    private static func report(_ problem: Checkpointer.Problem?, path: String, logger: Logger) {
        guard let problem else { return }
        if problem.failed { logger.warning("\(path): \(problem.message)") } else { logger.info("\(path): \(problem.message)") }
    }

    /// Waits until everything applied so far is on the disk: the background checkpoint done, the
    /// log and the database flushed. Call it before relying on the file (switching to it, deleting
    /// what it replaces); a run's end does it by itself.
    public func flush() throws(IndexError) {
        Self.report(checkpointer?.wait(), path: path, logger: logger)
        for file in [path + "-wal", path] {
            let descriptor = open(file, O_RDONLY | O_CLOEXEC)
            // No log (nothing written since the last close): nothing to flush there.
            guard descriptor >= 0 else { continue }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else {
                throw .database(path: path, message: "cannot flush \(file): \(String(cString: strerror(errno)))")
            }
        }
    }

    private struct OlderFormat: Error {}
    private static let olderFormat = "made by an earlier pubmed-mirror, which stored records differently: "
        + "rebuild it from the mirrored files with `pubmed-mirror index --rebuild`"

    /// The schema. `articleSearch` is contentless: it keeps only the index, not a second copy of
    /// the text, so removing a row hands FTS5 the text that was indexed, rebuilt from the stored
    /// record by `SearchText`. Changing `SearchText` therefore needs a migration that rebuilds
    /// `articleSearch`.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v3: JSON in blocks, XML in the files' streams, contentless search, files, deletions") { db in
            // Version 1 kept JSON and XML in two blobs and the search text twice; version 2 kept
            // one blob a record.
            guard try !db.tableExists("article") else { throw OlderFormat() }
            try db.execute(sql: """
                CREATE TABLE article (
                    id INTEGER PRIMARY KEY,
                    pmid INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    isCurrent INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    status TEXT,
                    year INTEGER,
                    title TEXT NOT NULL,
                    journal TEXT,
                    doi TEXT,
                    pmcid TEXT,
                    sourceFile TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    block INTEGER NOT NULL,
                    jsonStart INTEGER NOT NULL,
                    jsonLength INTEGER NOT NULL,
                    xmlStream INTEGER NOT NULL,
                    xmlStart INTEGER NOT NULL,
                    xmlLength INTEGER NOT NULL,
                    UNIQUE (pmid, version)
                );
                CREATE TABLE block (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    live INTEGER NOT NULL,
                    data BLOB NOT NULL
                );
                CREATE TABLE xmlStream (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    file TEXT NOT NULL,
                    live INTEGER NOT NULL
                );
                CREATE TABLE xmlChunk (
                    stream INTEGER NOT NULL,
                    start INTEGER NOT NULL,
                    length INTEGER NOT NULL,
                    bits INTEGER NOT NULL,
                    window BLOB NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (stream, start)
                );
                CREATE INDEX articleCurrentPmid ON article (pmid) WHERE isCurrent = 1;
                CREATE INDEX articleSeq ON article (seq);
                CREATE INDEX articleDoi ON article (doi) WHERE doi IS NOT NULL;
                CREATE VIRTUAL TABLE articleSearch USING fts5 (
                    title, abstract, keywords, mesh, authors, journal, types,
                    content = '',
                    tokenize = 'porter unicode61 remove_diacritics 2'
                );
                -- FTS5 gathers new terms in memory and writes them out as a segment when this many
                -- bytes are pending (1 MB by default): fewer, larger segments mean less merging.
                INSERT INTO articleSearch (articleSearch, rank) VALUES ('hashsize', 16777216);
                -- Segments are merged 16 at a time rather than 4, so each term is rewritten about
                -- half as often as the index grows (log16 rather than log4 of its size), and a level
                -- is merged whole only at 64 segments, so the merging is spread over the writes.
                -- Measured on 40 files of 30,000 records, FTS5 alone: the 40th file took 0.78 s against
                -- 1.49 s with the defaults, the first 0.74 s; queries read no slower.
                INSERT INTO articleSearch (articleSearch, rank) VALUES ('automerge', 16);
                INSERT INTO articleSearch (articleSearch, rank) VALUES ('crisismerge', 64);
                CREATE TABLE searchInfo (
                    chunk INTEGER PRIMARY KEY,
                    data BLOB NOT NULL
                );
                CREATE TABLE appliedFile (
                    name TEXT PRIMARY KEY,
                    folder TEXT NOT NULL,
                    cycle INTEGER,
                    number INTEGER,
                    md5 TEXT NOT NULL,
                    appliedAt DATETIME NOT NULL,
                    records INTEGER NOT NULL,
                    inserted INTEGER NOT NULL,
                    replaced INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    deletionsAbsent INTEGER NOT NULL,
                    firstSeq INTEGER,
                    lastSeq INTEGER,
                    seconds REAL NOT NULL,
                    position INTEGER NOT NULL
                );
                CREATE TABLE deletion (
                    seq INTEGER PRIMARY KEY,
                    pmid INTEGER NOT NULL,
                    version INTEGER NOT NULL,
                    sourceFile TEXT NOT NULL
                );
                CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO meta (key, value) VALUES ('lastSeq', 0);
                """)
        }
        return migrator
    }

    // MARK: Applying a file

    public func apply(_ file: FileIdentity,
                      produce: (_ sink: (ArticleFileItem) throws -> Void) throws -> Void) throws(IndexError) -> AppliedFile {
        try apply(file, xmlSource: .compressedHere) { sink in
            try withoutActuallyEscaping(sink) { sink in
                try produce { item in
                    switch item {
                    case .record(let record, let xml): try sink(.record(record, xml: .bytes(xml)))
                    case .deletion(let pmid, let version): try sink(.deletion(pmid: pmid, version: version))
                    }
                }
            }
        }
    }

    /// An empty `file.md5` asks for the file's MD5 to be computed as it is read (and recorded).
    public func apply(_ file: FileIdentity, contentsOf url: URL) throws(IndexError) -> AppliedFile {
        let isGzip: Bool
        do throws(RecordError) { isGzip = try ArticleFile.isGzip(url) } catch { throw .parse(error) }
        let hashing = file.md5.isEmpty ? RunningMD5() : nil
        // A gzip file's own stream is kept as the records' XML; a plain file's XML is compressed here.
        return try apply(file, xmlSource: isGzip ? .fileStream : .compressedHere, digest: { hashing?.digest }) { sink in
            try ArticleFile.read(url, keepingStream: isGzip, hashing: hashing) { item in try sink(item) }
        }
    }

    /// `digest`, asked once every item has been produced, gives the file's MD5 when `file` has none.
    private func apply(_ file: FileIdentity, xmlSource: RecordPreparer.XMLSource, digest: @escaping @Sendable () -> String? = { nil },
                       produce: (_ sink: (FileItem) throws -> Void) throws -> Void) throws(IndexError) -> AppliedFile {
        // Three stages on three threads, joined by bounded queues of batches so memory stays flat:
        // a parser (with the gunzip thread it starts); a preparer, which writes each record's JSON,
        // compresses records in blocks and assembles its search text; a writer, which runs the
        // file's one write transaction. The kernel shares the two cores among them, and gives the
        // writer the first turn (the others yield to it: ThreadPriority): were it to fall behind,
        // its backlog would be left to one core once the others are done. Order is kept: each
        // stage is one thread, each queue FIFO.
        let clock = ContinuousClock.now
        // Room for about a third of a second of work each: while the writer waits for the previous
        // file's checkpoint, this file is read and prepared (bounded: some 64 batches of 64 records).
        let parsed = BoundedQueue<[FileItem]>(capacity: 64)
        let prepared = BoundedQueue<[PreparedItem]>(capacity: 64)
        let outcome = ApplyOutcome()
        let database = self.database, path = self.path, checkpointer = self.checkpointer, logger = self.logger
        let writerThread = Thread {
            do {
                // The write transaction starts on a fully copied log, which SQLite then reuses from
                // its start instead of growing it.
                Self.report(checkpointer?.wait(), path: path, logger: logger)
                let applied = try database.write { db in
                    let writer = try RecordWriter(db: db, path: path, sourceFile: file.name)
                    while let batch = try prepared.take() {
                        for item in batch { try writer.write(item) }
                    }
                    // The producer has finished (the queues say so), and with it the file's digest.
                    var identity = file
                    if identity.md5.isEmpty { identity.md5 = digest() ?? "" }
                    var applied = writer.counts(for: identity)
                    applied.seconds = (ContinuousClock.now - clock).inSeconds
                    try writer.finish(applied)
                    return applied
                }
                checkpointer?.start()
                outcome.set(.success(applied))
            } catch {
                prepared.cancel()
                outcome.set(.failure(error))
            }
        }
        writerThread.name = "index-writer"
        let preparerThread = Thread {
            ThreadPriority.yieldToTheWriter(by: 3)
            let preparer = RecordPreparer(sourceFile: file.name, xmlSource: xmlSource)
            do {
                var ready: [PreparedItem] = []
                while let batch = try parsed.take() {
                    for item in batch { try preparer.prepare(item, into: &ready) }
                    if !ready.isEmpty {
                        try prepared.put(ready)
                        ready.removeAll()
                    }
                }
                preparer.finish(into: &ready)
                if !ready.isEmpty { try prepared.put(ready) }
                prepared.finish()
            } catch is BoundedQueue<[PreparedItem]>.Cancelled {
                parsed.cancel()  // the writer gave up: stop the parser
            } catch {
                prepared.fail(error)  // the parser failed: the writer rolls back with its error
            }
        }
        preparerThread.name = "index-preparer"
        writerThread.start()
        preparerThread.start()
        // The parsing runs on a thread of its own too (with the gunzip thread it starts), so that
        // its priority can be lowered without touching the caller's thread.
        withoutActuallyEscaping(produce) { produce in
            // The parser thread lets go of `produce` before it signals, as withoutActuallyEscaping
            // checks when this block ends.
            let producer = ProducerBox(produce)
            let done = DispatchSemaphore(value: 0)
            let parserThread = Thread {
                ThreadPriority.yieldToTheWriter(by: 6)
                Self.parse(producer.take(), into: parsed)
                done.signal()
            }
            parserThread.name = "index-parser"
            parserThread.start()
            done.wait()
        }
        switch outcome.wait() {
        case .success(let applied):
            return applied
        case .failure(let error):
            // The transaction rolled back, but the WAL keeps the size it grew to; on a full disk that
            // space is needed back at once (to record the run, and for the rerun).
            _ = try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            throw Self.applyError(error, path: path)
        }
    }

    /// Items handed between the stages at a time: fewer wake-ups than one by one.
    private static let batchSize = 64

    /// The parser stage: runs `produce`, handing its items on in batches.
    private static func parse(_ produce: (_ sink: (FileItem) throws -> Void) throws -> Void, into parsed: BoundedQueue<[FileItem]>) {
        do {
            var batch: [FileItem] = []
            batch.reserveCapacity(batchSize)
            try produce { item in
                batch.append(item)
                if batch.count == batchSize {
                    try parsed.put(batch)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { try parsed.put(batch) }
            parsed.finish()
        } catch {
            parsed.fail(error)
        }
    }

    /// Hands the file's producer to the parser thread, which takes it (the box then holds nothing).
    private final class ProducerBox: @unchecked Sendable {
        typealias Produce = (_ sink: (FileItem) throws -> Void) throws -> Void
        private var produce: Produce?
        init(_ produce: @escaping Produce) { self.produce = produce }
        /// Only the parser thread calls this, once.
        func take() -> Produce {
            defer { produce = nil }
            // Set in init, taken once.
            return produce!
        }
    }

    /// What a failed `apply` reports: the parse error, or the database's own failure.
    private static func applyError(_ error: any Error, path: String) -> IndexError {
        if let error = error as? RecordError {
            // The reader wraps what the sink threw; a database failure is not a parse error.
            if error.kind == .handler, let underlying = error.underlying {
                if let index = underlying as? IndexError { return index }
                if underlying is DatabaseError { return .database(path: path, message: SQLiteDatabase.describe(underlying)) }
            }
            return .parse(error)
        }
        if let error = error as? IndexError { return error }
        return .database(path: path, message: SQLiteDatabase.describe(error))
    }

    public func appliedFiles() throws(IndexError) -> [AppliedFile] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM appliedFile ORDER BY position").map { row in
                AppliedFile(name: row["name"], folder: row["folder"], cycle: row["cycle"], number: row["number"], md5: row["md5"],
                            appliedAt: row["appliedAt"], records: row["records"], inserted: row["inserted"],
                            replaced: row["replaced"], deleted: row["deleted"], deletionsAbsent: row["deletionsAbsent"],
                            firstSeq: row["firstSeq"], lastSeq: row["lastSeq"], seconds: row["seconds"])
            }
        }
    }

    public func counts() throws(IndexError) -> IndexCounts {
        try read { db in
            IndexCounts(current: try Int.fetchOne(db, sql: "SELECT count(*) FROM article WHERE isCurrent = 1") ?? 0,
                        versions: try Int.fetchOne(db, sql: "SELECT count(*) FROM article") ?? 0,
                        files: try Int.fetchOne(db, sql: "SELECT count(*) FROM appliedFile") ?? 0,
                        highWaterMark: try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") ?? 0)
        }
    }

    // MARK: Reading

    public func search(_ query: SearchQuery, limit: Int, withJSON: Bool = true) throws(IndexError) -> [SearchHit] {
        try read { db in
            var arguments: StatementArguments = []
            var sql: String
            if let match = query.match {
                // Rank first, on the search index alone (pubmed_rank is bm25 with the weights
                // below; it and pubmed_year read what they need from searchInfo), and read the
                // blocks of only the hits kept.
                let years = query.years.map { _ in " AND pubmed_year(articleSearch) BETWEEN ? AND ?" } ?? ""
                sql = """
                    SELECT a.pmid, a.version, a.year, a.title, a.journal, a.block, a.jsonStart, a.jsonLength, hit.rank
                    FROM (SELECT rowid AS id, pubmed_rank(articleSearch, 10.0, 4.0, 6.0, 6.0, 3.0, 2.0, 2.0) AS rank
                          FROM articleSearch
                          WHERE articleSearch MATCH ?\(years) ORDER BY rank, rowid LIMIT ?) hit
                    JOIN article a ON a.id = hit.id
                    ORDER BY hit.rank, hit.id
                    """
                arguments += [match]
                if let years = query.years { arguments += [years.lowerBound, years.upperBound] }
                arguments += [limit]
            } else {
                sql = "SELECT pmid, version, year, title, journal, block, jsonStart, jsonLength, 0.0 AS rank FROM article a WHERE isCurrent = 1"
                if let years = query.years {
                    sql += " AND a.year BETWEEN ? AND ?"
                    arguments += [years.lowerBound, years.upperBound]
                }
                sql += " ORDER BY a.pmid DESC LIMIT ?"
                arguments += [limit]
            }
            let reader = BlockReader()
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                SearchHit(pmid: row["pmid"], version: row["version"], year: row["year"], title: row["title"],
                          journal: row["journal"], rank: row["rank"],
                          json: withJSON ? try Self.json(row, db: db, reader: reader, path: self.path) : [])
            }
        }
    }

    public func record(pmid: Int, version: Int?, withXML: Bool = true) throws(IndexError) -> StoredRecord? {
        try read { db in
            let versions = try Int.fetchAll(db, sql: "SELECT version FROM article WHERE pmid = ? ORDER BY version", arguments: [pmid])
            let columns = "pmid, version, isCurrent, block, jsonStart, jsonLength, xmlStream, xmlStart, xmlLength"
            let row: Row?
            if let version {
                row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM article WHERE pmid = ? AND version = ?", arguments: [pmid, version])
            } else {
                row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM article WHERE pmid = ? AND isCurrent = 1", arguments: [pmid])
            }
            guard let row else { return StoredRecord?.none }
            let reader = BlockReader()
            let json = try Self.json(row, db: db, reader: reader, path: path)
            let stream: Int64 = row["xmlStream"], start: Int = row["xmlStart"], length: Int = row["xmlLength"]
            let xml = withXML ? try ChunkReader().bytes(start..<start + length) { offset in
                try Self.chunk(of: stream, holding: offset, db: db, reader: reader)
            } : []
            guard let xml else { throw Self.damaged(row, path: path) }
            let record = try JSONDecoder().decode(PubMedRecord.self, from: Data(json))
            return StoredRecord(record: record, json: json, xml: xml, isCurrent: row["isCurrent"], versions: versions)
        }
    }

    public func export(since: Int64?, _ body: (ExportItem) throws -> Void) throws -> Int64 {
        // An export reads the whole file once, in order, where mapping it gains nothing, and every
        // page mapped would count in the process's resident memory (1.35 GB for 1.2 M records).
        do {
            try database.inDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 0") }
        } catch {
            throw IndexError.database(path: path, message: SQLiteDatabase.describe(error))
        }
        /// What `body` threw, carried through the read unchanged.
        struct BodyFailed: Error { let error: any Error }
        func deliver(_ item: ExportItem) throws {
            do { try body(item) } catch { throw BodyFailed(error: error) }
        }
        do {
            // A snapshot (a deferred transaction): one consistent state even while a fetch applies files.
            return try database.read { db in try export(since: since, db: db, deliver) }
        } catch let failed as BodyFailed {
            throw failed.error
        } catch let error as IndexError {
            throw error
        } catch {
            throw IndexError.database(path: path, message: SQLiteDatabase.describe(error))
        }
    }

    private func export(since: Int64?, db: Database, _ body: (ExportItem) throws -> Void) throws -> Int64 {
        let mark = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") ?? 0
        let reader = BlockReader()
        if let since {
            let rows = try Row.fetchCursor(db, sql: """
                SELECT seq, pmid, version, block, jsonStart, jsonLength FROM article WHERE isCurrent = 1 AND seq > ?
                UNION ALL
                SELECT seq, pmid, version, NULL, NULL, NULL FROM deletion WHERE seq > ?
                ORDER BY seq
                """, arguments: [since, since])
            while let row = try rows.next() {
                if !(row["block"] as DatabaseValue).isNull {
                    try body(.record(json: Self.json(row, db: db, reader: reader, path: self.path),
                                     pmid: row["pmid"], version: row["version"]))
                } else {
                    try body(.deletion(pmid: row["pmid"], version: row["version"]))
                }
            }
        } else {
            let rows = try Row.fetchCursor(db, sql: """
                SELECT pmid, version, block, jsonStart, jsonLength FROM article WHERE isCurrent = 1 ORDER BY pmid
                """)
            while let row = try rows.next() {
                try body(.record(json: Self.json(row, db: db, reader: reader, path: self.path),
                                 pmid: row["pmid"], version: row["version"]))
            }
        }
        return mark
    }

    // MARK: Helpers

    /// Reads in a snapshot (a deferred transaction), so an export sees one consistent state even
    /// while a fetch applies files.
    private func read<T>(_ body: (Database) throws -> T) throws(IndexError) -> T {
        do {
            return try database.read(body)
        } catch let error as IndexError {
            throw error
        } catch {
            throw .database(path: path, message: SQLiteDatabase.describe(error))
        }
    }

    /// The JSON of a row with `pmid`, `version`, `block`, `jsonStart` and `jsonLength`, read with
    /// `reader` (which keeps the last block it read: rows of one block in a row inflate it once).
    static func json(_ row: Row, db: Database, reader: BlockReader, path: String) throws -> [UInt8] {
        let start: Int = row["jsonStart"], length: Int = row["jsonLength"]
        // Blocks are written only by `RecordPreparer`; one that does not inflate is a damaged database.
        guard let json = try json(start..<start + length, in: row["block"], db: db, reader: reader) else { throw damaged(row, path: path) }
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

    static func damaged(_ row: Row, path: String) -> IndexError {
        damaged(pmid: row["pmid"], version: row["version"], path: path)
    }

    static func damaged(pmid: Int, version: Int, path: String) -> IndexError {
        .database(path: path, message: "the stored record of PMID \(pmid) version \(version) is damaged: "
                         + "rebuild the index with `pubmed-mirror index --rebuild`")
    }
}
