import GRDB
import PubMedSupport

extension SQLiteRecordStore {
    /// Thrown by the migration when the file holds an index of an earlier format.
    struct OlderFormat: Error {}

    /// The schema. `articleSearch` is contentless: it keeps only the index, not a second copy of
    /// the text, so removing a row hands FTS5 the text that was indexed, rebuilt from the stored
    /// record by `SearchDocument`. Changing `SearchDocument` therefore needs a migration that rebuilds
    /// `articleSearch`.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(readableMigration) { db in
            // Version 1 kept JSON and XML in two blobs and the search text twice; version 2 kept
            // one blob a record; version 3 had a stemmed index of seven columns and no codes.
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
                    pubDate INTEGER,
                    firstAuthor TEXT,
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
                    ti, ab, ot, mhw, tx, aw, jw, ad, gr, cn, codes,
                    content = '',
                    tokenize = 'unicode61 remove_diacritics 2 tokenchars ''_'''
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
        migrator.registerMigration("v4.1: current records by publication date") { db in
            // Walked in order by a search sorted by date that has many hits (`orderedWalk`). An
            // index made before it is read without it (its date sorts read every hit) until a
            // writer opens it and adds it.
            try db.execute(sql: "CREATE INDEX articleCurrentDate ON article (pubDate, pmid) WHERE isCurrent = 1")
        }
        migrator.registerMigration(compactMigration) { db in
            // searchInfo as lengths alone (2 bytes a row, not 4): a common word's ranking reads a
            // third of the pages (`search cancer[tiab]` on 1.2 M records, whole command: 21.0 ->
            // 19.6 ms; Docs/benchmarks.md). Until a writer has opened the index, readers read the
            // earlier rows as they are.
            try SearchInfo.compact(db: db)
        }
        // No index by first author or journal: one was tried (2026-12-07), and the random
        // inserts into it (each file's records land all over an order of names) dirtied most of
        // its pages at every file: 40 files took 13.5 % longer, the 40th 24 % longer, growing
        // with the index. Those sorts read every hit's row instead.
        return migrator
    }

    /// The migration that makes `searchInfo` lengths alone.
    static let compactMigration = "v4.2: searchInfo keeps lengths alone"

    /// The migration an index must have to be read; those after it only make reads faster.
    static let readableMigration = "v4: PubMed's fields: unstemmed words by field, codes for values and dates"
}
