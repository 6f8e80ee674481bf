import GRDB

/// How the project opens its SQLite files (the state database and the index): one writer at a
/// time, WAL so that readers in other processes keep working while it writes, schema from named
/// migrations, and a busy timeout instead of an immediate "database is locked".
public enum SQLiteDatabase {
    /// `pageSize` applies only when the file is created (SQLite cannot change it in WAL mode).
    /// `prepare` runs on every connection as it opens, read-only ones too (to register functions).
    /// Without `autoCheckpoint`, commits never copy the log into the database themselves: the
    /// caller checkpoints.
    public static func open(path: String, readOnly: Bool, migrator: DatabaseMigrator, cacheKiB: Int? = nil,
                            pageSize: Int? = nil, busySeconds: Double, autoCheckpoint: Bool = true,
                            prepare: (@Sendable (Database) throws -> Void)? = nil) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(busySeconds)
        configuration.prepareDatabase { db in
            try prepare?(db)
            // Readers (search, show, export: a process each) map the file rather than copy every
            // page they read out of the page cache with a read call (README, "Benchmarks").
            // Debian's SQLite caps the map at 2 GB (SQLITE_MAX_MMAP_SIZE); the rest of a larger
            // file is read as before.
            guard !readOnly else { return try db.execute(sql: "PRAGMA mmap_size = 2147418112") }
            if let pageSize { try db.execute(sql: "PRAGMA page_size = \(pageSize)") }
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if let cacheKiB { try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)") }
            if !autoCheckpoint { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        }
        let database = try DatabaseQueue(path: path, configuration: configuration)
        if !readOnly {
            try database.writeWithoutTransaction { db in
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            }
            try migrator.migrate(database)
        }
        return database
    }
}
