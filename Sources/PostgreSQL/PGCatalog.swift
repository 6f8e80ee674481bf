import PubMedSupport

/// Which index schema answers: the control table `pubmed_mirror.index_schema`, and the views in
/// schema `pubmed` that show the live one's tables to SQL users under fixed names. Switching is one
/// transaction, so a reader sees the old index or the new one, never a mixture.
enum PGCatalog {
    static let control = "pubmed_mirror"
    /// The schema of views that SQL users query (`pubmed.article`…).
    static let views = "pubmed"
    /// The advisory lock a writer holds for as long as it runs (one per database): "pubmed" in ASCII.
    static let writerLock: Int64 = 0x7075_626d_6564

    static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Creates the control table when it is missing (a writer's first run). A database that cannot
    /// hold every character of PubMed's records is refused first, rather than each file failing in
    /// its COPY at the first character its encoding lacks.
    static func prepare(_ connection: PGConnection) throws(ServerDatabaseFailure) {
        let encoding = try connection.execute("SHOW server_encoding").string(0, 0) ?? "?"
        guard encoding == "UTF8" else {
            throw ServerDatabaseFailure(server: connection.url.text, operation: "checking the database", sqlState: nil,
                                        message: "the database's encoding is \(encoding), which cannot hold every character of PubMed's records: "
                                            + "make it UTF8 (createdb --encoding UTF8 --template template0 …)",
                                        connectionLost: false)
        }
        try connection.execute("""
            CREATE SCHEMA IF NOT EXISTS \(control);
            CREATE TABLE IF NOT EXISTS \(control).index_schema (
                name text PRIMARY KEY,
                live boolean NOT NULL DEFAULT false,
                created_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE UNIQUE INDEX IF NOT EXISTS index_schema_live ON \(control).index_schema (live) WHERE live;
            """)
    }

    /// The names of the indexes in index schema `schema` (index names are the schema's own: one
    /// name, one index, whatever its table).
    static func indexes(_ schema: String, _ connection: PGConnection) throws(ServerDatabaseFailure) -> Set<String> {
        let result = try connection.execute("SELECT indexname FROM pg_indexes WHERE schemaname = $1", [schema])
        return Set((0..<result.count).compactMap { result.string($0, 0) })
    }

    /// The high-water mark of index schema `schema` (`meta.last_seq`).
    static func highWaterMark(_ schema: String, _ connection: PGConnection) throws(ServerDatabaseFailure) -> Int64? {
        try connection.execute("SELECT value FROM \(quote(schema)).meta WHERE key = 'last_seq'").int64(0, 0)
    }

    /// The live index schema; nil when there is none yet (or no control table: nothing was indexed).
    static func liveSchema(_ connection: PGConnection) throws(ServerDatabaseFailure) -> String? {
        do {
            return try connection.execute("SELECT name FROM \(control).index_schema WHERE live").string(0, 0)
        } catch where error.sqlState == "42P01" || error.sqlState == "3F000" {
            return nil
        }
    }

    /// Whether `schema` holds an index's tables.
    static func exists(_ schema: String, _ connection: PGConnection) throws(ServerDatabaseFailure) -> Bool {
        try connection.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'meta'", [schema]).count > 0
    }

    /// Every index schema the control table knows, with whether it is live.
    static func schemas(_ connection: PGConnection) throws(ServerDatabaseFailure) -> [(name: String, live: Bool)] {
        let result = try connection.execute("SELECT name, live FROM \(control).index_schema ORDER BY created_at")
        return (0..<result.count).map { (result.string($0, 0) ?? "", result.bool($0, 1)) }
    }

    /// Registers a new index schema (not live) and creates its tables, in one transaction.
    static func create(_ schema: String, _ connection: PGConnection) throws(ServerDatabaseFailure) {
        try connection.transaction { () throws(ServerDatabaseFailure) in
            try connection.execute("INSERT INTO \(control).index_schema (name) VALUES ($1)", [schema])
            try connection.execute(PGSchema.create(schema))
        }
    }

    /// How long the switch and the drop of a replaced schema wait for a lock before giving up: a
    /// reader holding the old index (a long export, a SQL user's open transaction) must not make
    /// every new reader queue behind the switch for as long as it reads.
    static let lockTimeout = "10s"

    /// Makes `schema` the one that answers, with the views over it, in one transaction. The views
    /// are replaced in place (`CREATE OR REPLACE`), so views of users' own over them stay; they are
    /// dropped and made again only when their columns changed (a newer schema version).
    static func makeLive(_ schema: String, _ connection: PGConnection) throws(ServerDatabaseFailure) {
        func switchViews(replacing: Bool) throws(ServerDatabaseFailure) {
            try connection.transaction { () throws(ServerDatabaseFailure) in
                try connection.execute("SET LOCAL lock_timeout = '\(lockTimeout)'")
                try connection.execute("UPDATE \(control).index_schema SET live = false WHERE live")
                try connection.execute("UPDATE \(control).index_schema SET live = true WHERE name = $1", [schema])
                var sql = "CREATE SCHEMA IF NOT EXISTS \(views);\n"
                for table in PGSchema.tables {
                    if !replacing { sql += "DROP VIEW IF EXISTS \(views).\(table);\n" }
                    sql += "CREATE OR REPLACE VIEW \(views).\(table) AS SELECT * FROM \(quote(schema)).\(table);\n"
                }
                try connection.execute(sql)
            }
        }
        do {
            try switchViews(replacing: true)
        } catch where error.sqlState == "42P16" || error.sqlState == "42804" {
            // The columns differ from the old views' (invalid_table_definition, datatype_mismatch).
            try switchViews(replacing: false)
        }
    }

    /// Drops index schema `name` and its row, in a transaction of its own that waits at most
    /// `lockTimeout` for a reader of it (then fails with `lock_not_available`, 55P03).
    static func drop(_ name: String, _ connection: PGConnection) throws(ServerDatabaseFailure) {
        try connection.transaction { () throws(ServerDatabaseFailure) in
            try connection.execute("SET LOCAL lock_timeout = '\(lockTimeout)'")
            try connection.execute("DROP SCHEMA IF EXISTS \(quote(name)) CASCADE")
            try connection.execute("DELETE FROM \(control).index_schema WHERE name = $1", [name])
        }
    }

    /// Drops the index schemas the live one replaced (not live, and made before it), each in a
    /// transaction of its own that waits at most `lockTimeout`; a schema still in use is left for
    /// the next run. Returns what could not be dropped, and why.
    static func dropReplaced(_ connection: PGConnection) throws(ServerDatabaseFailure) -> [String] {
        let replaced = try connection.execute("""
            SELECT old.name FROM \(control).index_schema old, \(control).index_schema live
            WHERE live.live AND NOT old.live AND old.created_at < live.created_at ORDER BY old.created_at
            """)
        var left: [String] = []
        for name in (0..<replaced.count).compactMap({ replaced.string($0, 0) }) {
            do throws(ServerDatabaseFailure) {
                try drop(name, connection)
            } catch where connection.isUsable {
                left.append("\(name) (\(error.message))")
            }
        }
        return left
    }
}
