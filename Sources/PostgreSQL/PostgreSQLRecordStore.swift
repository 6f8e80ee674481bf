import Foundation
import PubMedIndex
import PubMedQuery
import PubMedRecords
import PubMedSupport
import Synchronization

/// The record store in a PostgreSQL database that a team shares (README, "The PostgreSQL store"):
/// the same rules, counts, sequence numbers, exports and search results as `SQLiteRecordStore`,
/// in tables people can query with `psql` (`PGSchema`).
///
/// A writable store writes through its `PostgreSQLIndex`'s connection, which holds the database's
/// advisory lock, so a second machine writing to the same database is refused as a second run on
/// one mirror folder is. Each file is one transaction on that connection, sent with COPY
/// (`PGWriter`). Readers borrow connections from the index's small pool; each read is one statement
/// or one read-only snapshot.
public final class PostgreSQLRecordStore: RecordStore {
    public let index: PostgreSQLIndex
    public var url: DatabaseURL { index.url }
    /// The schema holding this index's tables.
    public let schema: String
    private let pool: PGPool
    private let readOnly: Bool
    /// The connections running this store's reads now, for `interrupt`.
    private let running = Mutex<[ObjectIdentifier: PGConnection]>([:])

    public var location: String { Self.location(url, schema) }

    public static func location(_ url: DatabaseURL, _ schema: String) -> String { "\(url.text) (schema \(schema))" }

    /// The store in `schema` of `index`'s database, which must hold its tables (`PostgreSQLIndex`
    /// opens and creates them). A writable store writes through the index's locked connection.
    init(index: PostgreSQLIndex, schema: String, readOnly: Bool) throws(IndexError) {
        self.index = index
        self.schema = schema
        self.readOnly = readOnly
        pool = index.pool
        let version = try checkVersion()
        if !readOnly {
            try upgrade(from: version)
            try markAtOpening()
        }
    }

    /// The live index of the database at `url`, created when there is none (writable), or opened
    /// read-only (there must be one).
    public convenience init(url: DatabaseURL, readOnly: Bool = false) throws(IndexError) {
        let index = try PostgreSQLIndex(url: url, writable: !readOnly)
        let store = readOnly ? try index.openLive() : try index.openLiveCreating()
        guard let store else { throw IndexError.notIndexed(path: url.text) }
        try self.init(index: index, schema: store.schema, readOnly: readOnly)
    }

    /// The schema's version: the store reads `PGSchema.readable` and writes `PGSchema.version`
    /// (`upgrade`); a database of another version is refused with a clear message.
    private func checkVersion() throws(IndexError) -> Int {
        let value = try read("opening the index") { connection throws(ServerDatabaseFailure) in
            try connection.execute("SELECT value FROM \(quoted).meta WHERE key = 'schema_version'").string(0, 0)
        }
        guard let version = value.flatMap({ Int($0) }) else { throw IndexError.notIndexed(path: url.text) }
        if !PGSchema.readable.contains(version) {
            throw IndexError.server(ServerDatabaseFailure(
                server: url.text, operation: "opening schema \(schema)", sqlState: nil,
                message: version < PGSchema.version
                    ? "its index is of schema version \(version), made by an earlier pubmed-mirror; this one reads versions \(PGSchema.readable.lowerBound)-\(PGSchema.version) (rebuild the index with `index --rebuild`)"
                    : "its index is of schema version \(version), made by a newer pubmed-mirror; this one reads versions \(PGSchema.readable.lowerBound)-\(PGSchema.version) (upgrade pubmed-mirror)",
                connectionLost: false))
        }
        return version
    }

    /// What a schema made by an earlier pubmed-mirror lacks, given by its writer: the version
    /// (`PGSchema.version`, before any row of its own is written, so that an earlier pubmed-mirror
    /// refuses the schema rather than miss those rows' codes), the vectors kept in line
    /// (`PGSchema.vectorsInline`, for the rows written from then on), record counts in `meta` that
    /// match the records (`PGSchema.counts`: counted when missing, or left behind by an earlier
    /// pubmed-mirror's writes), and the indexes sorted searches walk (`PGSchema.orderIndexes`:
    /// built once, a minute or so on all of PubMed; readers go on reading meanwhile, since building
    /// an index holds off only writers, and this is the writer).
    private func upgrade(from version: Int) throws(IndexError) {
        let connection = try writerConnection()
        do throws(ServerDatabaseFailure) {
            if version < PGSchema.version {
                try connection.execute("UPDATE \(quoted).meta SET value = $1 WHERE key = 'schema_version'", [String(PGSchema.version)])
            }
            let state = try connection.execute("""
                SELECT (SELECT count(*) FROM pg_attribute
                        WHERE attrelid = $1::regclass AND attname = ANY($2::text[]) AND attstorage <> 'm'),
                       \(PGSchema.countsKept(schema))
                """, ["\(quoted).article", PGArray.texts(PGSchema.inlineVectors)])
            if state.int(0, 0) ?? 0 > 0 {
                // ALTER TABLE waits for every reader of the table, and every reader after it waits
                // for it: if a long read (an export) holds the table, leave it to the next run.
                try connection.execute("BEGIN")
                try connection.execute("SET LOCAL lock_timeout = '2s'")
                do {
                    try connection.execute(PGSchema.vectorsInline(schema))
                    try connection.execute("COMMIT")
                } catch where error.sqlState == "55P03" {
                    try connection.execute("ROLLBACK")
                }
            }
            if !state.bool(0, 1) {
                try connection.execute("BEGIN")
                let keys = PGArray.texts(PGSchema.counts)
                try connection.execute("DELETE FROM \(quoted).meta WHERE key = ANY($1::text[])", [keys])
                // In the order of PGSchema.counts: current records, versions, the mark they are kept to.
                try connection.execute("""
                    INSERT INTO \(quoted).meta
                    SELECT unnest($1::text[]),
                           unnest(ARRAY[count(*) FILTER (WHERE is_current)::text, count(*)::text,
                                        (SELECT value FROM \(quoted).meta WHERE key = 'last_seq')])
                    FROM \(quoted).article
                    """, [keys])
                try connection.execute("COMMIT")
            }
            let built = try PGCatalog.indexes(schema, connection)
            for index in PGSchema.orderIndexes where !built.contains(index.name) {
                connection.operation = "building the index \(index.name)"
                try connection.execute(PGSchema.createOrderIndex(schema, index))
            }
            connection.operation = "writing"
        } catch {
            if connection.isUsable, connection.inTransaction { _ = try? connection.execute("ROLLBACK") }
            throw .server(error)
        }
    }

    /// The high-water mark as the writer found it on opening the store, under its lock: the run
    /// plans from what the index holds now, so its first file checks the mark as every later one
    /// does (`committedMark`), in case the connection, and the lock with it, is lost before then.
    private func markAtOpening() throws(IndexError) {
        let connection = try writerConnection()
        do throws(ServerDatabaseFailure) {
            let mark = try PGCatalog.highWaterMark(schema, connection) ?? 0
            committedMark.withLock { $0 = mark }
        } catch {
            throw .server(error)
        }
    }

    var quoted: String { PGCatalog.quote(schema) }

    // MARK: Reading

    /// Runs `body` on a pooled connection; a connection found broken (the server restarted, an idle
    /// connection dropped) is replaced and the read tried once more.
    func read<T>(_ operation: String, _ body: (PGConnection) throws(ServerDatabaseFailure) -> T) throws(IndexError) -> T {
        do {
            return try pool.with { connection throws(ServerDatabaseFailure) in
                connection.operation = operation
                running.withLock { $0[ObjectIdentifier(connection)] = connection }
                defer { running.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(connection)) } }
                return try body(connection)
            }
        } catch {
            throw error.code == .databaseCancelled ? .interrupted : .server(error)
        }
    }

    /// Runs `body` in a read-only snapshot: one consistent state even while a writer applies files.
    func snapshot<T>(_ operation: String, _ body: (PGConnection) throws -> T) throws -> T {
        do {
            return try pool.withConnection { connection in
                connection.operation = operation
                running.withLock { $0[ObjectIdentifier(connection)] = connection }
                defer { running.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(connection)) } }
                try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                do {
                    let value = try body(connection)
                    try connection.execute("COMMIT")
                    return value
                } catch {
                    if connection.isUsable { _ = try? connection.execute("ROLLBACK") }
                    throw error
                }
            }
        } catch let error as ServerDatabaseFailure {
            throw IndexError.server(error)
        }
    }

    public func appliedFiles() throws(IndexError) -> [AppliedFile] {
        try read("reading the applied files") { connection throws(ServerDatabaseFailure) in
            let result = try connection.execute("""
                SELECT name, folder, cycle, number, md5, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                       records, inserted, replaced, deleted, deletions_absent, first_seq, last_seq, seconds
                FROM \(quoted).applied_file ORDER BY position
                """)
            return (0..<result.count).map { (row: Int) -> AppliedFile in
                let appliedAt: Date = PGTime.date(result.string(row, 5)) ?? Date(timeIntervalSince1970: 0)
                let records: Int = result.int(row, 6) ?? 0, inserted: Int = result.int(row, 7) ?? 0
                let replaced: Int = result.int(row, 8) ?? 0, deleted: Int = result.int(row, 9) ?? 0
                let absent: Int = result.int(row, 10) ?? 0, seconds: Double = result.double(row, 13) ?? 0
                return AppliedFile(name: result.string(row, 0) ?? "", folder: result.string(row, 1) ?? "", cycle: result.int(row, 2),
                                   number: result.int(row, 3), md5: result.string(row, 4) ?? "", appliedAt: appliedAt,
                                   records: records, inserted: inserted, replaced: replaced, deleted: deleted, deletionsAbsent: absent,
                                   firstSeq: result.int64(row, 11), lastSeq: result.int64(row, 12), seconds: seconds)
            }
        }
    }

    public func counts() throws(IndexError) -> IndexCounts {
        try read("counting") { connection throws(ServerDatabaseFailure) in
            // The counts the writers keep in meta, when they were kept to the high-water mark
            // (PGSchema.counts); otherwise the rows are counted.
            let kept = { [quoted] (key: String) in "(SELECT value::bigint FROM \(quoted).meta WHERE key = '\(key)')" }
            let fresh = PGSchema.countsKept(schema)
            let result = try connection.execute("""
                SELECT CASE WHEN \(fresh) THEN \(kept("current_records")) ELSE (SELECT count(*) FROM \(quoted).article WHERE is_current) END,
                       CASE WHEN \(fresh) THEN \(kept("versions")) ELSE (SELECT count(*) FROM \(quoted).article) END,
                       (SELECT count(*) FROM \(quoted).applied_file), (SELECT value FROM \(quoted).meta WHERE key = 'last_seq')
                """)
            return IndexCounts(current: result.int(0, 0) ?? 0, versions: result.int(0, 1) ?? 0, files: result.int(0, 2) ?? 0,
                               highWaterMark: result.int64(0, 3) ?? 0)
        }
    }

    /// `mark` recorded as the replaced index's (`replaced_mark` in `meta`), and the next change
    /// numbered past `mark + 1`, so that even an export made before this index's first change gives
    /// a mark no replaced index had (see `RecordStore.continueNumbering`). The kept counts move
    /// with the high-water mark when they were kept to it.
    public func continueNumbering(after mark: Int64) throws(IndexError) {
        let connection = try writerConnection()
        do throws(ServerDatabaseFailure) {
            try connection.execute("BEGIN")
            try connection.execute("SELECT value FROM \(quoted).meta WHERE key = 'last_seq' FOR UPDATE")
            try connection.execute("""
                INSERT INTO \(quoted).meta VALUES ('replaced_mark', $1)
                ON CONFLICT (key) DO UPDATE SET value = greatest(meta.value::bigint, excluded.value::bigint)::text
                """, [String(mark)])
            // One statement, so both keys are compared with last_seq as it was before it.
            try connection.execute("""
                UPDATE \(quoted).meta SET value = $1
                WHERE value::bigint < $1::bigint
                  AND (key = 'last_seq' OR (key = 'counts_seq' AND value = (SELECT value FROM \(quoted).meta WHERE key = 'last_seq')))
                """, [String(mark + 1)])
            let moved = try PGCatalog.highWaterMark(schema, connection) ?? 0
            try connection.execute("COMMIT")
            committedMark.withLock { $0 = moved }
        } catch {
            if connection.isUsable, connection.inTransaction { _ = try? connection.execute("ROLLBACK") }
            throw .server(error)
        }
    }

    public func record(pmid: Int, version: Int?, withXML: Bool = true) throws(IndexError) -> StoredRecord? {
        // The table's PMIDs are 32-bit (`integer`); a larger one is in no row, and would not cast.
        guard Self.storable(pmid) else { return nil }
        return try read("reading PMID \(pmid)") { connection throws(ServerDatabaseFailure) in
            let result = try connection.execute("""
                SELECT version, is_current, record, \(withXML ? "xml" : "''") FROM \(quoted).article WHERE pmid = $1 ORDER BY version
                """, [String(pmid)])
            let versions = (0..<result.count).compactMap { result.int($0, 0) }
            let row = (0..<result.count).first { row in version.map { result.int(row, 0) == $0 } ?? result.bool(row, 1) }
            guard let row else { return nil }
            return StoredRecord(json: result.bytes(row, 2), xml: result.bytes(row, 3), isCurrent: result.bool(row, 1), versions: versions)
        }
    }

    /// The current records of `pmids`, in that order (nil for a PMID not in the index), in one statement.
    public func records(_ pmids: [Int], withXML: Bool) throws(IndexError) -> [StoredRecord?] {
        guard pmids.contains(where: Self.storable) else { return pmids.map { _ in nil } }
        return try read("reading \(pmids.count) records") { connection throws(ServerDatabaseFailure) in
            let result = try connection.execute("""
                SELECT a.pmid, a.record, \(withXML ? "a.xml" : "''"), (SELECT array_agg(v.version ORDER BY v.version)::text
                                                                      FROM \(quoted).article v WHERE v.pmid = a.pmid)
                FROM \(quoted).article a WHERE a.pmid = ANY($1::integer[]) AND a.is_current
                """, [PGArray.integers(pmids.filter(Self.storable))])
            var found: [Int: StoredRecord] = [:]
            for row in 0..<result.count {
                let versions = (result.string(row, 3) ?? "{}").dropFirst().dropLast().split(separator: ",").compactMap { Int($0) }
                found[result.int(row, 0) ?? 0] = StoredRecord(json: result.bytes(row, 1), xml: result.bytes(row, 2), isCurrent: true, versions: versions)
            }
            return pmids.map { found[$0] }
        }
    }

    public func export(since: Int64?, _ body: (ExportItem) throws -> Void) throws -> Int64 {
        try snapshot("exporting") { connection in
            let marks = try connection.execute("""
                SELECT (SELECT value FROM \(quoted).meta WHERE key = 'last_seq'), (SELECT value FROM \(quoted).meta WHERE key = 'replaced_mark')
                """)
            let mark = marks.int64(0, 0) ?? 0
            if let since { try Self.checkSince(since, mark: mark, replacedMark: marks.int64(0, 1) ?? 0) }
            let sql: String
            if let since {
                sql = """
                    COPY (SELECT seq, pmid, version, record FROM \(quoted).article WHERE is_current AND seq > \(since)
                          UNION ALL
                          SELECT seq, pmid, version, NULL FROM \(quoted).deletion WHERE seq > \(since)
                          ORDER BY 1) TO STDOUT (FORMAT binary)
                    """
            } else {
                sql = "COPY (SELECT 0::bigint, pmid, version, record FROM \(quoted).article WHERE is_current ORDER BY pmid) TO STDOUT (FORMAT binary)"
            }
            var header = true
            try connection.copyOut(sql) { row in
                var reader = BinaryCopyRow(row, skippingHeader: header)
                header = false
                guard let fields = reader.fieldCount, fields == 4 else { return }
                _ = reader.field()
                let pmid = reader.int32()
                let version = reader.int32()
                if let json = reader.field() {
                    try body(.record(json: Array(json), pmid: pmid, version: version))
                } else {
                    try body(.deletion(pmid: pmid, version: version))
                }
            }
            return mark
        }
    }

    // MARK: Search

    /// How many hits a relevance search ranks when it cuts them to the newest (by `seq`): only for
    /// a query with more, and only when the cut reads fewer rows (`cutsRanking`). README, "The
    /// PostgreSQL store".
    static let rankedHits = 10_000

    /// Whether a PMID fits the tables' 32-bit `integer` columns (any record's does: the parser
    /// refuses others).
    static func storable(_ pmid: Int) -> Bool { PubMedRecord.identifiers.contains(pmid) }

    public func search(_ request: SearchRequest, withJSON: Bool = true) throws(IndexError) -> SearchResult {
        let (query, dialect) = try translate(request.query, mesh: request.mesh)
        let ranks = request.sort == .relevance && query.ranks && !dialect.rankQueries.isEmpty
        let rank = ranks
            ? "ts_rank('{0.4, 0.6, 0.4, 1.0}', text_words, (\(dialect.rankQueries.map { PGDialect.literal($0) + "::tsquery" }.joined(separator: " || "))))"
            : "0.0::real"
        let order = PGOrderedPage.order(request.sort, ranked: ranks)
        let walkable = try PGOrderedPage.index(for: request.sort).map { index throws(IndexError) in try hasIndex(index) } ?? false
        let (hits, total) = try read("searching") { connection throws(ServerDatabaseFailure) -> ([SearchHit], Int?) in
            try connection.tuneForSearch()
            // Counted and read in one snapshot, when counted.
            guard request.counting else { return (try page(connection), nil) }
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            do throws(ServerDatabaseFailure) {
                let total = try connection.execute("SELECT count(*) FROM \(quoted).article WHERE is_current AND \(query.match)").int(0, 0) ?? 0
                let hits = try page(connection)
                try connection.execute("COMMIT")
                return (hits, total)
            } catch {
                if connection.isUsable { _ = try? connection.execute("ROLLBACK") }
                throw error
            }
        }
        return SearchResult(hits: hits, notes: query.notes, total: total)

        func page(_ connection: PGConnection) throws(ServerDatabaseFailure) -> [SearchHit] {
            if walkable { return try orderedPage(request, match: query.match, withJSON: withJSON, connection).hits }
            let cut = max(Self.rankedHits, request.offset.addingReportingOverflow(request.limit).overflow ? Int.max : request.offset + request.limit)
            let cuts = ranks ? try Self.cutsRanking(connection, schema: quoted, match: query.match, cut: cut) : false
            let hitsRead = cuts ? """
                (SELECT pmid, version, year, title, journal, text_words, record FROM \(quoted).article
                 WHERE is_current AND \(query.match) ORDER BY seq DESC LIMIT \(cut)) AS article
                """ : "\(quoted).article WHERE is_current AND \(query.match)"
            let result = try connection.execute("""
                SELECT pmid, version, year, title, journal, \(rank) AS rank, \(withJSON ? "record" : "''")
                FROM \(hitsRead) ORDER BY \(order) LIMIT \(request.limit) OFFSET \(request.offset)
                """)
            return PGOrderedPage.hits(result)
        }
    }

    /// A page sorted by an order `PGOrderedPage` can walk, and how it was found.
    func orderedPage(_ request: SearchRequest, match: String, withJSON: Bool, _ connection: PGConnection)
        throws(ServerDatabaseFailure) -> (hits: [SearchHit], way: PGOrderedPage.Way) {
        let page = PGOrderedPage(schema: quoted, match: match, order: PGOrderedPage.order(request.sort, ranked: false),
                                 limit: request.limit, offset: request.offset, withJSON: withJSON)
        return try page.run(connection, records: Self.records(connection, schema: quoted))
    }

    /// About how many rows `article` of `schema` has (the planner's count, from the last `ANALYZE`
    /// or `VACUUM`; -1 before any).
    static func records(_ connection: PGConnection, schema: String) throws(ServerDatabaseFailure) -> Double {
        try connection.execute("SELECT reltuples FROM pg_class WHERE oid = $1::regclass", ["\(schema).article"]).double(0, 0) ?? 0
    }

    /// Whether the schema has `index` (one of `PGSchema.orderIndexes`, which a schema made by an
    /// earlier pubmed-mirror lacks until a writer opens it). Asked of the server until it has it,
    /// so that a resident reader (`serve`) walks once a writer has built it.
    func hasIndex(_ index: String) throws(IndexError) -> Bool {
        if knownIndexes.withLock({ $0.contains(index) }) { return true }
        let present = try read("searching") { connection throws(ServerDatabaseFailure) in try PGCatalog.indexes(schema, connection) }
        knownIndexes.withLock { $0 = present }
        return present.contains(index)
    }

    /// Whether a ranked search first cuts its hits to the newest `cut`: ranking reads each hit's
    /// word vector, which for a word in most records takes seconds. The cut reads the newest rows
    /// until it has `cut` hits (about `cut` × records / hits rows); ranking every hit reads the hits.
    /// Whichever reads fewer rows, by the planner's estimate (planning only, no rows read), since
    /// PostgreSQL's own choice costs a row's word vector as nothing and walked 550,000 rows for a
    /// word in 2 % of 1.2 million records.
    static func cutsRanking(_ connection: PGConnection, schema: String, match: String, cut: Int) throws(ServerDatabaseFailure) -> Bool {
        let records = try Self.records(connection, schema: schema)
        let plan = try connection.execute("EXPLAIN (FORMAT JSON) SELECT 1 FROM \(schema).article WHERE is_current AND \(match)").string(0, 0) ?? ""
        guard let field = plan.range(of: "\"Plan Rows\": "), let hits = Double(plan[field.upperBound...].prefix(while: \.isNumber)),
              hits > Double(cut) else { return false }
        return Double(cut) * max(records, hits) / hits < hits
    }

    public func count(_ query: PubMedQuery, mesh: (any MeshVocabulary)?) throws(IndexError) -> Int {
        let (translated, _) = try translate(query, mesh: mesh)
        return try read("counting") { connection throws(ServerDatabaseFailure) in
            try connection.tuneForSearch()
            return try connection.execute("SELECT count(*) FROM \(quoted).article WHERE is_current AND \(translated.match)").int(0, 0) ?? 0
        }
    }

    func translate(_ query: PubMedQuery, mesh: (any MeshVocabulary)?) throws(IndexError) -> (FTSQuery, PGDialect) {
        let dialect = PGDialect()
        do {
            return (try FTSQuery(query, mesh: mesh, dialect: dialect), dialect)
        } catch let error as QueryError {
            throw .query(error)
        } catch {
            throw .database(DatabaseFailure(path: url.text, role: "MeSH thesaurus", error: error))
        }
    }

    // MARK: Applying

    public func apply(_ file: FileIdentity,
                      produce: @escaping @Sendable (_ sink: (ArticleFileItem) throws -> Void) throws -> Void) throws(IndexError) -> AppliedFile {
        try apply(file, cancellation: CancellationFlag(), produce: IndexPipeline.produce(produce))
    }

    public func apply(_ file: FileIdentity, contentsOf url: URL, cancellation: CancellationFlag) throws(IndexError) -> AppliedFile {
        let hashing = file.md5.isEmpty
        return try apply(file, cancellation: cancellation) { sink in
            try ArticleFile.read(url, keepingStream: false, hashing: hashing) { item in try sink(item) }
        }
    }

    private func apply(_ file: FileIdentity, cancellation: CancellationFlag, produce: @escaping IndexPipeline.Produce) throws(IndexError) -> AppliedFile {
        let clock = ContinuousClock.now
        let connection = try writerConnection()
        connection.operation = "applying \(file.name)"
        defer { connection.operation = "writing" }
        let applied: AppliedFile
        do {
            applied = try IndexPipeline.run(sourceFile: file.name, preparer: { PGPreparer(sourceFile: file.name) },
                                         cancellation: cancellation, produce: produce) { next, summary in
                try connection.execute("BEGIN")
                let writer = try PGWriter(connection: connection, schema: schema, sourceFile: file.name)
                // The writer's lock is taken again on a new connection after the old one was lost
                // (a server restart, an idle session dropped): another machine may have written in
                // between, and this run's plan would be stale. The mark tells.
                if let mark = committedMark.withLock({ $0 }), writer.firstSeq - 1 != mark {
                    throw ServerDatabaseFailure(server: url.text, operation: "applying \(file.name)", sqlState: "55P03",
                                                message: "another writer changed the index (its high-water mark is \(writer.firstSeq - 1), this run left or found it at \(mark)) while this run's connection was lost; the run stops, and the next one plans again",
                                                connectionLost: false)
                }
                while let batch = try next() {
                    for item in batch { try writer.write(item) }
                }
                try writer.flushPending()
                var identity = file
                if identity.md5.isEmpty { identity.md5 = summary()?.md5 ?? "" }
                var applied = writer.counts(for: identity)
                applied.seconds = (ContinuousClock.now - clock).inSeconds
                try writer.finish(applied)
                try connection.execute("COMMIT")
                committedMark.withLock { $0 = applied.lastSeq ?? writer.firstSeq - 1 }
                appliedSinceMerge.withLock { $0 = true }
                return applied
            }
        } catch {
            if connection.isUsable, connection.inTransaction { _ = try? connection.execute("ROLLBACK") }
            throw applyError(error)
        }
        mergeAfterFile(connection)
        return applied
    }

    /// After each file, outside its transaction: what it left in the full-text indexes' pending
    /// lists goes into the indexes (`mergePendingEntries`), so that no later file of the run fills
    /// a list and merges it inside its own transaction, and searches during a long run stay
    /// fast. Not during a bulk load (no indexes yet: `finishRun` builds them). A merge that fails
    /// here is tried again at the run's end, which reports it.
    private func mergeAfterFile(_ connection: PGConnection) {
        do throws(ServerDatabaseFailure) {
            let existing = Self.searchIndexes(try PGCatalog.indexes(schema, connection)).existing
            guard !existing.isEmpty else { return }
            try mergePendingEntries(existing, writer: connection)
        } catch {
            return
        }
    }

    /// The full-text indexes the schema lacks, and those it has, of the indexes `built`.
    private static func searchIndexes(_ built: Set<String>) -> (missing: [(String, String)], existing: [(String, String)]) {
        (PGSchema.searchIndexes.filter { !built.contains($0.0) }, PGSchema.searchIndexes.filter { built.contains($0.0) })
    }

    /// The index's locked writer connection.
    private func writerConnection() throws(IndexError) -> PGConnection {
        guard !readOnly else {
            throw .server(ServerDatabaseFailure(server: url.text, operation: "applying", sqlState: "25006",
                                                message: "the store was opened read-only", connectionLost: false))
        }
        return try index.writerConnection()
    }

    private func applyError(_ error: any Error) -> IndexError {
        switch error {
        case let error as IndexError: return error
        case let error as ServerDatabaseFailure: return .server(error)
        case let error as PubMedRecords.RecordError:
            if error.kind == .handler, let underlying = error.underlying { return applyError(underlying) }
            return .parse(error)
        case PGStoreError.inconsistent(let message): return .inconsistency(message)
        default: return .inconsistency("applying failed unexpectedly: \(error)")
        }
    }

    /// Builds the full-text indexes when they are missing (after the first files of a new index,
    /// or a run stopped before it got here), then gathers the planner's statistics. Until then,
    /// search reads every row: correct, only slower. Merges what is left in the pending lists of
    /// those already there (each file's own merge failed, or a run was killed between a file and
    /// its merge, or an earlier pubmed-mirror wrote): a merge that fails is returned as a warning,
    /// not thrown, since the files are committed, searches stay right, and the next run merges.
    /// The builds are each one statement on the server: `cancellation` does not cut them short.
    @discardableResult
    public func finishRun(cancellation: CancellationFlag) throws(IndexError) -> String? {
        guard !readOnly else { return nil }
        // A schema an earlier switch left behind (a reader held it then) goes now, if it can.
        let leftBehind = try index.dropReplaced()
        let finished = try buildOrMergeSearchIndexes()
        let warnings = [leftBehind, finished].compactMap { $0 }
        return warnings.isEmpty ? nil : warnings.joined(separator: "; ")
    }

    private func buildOrMergeSearchIndexes() throws(IndexError) -> String? {
        let connection = try writerConnection()
        defer { connection.operation = "writing" }
        let built: Set<String>
        do throws(ServerDatabaseFailure) {
            built = try PGCatalog.indexes(schema, connection)
        } catch {
            throw .server(error)
        }
        let (missing, existing) = Self.searchIndexes(built)
        let missingChildren = PGSchema.childIndexes.filter { !built.contains($0.name) }
        var warning: String?
        if !existing.isEmpty {
            do throws(ServerDatabaseFailure) {
                try mergePendingEntries(existing, writer: connection)
            } catch {
                warning = "the full-text indexes' new entries were not merged (\(error.description)); searches stay right, "
                    + "only slower until the next run merges them"
                guard connection.isUsable else { return warning }
            }
        }
        guard !missing.isEmpty || !missingChildren.isEmpty else { return warning }
        do throws(ServerDatabaseFailure) {
            try inSessions(finishingTasks(missing, missingChildren), writer: connection)
            if existing.isEmpty { appliedSinceMerge.withLock { $0 = false } }
            // The planner's statistics, which autovacuum would gather only later: without them a
            // value search (`neoplasms[mh] AND 1975:1979[dp]`) just after a load walks the newest
            // rows one by one, 17 times slower (Docs/benchmarks.md). The child tables' were
            // gathered in the sessions; `article`'s wait for its indexes' builds, which the
            // gathering would otherwise wait for (or hold up), and are those of the columns
            // searches use (`PGSchema.searchedColumns`).
            connection.operation = "analyzing the new index"
            try connection.execute(PGSchema.tables.filter { !PGSchema.childTables.contains($0) }.map { table in
                "ANALYZE \(quoted).\(table)" + (table == "article" ? " (\(PGSchema.searchedColumns.joined(separator: ", ")))" : "") + ";"
            }.joined(separator: "\n"))
        } catch {
            throw .server(error)
        }
        return warning
    }

    /// The work of a bulk load's end, for the sessions to share in this order: each missing
    /// full-text index's build (the longest tasks, longest first), then each child table's missing
    /// indexes and its statistics (one task a table, so that a table's statistics are not gathered
    /// while its index is built, and its expression index's key gets statistics too).
    private func finishingTasks(_ missing: [(String, String)], _ missingChildren: [PGSchema.ChildIndex]) -> [SessionTask] {
        let schema = schema, quoted = quoted
        var tasks = missing.map { name, column in
            SessionTask { session throws(ServerDatabaseFailure) in
                session.operation = "building the full-text index \(name)"
                try Self.withBuildMemory(session) { () throws(ServerDatabaseFailure) in
                    try session.execute(PGSchema.createSearchIndex(schema, name: name, column: column))
                }
            }
        }
        for table in PGSchema.childTables {
            let indexes = missingChildren.filter { $0.table == table }
            tasks.append(SessionTask { session throws(ServerDatabaseFailure) in
                for index in indexes {
                    session.operation = "building the index \(index.name)"
                    try Self.withBuildMemory(session) { () throws(ServerDatabaseFailure) in
                        try session.execute(PGSchema.createChildIndex(schema, index))
                    }
                }
                session.operation = "analyzing \(table)"
                try session.execute("ANALYZE \(quoted).\(table)")
            })
        }
        return tasks
    }

    /// Runs `body` with the session's memory for building or merging an index
    /// (`maintenance_work_mem`) set to `buildMemory`, its own: a server's default of 64 MB would
    /// take the sort through several passes.
    private static func withBuildMemory(_ session: PGConnection, _ body: () throws(ServerDatabaseFailure) -> Void) throws(ServerDatabaseFailure) {
        try session.execute("SET maintenance_work_mem = '\(buildMemory)'")
        defer { _ = try? session.execute("RESET maintenance_work_mem") }
        try body()
    }

    /// The schema's indexes as a search sorted by an order index last found them (`hasIndex`).
    private let knownIndexes = Mutex<Set<String>>([])
    /// Whether a file was applied since the pending lists were last merged (or its merge failed).
    private let appliedSinceMerge = Mutex(false)
    /// The high-water mark this store's writer last left or found (on opening, after its last file,
    /// after `continueNumbering`): the next file must find it so.
    private let committedMark = Mutex<Int64?>(nil)

    /// Memory for each index build (`maintenance_work_mem`), the session's own.
    static let buildMemory = "256MB"

    /// Moves the entries in each full-text index's pending list (GIN's `fastupdate`, up to
    /// `gin_pending_list_limit`) into the index proper, outside the files' transactions, so that
    /// searches stop reading them. A search reads the whole pending list of every index it uses:
    /// with one 30,000-record file in it (48 MB in `article_text_words`) that was 30 ms of
    /// `cancer[tiab]`'s 107 ms and half of a phrase's time on 1.2 million records. Left to the
    /// inserts, the merge came when a later file filled the list, inside that file's transaction,
    /// which then took 5-8 s longer than the others. The writer owns the schema (it
    /// creates and migrates it), as `gin_clean_pending_list` requires. After a file, a session per
    /// index (2.5-3 s for a 30,000-record file); otherwise one after another on the writer's
    /// session, which costs a millisecond when the lists are empty.
    private func mergePendingEntries(_ indexes: [(String, String)], writer: PGConnection) throws(ServerDatabaseFailure) {
        let quoted = quoted
        let tasks = indexes.map { name, _ in
            SessionTask { session throws(ServerDatabaseFailure) in
                session.operation = "merging the new entries of the full-text index \(name)"
                try Self.withBuildMemory(session) { () throws(ServerDatabaseFailure) in
                    try session.execute("SELECT gin_clean_pending_list($1::regclass)", ["\(quoted).\(PGCatalog.quote(name))"])
                }
            }
        }
        if appliedSinceMerge.withLock({ $0 }) {
            try inSessions(tasks, writer: writer)
        } else {
            for task in tasks { try task.work(writer) }
        }
        appliedSinceMerge.withLock { $0 = false }
    }

    /// A piece of work for one of the sessions of `inSessions`.
    struct SessionTask: Sendable {
        var work: @Sendable (PGConnection) throws(ServerDatabaseFailure) -> Void

        init(_ work: @escaping @Sendable (PGConnection) throws(ServerDatabaseFailure) -> Void) { self.work = work }
    }

    /// Sessions `inSessions` works in at most: one for each full-text index, whose builds are the
    /// longest tasks.
    static let sessions = PGSchema.searchIndexes.count

    /// Runs `tasks` in up to `sessions` sessions at once (the writer's, and new connections closed
    /// after), each session taking the next task in order when it is done with one: PostgreSQL
    /// builds or merges an index in one process, so several sessions use several of the server's
    /// cores. On 120,000 records and 2 cores the three full-text builds took 8.6 s against 12.6 s
    /// one after the other (Docs/benchmarks.md). A failure leaves the other tasks' work in place
    /// and is thrown once all are done; a session that cannot be opened (the server's or the
    /// role's connection limit) leaves its share to the others, the writer's at least. The other
    /// sessions do not hold the writer's lock, so each checks every second that this process is
    /// still there: work whose process died (killed, a second Ctrl-C) stops instead of running on
    /// unlocked beside the next run, which would find an index's name taken by an index it cannot see.
    private func inSessions(_ tasks: [SessionTask], writer: PGConnection) throws(ServerDatabaseFailure) {
        guard !tasks.isEmpty else { return }
        let shared = SharedTasks(tasks)
        let done = DispatchGroup()
        let url = url
        let drain = { @Sendable (session: PGConnection) in
            do throws(ServerDatabaseFailure) {
                try session.execute("SET client_connection_check_interval = '1s'")
            } catch {
                // This session takes no task; the others do them, and the error is reported.
                shared.failures.withLock { $0.append(error) }
                return
            }
            defer { _ = try? session.execute("RESET client_connection_check_interval") }
            while let task = shared.next() {
                do throws(ServerDatabaseFailure) {
                    try task.work(session)
                } catch {
                    shared.failures.withLock { $0.append(error) }
                    // A session whose connection broke takes no more: the others do the rest.
                    guard session.isUsable else { return }
                }
            }
        }
        for number in 1..<min(Self.sessions, tasks.count) {
            done.enter()
            BlockingThreads.start("pubmed-mirror.session-\(number)") {
                defer { done.leave() }
                guard let session = try? PGPool.connect(url, attempts: 1) else { return }
                drain(session)
            }
        }
        drain(writer)
        done.wait()
        if let failure = shared.failures.withLock({ $0.first }) { throw failure }
        if shared.left > 0 {
            throw ServerDatabaseFailure(server: url.text, operation: writer.operation, sqlState: nil,
                                        message: "the connections were lost before \(shared.left) of the run's last tasks were done",
                                        connectionLost: true)
        }
    }

    /// The tasks of `inSessions`, taken one at a time in order, and the failures met.
    private final class SharedTasks: Sendable {
        private let tasks: [SessionTask]
        private let taken = Mutex(0)
        let failures = Mutex<[ServerDatabaseFailure]>([])

        init(_ tasks: [SessionTask]) { self.tasks = tasks }

        /// The next task nobody has taken.
        func next() -> SessionTask? {
            taken.withLock { taken in
                guard taken < tasks.count else { return nil }
                taken += 1
                return tasks[taken - 1]
            }
        }

        /// How many tasks nobody took.
        var left: Int { taken.withLock { tasks.count - $0 } }
    }

    /// Stops the statement a reader runs (a server's time limit per query). Under the lock, so that
    /// a connection whose read ended meanwhile, back in the pool and running another reader's
    /// statement, is not the one cancelled.
    public func interrupt() {
        running.withLock { running in
            for connection in running.values { connection.cancel() }
        }
    }
}

/// The connections readers borrow: at most `idleLimit` kept between reads.
final class PGPool: Sendable {
    let url: DatabaseURL
    private let idle = Mutex<[PGConnection]>([])
    /// Connections kept between reads: as many as a server's readers.
    static let idleLimit = 16

    init(url: DatabaseURL) { self.url = url }

    /// Connects, retrying with backoff while the server cannot be reached (it may be restarting).
    static func connect(_ url: DatabaseURL, attempts: Int = 4) throws(ServerDatabaseFailure) -> PGConnection {
        var delay = 0.25
        for attempt in 1... {
            do throws(ServerDatabaseFailure) {
                return try PGConnection(url)
            } catch {
                guard error.code == .databaseUnreachable, attempt < attempts else { throw error }
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
        }
        fatalError("unreachable")
    }

    func with<T>(_ body: (PGConnection) throws(ServerDatabaseFailure) -> T) throws(ServerDatabaseFailure) -> T {
        do {
            return try withConnection { connection in try body(connection) }
        } catch let error as ServerDatabaseFailure {
            throw error
        } catch {
            throw ServerDatabaseFailure(server: url.text, operation: "reading", sqlState: nil, message: "\(error)", connectionLost: false)
        }
    }

    /// Runs `body` on an idle connection or a new one; an idle connection that the server dropped
    /// (found broken when `body` fails before the server answered anything on it) is replaced and
    /// `body` run once more. A connection lost after an answer is an error: `body` may have handed
    /// rows on already (an export, a change feed), which a second run would repeat.
    func withConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
        guard let pooled = idle.withLock({ $0.popLast() }) else { return try run(Self.connect(url), body) }
        let answered = pooled.answers
        do {
            return try run(pooled, body)
        } catch {
            guard !pooled.isUsable, pooled.answers == answered else { throw error }
            return try run(Self.connect(url), body)
        }
    }

    private func run<T>(_ connection: PGConnection, _ body: (PGConnection) throws -> T) throws -> T {
        defer { giveBack(connection) }
        return try body(connection)
    }

    private func giveBack(_ connection: PGConnection) {
        guard connection.isUsable, !connection.inTransaction else { return }
        idle.withLock { if $0.count < Self.idleLimit { $0.append(connection) } }
    }
}

/// One row of `COPY … TO STDOUT (FORMAT binary)`: a field count, then each field's length (-1 for
/// NULL) and bytes, big-endian. The first row follows the format's 19-byte header.
/// https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.4
struct BinaryCopyRow {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, skippingHeader: Bool) {
        self.bytes = bytes
        if skippingHeader, bytes.count >= 19 {
            // Signature (11), flags (4), header extension length (4) and the extension.
            let extensionLength = Int(Self.int32(bytes, at: 15))
            offset = 19 + max(0, extensionLength)
        }
    }

    /// The number of fields; nil at the trailer (-1).
    var fieldCount: Int? {
        mutating get {
            guard offset + 2 <= bytes.count else { return nil }
            let count = Int(Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])))
            offset += 2
            return count < 0 ? nil : count
        }
    }

    /// The next field's bytes; nil for NULL.
    mutating func field() -> UnsafeRawBufferPointer? {
        let length = Int(Self.int32(bytes, at: offset))
        offset += 4
        guard length >= 0 else { return nil }
        defer { offset += length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
    }

    /// The next field as an `integer`.
    mutating func int32() -> Int {
        guard let field = field(), field.count == 4 else { return 0 }
        return Int(Self.int32(field, at: 0))
    }

    private static func int32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
    }
}
