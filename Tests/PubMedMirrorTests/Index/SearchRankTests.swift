import Foundation
import GRDB
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// `pubmed_rank` must be bm25 to the last bit (divided by the phrase's IDF when one phrase alone
/// scores), whether `searchInfo` is filled or not, after every kind of change the writer makes, and
/// in an index of the earlier `searchInfo` layout before and after its migration.
@Suite(.heavyweight) struct SearchRankTests {
    static let weights = SearchDocument.Column.allCases.map { String($0.weight) }.joined(separator: ", ")

    /// A `searchInfo` row of the earlier layout holding `lengths` (2-byte entries, this layout's),
    /// each followed by the year 1991.
    static func earlierLayout(_ lengths: [UInt8]) -> Data {
        var earlier: [UInt8] = []
        for entry in 0..<SearchInfo.rowsPerChunk {
            earlier += [lengths[2 * entry], lengths[2 * entry + 1], 0xC7, 0x07]
        }
        return Data(earlier)
    }

    /// A connection to the store's file with the function registered.
    static func connection(_ store: SQLiteRecordStore) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try SearchInfo.register(db) }
        return try DatabaseQueue(path: store.path, configuration: configuration)
    }

    /// Every match of `query`: (rowid, bm25, pubmed_rank).
    static func compare(_ db: Database, _ query: String) throws -> [(id: Int64, bm25: Double, rank: Double)] {
        try Row.fetchAll(db, sql: """
            SELECT rowid AS id, bm25(articleSearch, \(weights)) AS bm25, pubmed_rank(articleSearch, \(weights)) AS rank
            FROM articleSearch WHERE articleSearch MATCH ?
            """, arguments: [query]).map { ($0["id"], $0["bm25"], $0["rank"]) }
    }

    /// Each query is bm25 to the bit when two or more of its phrases score. A query of one phrase
    /// (`queries`' single-phrase ones: a word, a phrase, a prefix) is bm25 divided by that phrase's IDF,
    /// bm25's own formula over the rows it matches: the same order, and the same bits once multiplied back.
    static func expectSame(_ store: SQLiteRecordStore, _ queries: [String], minimumMatches: Int = 1) throws {
        try connection(store).read { db in
            let total = try Double(Int.fetchOne(db, sql: "SELECT count(*) FROM articleSearch") ?? 0)
            for query in queries {
                let rows = try compare(db, query)
                #expect(rows.count >= minimumMatches, "\(query)")
                let matched = Double(rows.count)
                let idf = singlePhrase.contains(query) ? max(log((total - matched + 0.5) / (matched + 0.5)), 0) : nil
                for row in rows {
                    if let idf {
                        #expect(row.rank * (idf == 0 ? 1e-6 : idf) == row.bm25, "\(query): row \(row.id)")
                    } else {
                        #expect(row.rank == row.bm25, "\(query): row \(row.id)")
                    }
                }
                // The same order either way (ties broken by rowid, as the search does).
                let ordered = rows.sorted { ($0.rank, $0.id) < ($1.rank, $1.id) }.map(\.id)
                #expect(ordered == rows.sorted { ($0.bm25, $0.id) < ($1.bm25, $1.id) }.map(\.id), "\(query)")
            }
        }
    }

    static let queries = ["cancer", "\"heart failure\"", "tx:review", "aw:wang", "ti:patients OR ab:treatment", "cardi*", "the", "child* NOT adult*",
                          "{ti ab} : \"heart failure\"", "NEAR(\"blood\" \"pressure\", 3)", "(cancer OR tumor) NOT codes : \"sb_hasabstract\""]
    /// The queries of one phrase, which FTS5 numbers once (a NEAR of two words is two); the last three
    /// are the replacement test's.
    static let singlePhrase: Set<String> = ["cancer", "\"heart failure\"", "tx:review", "aw:wang", "cardi*", "the", "{ti ab} : \"heart failure\"",
                                            "longer", "filler", "screening"]

    @Test func bm25ToTheLastBitOnARealFileWithAndWithoutSearchInfo() throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        let store = try RecordStoreTests.store()
        _ = try store.apply(FileIdentity(name: url.lastPathComponent, folder: "baseline", cycle: 20, number: 1015, md5: "x"), contentsOf: url)
        let filled = try DatabaseQueue(path: store.path).read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM searchInfo") ?? 0 }
        #expect(filled == 1, "756 rows fit in one searchInfo row")
        try Self.expectSame(store, Self.queries, minimumMatches: 3)
        // Without searchInfo the function falls back to FTS5's own lengths.
        try DatabaseQueue(path: store.path).write { db in try db.execute(sql: "DELETE FROM searchInfo") }
        try Self.expectSame(store, Self.queries, minimumMatches: 3)
        // A phrase the mask marks '0' (a code: a filter) neither scores nor changes the others' scores.
        try Self.connection(store).read { db in
            let alone = try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: """
                SELECT rowid AS id, pubmed_rank(articleSearch, \(Self.weights)) AS rank FROM articleSearch WHERE articleSearch MATCH 'cancer'
                """).map { (($0["id"] as Int64), ($0["rank"] as Double)) })
            let filtered = try Row.fetchAll(db, sql: """
                SELECT rowid AS id, pubmed_rank(articleSearch, '10', \(Self.weights)) AS rank FROM articleSearch
                WHERE articleSearch MATCH 'cancer AND codes : "sb_hasabstract"'
                """)
            #expect(filtered.count >= 3 && filtered.count < alone.count)
            for row in filtered { #expect(alone[row["id"] as Int64] == row["rank"] as Double) }
        }
    }

    @Test func searchInfoFollowsReplacementsDeletionsAndPromotions() throws {
        let store = try RecordStoreTests.store()
        typealias T = RecordStoreTests
        var long = T.record(1, 1, title: "Cancer in the long record", year: 1999)
        long.abstract = String(repeating: "cancer screening trial ", count: 40)
        try T.apply(store, "f1", [.record(long, xml: T.xml(1, 1)), T.rec(1, 2, title: "Cancer short"), T.rec(2, 1, title: "Cancer two")]
                    + (3...2100).map { T.rec($0, 1, title: "Filler \($0) cancer") })
        // Version 2 of PMID 1 replaced by a longer text; PMID 2 deleted; version 2 of PMID 1 deleted, so
        // version 1 (another length and year) becomes current again.
        var longer = T.record(1, 2, title: "Cancer now much longer", year: 2005)
        longer.abstract = String(repeating: "cancer ", count: 300)
        try T.apply(store, "f2", [.record(longer, xml: T.xml(1, 2)), .deletion(pmid: 2, version: 1)])
        try Self.expectSame(store, ["cancer", "longer", "filler"], minimumMatches: 1)
        try T.apply(store, "f3", [.deletion(pmid: 1, version: 2)])
        try Self.expectSame(store, ["cancer", "screening", "filler"], minimumMatches: 1)
        // The search itself ranks the same as bm25 would, and filters years the same way.
        let hits = try store.search("cancer year:1990..2000", limit: 5)
        #expect(hits.map(\.pmid) == [1])
        let ranked = try store.search("filler", limit: 3000)
        let bm25 = try Self.connection(store).read { db in
            try Int.fetchAll(db, sql: """
                SELECT a.pmid FROM articleSearch s JOIN article a ON a.id = s.rowid WHERE articleSearch MATCH 'filler'
                ORDER BY bm25(articleSearch, \(Self.weights)), s.rowid
                """)
        }
        #expect(Set(ranked.map(\.pmid)) == Set(bm25) && ranked.count == bm25.count)
    }

    /// The function's statement goes with each query: a store that has searched still closes (its
    /// last connection then copies the log into the database and deletes it).
    @Test func aStoreThatSearchedClosesAndLeavesNoLog() throws {
        var path = ""
        do {
            let store = try RecordStoreTests.store()
            path = store.path
            try RecordStoreTests.apply(store, "f1", (1...40).map { RecordStoreTests.rec($0, 1, title: "Cancer \($0)") })
            #expect(try store.search("cancer year:2000..2030", limit: 5).count == 5)
        }
        let deadline = Date().addingTimeInterval(5)
        while FileManager.default.fileExists(atPath: path + "-wal") && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "a connection was left open")
    }

    /// Each match's length is read from its own `searchInfo` row however the matches come: in rowid
    /// order (the reader steps forward to the next row it needs) or against it, in chunks side by
    /// side or far apart (looked up again), or in a chunk that has no row (FTS5's own count). Every
    /// row has a length of its own, so one read from the wrong place changes its score.
    @Test func lengthsAreFoundInEitherOrderAcrossManyChunks() throws {
        let folder = try TestPaths.temporaryDirectory("search-info-chunks")
        var configuration = Configuration()
        configuration.prepareDatabase { db in try SearchInfo.register(db) }
        let queue = try DatabaseQueue(path: folder.appendingPathComponent("chunks.sqlite").path, configuration: configuration)
        let chunk = Int64(SearchInfo.rowsPerChunk)
        func ranks(_ order: String) throws -> [(rowid: Int64, bm25: Double, rank: Double)] {
            try queue.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT rowid, bm25(articleSearch, \(Self.weights)) AS bm25, pubmed_rank(articleSearch, \(Self.weights)) AS rank
                    FROM articleSearch WHERE articleSearch MATCH 'alpha OR filler' ORDER BY rowid \(order)
                    """).map { ($0["rowid"], $0["bm25"], $0["rank"]) }
            }
        }
        // Chunks 0, 1, 2, 3 (no row), 4, 9, 19, 20 (no row), 39 and 40 (no row), at both ends of some; the
        // next chunk with a row after 3 and after 20 holds an entry at the same place (which must not
        // be taken).
        let rowids: [Int64] = [3, chunk - 1, chunk, 2 * chunk + 7, 3 * chunk + 500, 4 * chunk + 500, 9 * chunk + 2, 9 * chunk + 3,
                               19 * chunk + chunk - 1, 20 * chunk, 39 * chunk, 39 * chunk + 11, 40 * chunk + 5]
        let noRow: Set<Int64> = [3, 20, 40]
        var lengths: [Int64: Int] = [:]
        try queue.write { db in
            try db.execute(sql: """
                CREATE VIRTUAL TABLE articleSearch USING fts5 (\(SearchDocument.Column.allCases.map(\.name).joined(separator: ", ")));
                CREATE TABLE searchInfo (chunk INTEGER PRIMARY KEY, data BLOB NOT NULL);
                """)
            for (index, rowid) in rowids.enumerated() {
                try db.execute(sql: "INSERT INTO articleSearch (rowid, ti) VALUES (?, ?)",
                               arguments: [rowid, "alpha" + String(repeating: " filler", count: index + 1)])
                if !noRow.contains(rowid / chunk) { lengths[rowid] = index + 2 }
            }
            // Rows without the words, so that both phrases score (an IDF above 0).
            for extra in 0..<40 {
                try db.execute(sql: "INSERT INTO articleSearch (rowid, ti) VALUES (?, 'gamma delta')", arguments: [200 * chunk + Int64(extra)])
            }
            try SearchInfo.write(lengths, db: db)
        }
        for order in ["ASC", "DESC"] {
            let rows = try ranks(order)
            #expect(rows.map(\.rowid) == (order == "ASC" ? rowids : rowids.reversed()))
            for row in rows { #expect(row.rank == row.bm25, "row \(row.rowid), \(order)") }
        }
        // The entries are what is read, not FTS5's own count: lengths other than FTS5's change the
        // scores of every row that has one, and of no other.
        try queue.write { db in try SearchInfo.write(lengths.mapValues { $0 + 1000 }, db: db) }
        for order in ["ASC", "DESC"] {
            for row in try ranks(order) {
                #expect((row.rank == row.bm25) == noRow.contains(row.rowid / chunk), "row \(row.rowid), \(order)")
            }
        }
    }

    /// An index whose `searchInfo` has the earlier layout (4 bytes an entry: the length, then the
    /// year) ranks the same before its migration (the reader reads those rows as they are) and after
    /// it, when the rows hold the same lengths in 2 bytes an entry.
    @Test func theEarlierLayoutRanksTheSameAndIsRewrittenByAWriter() throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        var path = ""
        var compact: [Int64: Data] = [:]
        do {
            let store = try RecordStoreTests.store()
            path = store.path
            _ = try store.apply(FileIdentity(name: url.lastPathComponent, folder: "baseline", cycle: 20, number: 1015, md5: "x"), contentsOf: url)
        }
        // The earlier layout, and the migration not yet run.
        try DatabaseQueue(path: path).write { db in
            for row in try Row.fetchAll(db, sql: "SELECT chunk, data FROM searchInfo") {
                let data: Data = row["data"]
                compact[row["chunk"]] = data
                #expect(data.count == SearchInfo.chunkBytes)
                try db.execute(sql: "UPDATE searchInfo SET data = ? WHERE chunk = ?", arguments: [Self.earlierLayout([UInt8](data)), row["chunk"] as Int64])
            }
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [SQLiteRecordStore.compactMigration])
        }
        #expect(!compact.isEmpty)
        try Self.expectSame(try SQLiteRecordStore(path: path, readOnly: true), Self.queries, minimumMatches: 3)
        // Those rows are what the reader reads, not FTS5's own count: one entry made longer in the
        // earlier layout changes that row's score.
        let changed = try DatabaseQueue(path: path).write { db -> Int64 in
            let rowid = try #require(try Int64.fetchOne(db, sql: "SELECT min(rowid) FROM articleSearch WHERE articleSearch MATCH 'cancer'"))
            let chunk = rowid / Int64(SearchInfo.rowsPerChunk)
            var data = [UInt8](try #require(try Data.fetchOne(db, sql: "SELECT data FROM searchInfo WHERE chunk = ?", arguments: [chunk])))
            let at = Int(rowid % Int64(SearchInfo.rowsPerChunk)) * SearchInfo.earlierEntryBytes
            data[at] = 0xFF
            data[at + 1] = 0x7F  // 32,767 tokens
            try db.execute(sql: "UPDATE searchInfo SET data = ? WHERE chunk = ?", arguments: [Data(data), chunk])
            return rowid
        }
        let longer = try Self.connection(try SQLiteRecordStore(path: path, readOnly: true)).read { db in try Self.compare(db, "cancer OR patients") }
        for row in longer { #expect((row.rank == row.bm25) == (row.id != changed), "row \(row.id)") }
        try DatabaseQueue(path: path).write { db in
            let chunk = changed / Int64(SearchInfo.rowsPerChunk)
            let lengths = [UInt8](compact[chunk]!)  // read above: every chunk's row is in `compact`
            try db.execute(sql: "UPDATE searchInfo SET data = ? WHERE chunk = ?", arguments: [Self.earlierLayout(lengths), chunk])
        }
        // A writer opens it: the migration rewrites the rows.
        let store = try SQLiteRecordStore(path: path)
        let rewritten = try DatabaseQueue(path: path).read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT chunk, data FROM searchInfo").map { ($0["chunk"] as Int64, $0["data"] as Data) })
        }
        #expect(rewritten == compact)
        try Self.expectSame(store, Self.queries, minimumMatches: 3)
    }

    /// A row of the earlier layout (an older binary writing into a migrated index) keeps its
    /// entries when the writer adds one to it.
    @Test func aWriterKeepsTheEntriesOfARowOfTheEarlierLayout() throws {
        let queue = try DatabaseQueue(path: try TestPaths.temporaryDirectory("search-info-write").appendingPathComponent("info.sqlite").path)
        let rows = SearchInfo.rowsPerChunk
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE searchInfo (chunk INTEGER PRIMARY KEY, data BLOB NOT NULL)")
            // Chunk 2 in the earlier layout: entry e holds the length e + 1.
            var lengths: [UInt8] = []
            for entry in 0..<rows { lengths += [UInt8((entry + 1) & 0xFF), UInt8((entry + 1) >> 8)] }
            try db.execute(sql: "INSERT INTO searchInfo (chunk, data) VALUES (2, ?)", arguments: [Self.earlierLayout(lengths)])
            try SearchInfo.write([Int64(2 * rows + 5): 600, Int64(7 * rows): 9], db: db)
        }
        let written = try queue.read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT chunk, data FROM searchInfo").map { ($0["chunk"] as Int64, [UInt8]($0["data"] as Data)) })
        }
        #expect(written.keys.sorted() == [2, 7])
        let chunk2 = try #require(written[2])
        #expect(chunk2.count == SearchInfo.chunkBytes)
        var lengths: [Int] = []
        for entry in 0..<rows { lengths.append(Int(chunk2[2 * entry]) | Int(chunk2[2 * entry + 1]) << 8) }
        let expected: [Int] = (0..<rows).map { entry in entry == 5 ? 600 : entry + 1 }
        #expect(lengths == expected)
        let chunk7 = try #require(written[7])
        #expect(chunk7.count == SearchInfo.chunkBytes && chunk7[0] == 9 && chunk7[1...].allSatisfy { $0 == 0 })
    }

    @Test func docsizeVarintsAddUp() {
        // Seven columns: 3, 0, 127, 128, 306, 1, 16384 tokens, in SQLite's big-endian varints.
        let bytes: [UInt8] = [3, 0, 0x7F, 0x81, 0x00, 0x82, 0x32, 1, 0x81, 0x80, 0x00]
        let total = bytes.withUnsafeBytes { SearchInfo.length(docsize: $0) }
        #expect(total == 3 + 0 + 127 + 128 + 306 + 1 + 16384)
    }
}
