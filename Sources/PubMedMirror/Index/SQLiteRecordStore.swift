import Foundation
import GRDB

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

/// The record store in an SQLite file (WAL): one row per (PMID, version) with the record as JSON and
/// the original XML (both zlib-compressed), an FTS5 index over the current version of each PMID,
/// the files applied, and a log of deletions for `export --since`. Schema: README, "The index".
public final class SQLiteRecordStore: RecordStore {
    public let path: String
    private let database: DatabaseQueue

    public init(path: String, readOnly: Bool = false) throws(IndexError) {
        self.path = path
        do {
            database = try SQLiteDatabase.open(path: path, readOnly: readOnly, migrator: Self.migrator, cacheKiB: 65536,
                                               busySeconds: 30)
        } catch {
            throw .database(path: path, message: SQLiteDatabase.describe(error))
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: articles, search, files, deletions") { db in
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
                    record BLOB NOT NULL,
                    xml BLOB NOT NULL,
                    UNIQUE (pmid, version)
                );
                CREATE INDEX articleCurrentPmid ON article (pmid) WHERE isCurrent = 1;
                CREATE INDEX articleSeq ON article (seq);
                CREATE INDEX articleDoi ON article (doi) WHERE doi IS NOT NULL;
                CREATE VIRTUAL TABLE articleSearch USING fts5 (
                    title, abstract, keywords, mesh, authors, journal, types,
                    tokenize = 'porter unicode61 remove_diacritics 2'
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
        // Two threads: this one parses and prepares (JSON, compression, search text), the other runs
        // the file's one write transaction, fed through a bounded queue so memory stays flat.
        let clock = ContinuousClock.now
        let queue = BoundedQueue<PreparedItem>(capacity: 512)
        let outcome = ApplyOutcome()
        let database = self.database
        let writerThread = Thread {
            do {
                let applied = try database.write { db in
                    let writer = try RecordWriter(db: db, sourceFile: file.name)
                    while let item = try queue.take() { try writer.write(item) }
                    var applied = writer.counts(for: file)
                    applied.seconds = (ContinuousClock.now - clock).inSeconds
                    try writer.finish(applied)
                    return applied
                }
                outcome.set(.success(applied))
            } catch {
                queue.cancel()
                outcome.set(.failure(error))
            }
        }
        writerThread.name = "index-writer"
        writerThread.start()
        let preparer = RecordPreparer(sourceFile: file.name)
        do {
            try produce { item in try queue.put(preparer.prepare(item)) }
            queue.finish()
        } catch {
            queue.fail(error)
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

    public func search(_ query: SearchQuery, limit: Int) throws(IndexError) -> [SearchHit] {
        try read { db in
            var arguments: StatementArguments = []
            var sql: String
            if let match = query.match {
                sql = """
                    SELECT a.pmid, a.version, a.year, a.title, a.journal, a.record,
                           bm25(articleSearch, 10.0, 4.0, 6.0, 6.0, 3.0, 2.0, 2.0) AS rank
                    FROM articleSearch JOIN article a ON a.id = articleSearch.rowid
                    WHERE articleSearch MATCH ?
                    """
                arguments += [match]
            } else {
                sql = "SELECT pmid, version, year, title, journal, record, 0.0 AS rank FROM article a WHERE isCurrent = 1"
            }
            if let years = query.years {
                sql += " AND a.year BETWEEN ? AND ?"
                arguments += [years.lowerBound, years.upperBound]
            }
            sql += query.match == nil ? " ORDER BY a.pmid DESC LIMIT ?" : " ORDER BY rank LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                SearchHit(pmid: row["pmid"], version: row["version"], year: row["year"], title: row["title"],
                          journal: row["journal"], rank: row["rank"], json: Self.inflate(row["record"]))
            }
        }
    }

    public func record(pmid: Int, version: Int?) throws(IndexError) -> StoredRecord? {
        try read { db in
            let versions = try Int.fetchAll(db, sql: "SELECT version FROM article WHERE pmid = ? ORDER BY version", arguments: [pmid])
            let row: Row?
            if let version {
                row = try Row.fetchOne(db, sql: "SELECT record, xml, isCurrent FROM article WHERE pmid = ? AND version = ?",
                                       arguments: [pmid, version])
            } else {
                row = try Row.fetchOne(db, sql: "SELECT record, xml, isCurrent FROM article WHERE pmid = ? AND isCurrent = 1",
                                       arguments: [pmid])
            }
            guard let row else { return StoredRecord?.none }
            let json = Self.inflate(row["record"])
            let record = try JSONDecoder().decode(PubMedRecord.self, from: Data(json))
            return StoredRecord(record: record, json: json, xml: Self.inflate(row["xml"]),
                                isCurrent: row["isCurrent"], versions: versions)
        }
    }

    public func export(since: Int64?, _ body: (ExportItem) throws -> Void) throws(IndexError) -> Int64 {
        try read { db in
            let mark = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") ?? 0
            if let since {
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT seq, pmid, version, record FROM article WHERE isCurrent = 1 AND seq > ?
                    UNION ALL
                    SELECT seq, pmid, version, NULL FROM deletion WHERE seq > ?
                    ORDER BY seq
                    """, arguments: [since, since])
                while let row = try rows.next() {
                    if let blob = row["record"] as Data? {
                        try body(.record(json: Self.inflate(blob), pmid: row["pmid"], version: row["version"]))
                    } else {
                        try body(.deletion(pmid: row["pmid"], version: row["version"]))
                    }
                }
            } else {
                let rows = try Row.fetchCursor(db, sql: "SELECT pmid, version, record FROM article WHERE isCurrent = 1 ORDER BY pmid")
                while let row = try rows.next() {
                    try body(.record(json: Self.inflate(row["record"]), pmid: row["pmid"], version: row["version"]))
                }
            }
            return mark
        }
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

    static func inflate(_ blob: Data?) -> [UInt8] {
        // Blobs are written only by `RecordWriter`; one that does not inflate is a damaged database.
        Compression.decompress([UInt8](blob ?? Data())) ?? Array("{\"error\":\"damaged record blob\"}".utf8)
    }

}
