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

/// What only the SQLite store does (its search tokens, blocks, XML streams, earlier formats), with
/// records built by hand. The rules every store keeps are in `RecordStoreSemanticsTests`.
@Suite struct RecordStoreTests {
    static func record(_ pmid: Int, _ version: Int = 1, title: String = "A title", year: Int = 2020,
                       mesh: [String] = [], author: String = "Smith") -> PubMedRecord {
        var record = PubMedRecord(pmid: pmid, version: version)
        record.title = title
        record.year = year
        record.abstract = "Abstract of \(pmid) version \(version)."
        record.meshHeadings = mesh.map { PubMedRecord.MeshHeading(descriptor: $0) }
        record.authors = [PubMedRecord.Author(lastName: author, foreName: "Jane", initials: "J")]
        record.journal = PubMedRecord.Journal(title: "Journal of Tests", isoAbbreviation: "J Tests")
        return record
    }

    static func xml(_ pmid: Int, _ version: Int) -> [UInt8] {
        Array("<PubmedArticle><MedlineCitation><PMID Version=\"\(version)\">\(pmid)</PMID></MedlineCitation></PubmedArticle>".utf8)
    }

    static func store() throws -> SQLiteRecordStore {
        try SQLiteRecordStore(path: try TestPaths.temporaryDirectory("store").appendingPathComponent("index.sqlite").path)
    }

    static func file(_ name: String, md5: String = "0") -> FileIdentity {
        FileIdentity(name: name, folder: "updatefiles", cycle: 26, number: 1, md5: md5)
    }

    @discardableResult
    static func apply(_ store: any RecordStore, _ name: String, _ items: [ArticleFileItem]) throws -> AppliedFile {
        try store.apply(file(name)) { sink in for item in items { try sink(item) } }
    }

    static func rec(_ pmid: Int, _ version: Int = 1, title: String = "A title") -> ArticleFileItem {
        .record(record(pmid, version, title: title), xml: xml(pmid, version))
    }

    /// Every token the full-text index holds, as (PMID, column, offset, token): what a search can find.
    static func searchTokens(_ store: SQLiteRecordStore) throws -> Set<String> {
        try DatabaseQueue(path: store.path).write { db in
            try db.execute(sql: "CREATE VIRTUAL TABLE IF NOT EXISTS temp.tokens USING fts5vocab(main, 'articleSearch', 'instance')")
            return Set(try Row.fetchAll(db, sql: """
                SELECT a.pmid, t.col, t.offset, t.term FROM temp.tokens t JOIN article a ON a.id = t.doc
                """).map { row in "\(row["pmid"] as Int) \(row["col"] as String) \(row["offset"] as Int) \(row["term"] as String)" })
        }
    }

    @Test func theSearchIndexHoldsExactlyTheCurrentRecordsAfterReplacementsAndDeletions() throws {
        // The search index keeps no copy of the text: removing a row hands it the text it indexed,
        // rebuilt from the stored record. A mismatch would leave stray tokens that find the row.
        let changed = try Self.store()
        try Self.apply(changed, "f1", [Self.rec(1, 1, title: "Alpha beta"), Self.rec(1, 2, title: "Gamma"), Self.rec(2, 1, title: "Delta")])
        try Self.apply(changed, "f2", [Self.rec(1, 2, title: "Epsilon"), Self.rec(2, 1, title: "Zeta")])
        try Self.apply(changed, "f3", [.deletion(pmid: 1, version: 2)])
        try Self.apply(changed, "f4", [Self.rec(3, 1, title: "Eta"), .deletion(pmid: 2, version: 1), Self.rec(4, 1, title: "Theta")])
        try Self.apply(changed, "f5", [Self.rec(4, 2, title: "Iota")])

        let fresh = try Self.store()
        try Self.apply(fresh, "f1", [Self.rec(1, 1, title: "Alpha beta"), Self.rec(3, 1, title: "Eta"), Self.rec(4, 2, title: "Iota")])
        let tokens = try Self.searchTokens(changed)
        #expect(tokens == (try Self.searchTokens(fresh)))
        #expect(tokens.contains("1 ti 0 alpha"))
        for gone in ["gamma", "epsilon", "delta", "zeta", "theta"] {
            #expect(try changed.search(gone, limit: 10).isEmpty, "\(gone)")
        }
        #expect(try changed.search("alpha", limit: 10).map(\.pmid) == [1])
    }

    /// Each block's row count and how many rows refer to it, for every block and every block a row names.
    static func blockReferences(_ store: SQLiteRecordStore) throws -> [(live: Int?, rows: Int)] {
        try DatabaseQueue(path: store.path).read { db in
            try Row.fetchAll(db, sql: """
                SELECT b.live, (SELECT count(*) FROM article a WHERE a.block = b.id) AS rows FROM block b
                UNION ALL
                SELECT NULL, count(*) FROM article a WHERE NOT EXISTS (SELECT 1 FROM block b WHERE b.id = a.block) GROUP BY a.block
                """).map { ($0["live"], $0["rows"]) }
        }
    }

    /// Each file's XML stream: its row count, how many rows refer to it, and its chunks.
    static func streamReferences(_ store: SQLiteRecordStore) throws -> [String: (live: Int, rows: Int, chunks: Int)] {
        try DatabaseQueue(path: store.path).read { db in
            var result: [String: (live: Int, rows: Int, chunks: Int)] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.file, s.live, (SELECT count(*) FROM article a WHERE a.xmlStream = s.id) AS rows,
                       (SELECT count(*) FROM xmlChunk c WHERE c.stream = s.id) AS chunks
                FROM xmlStream s
                """) {
                result[row["file"]] = (row["live"], row["rows"], row["chunks"])
            }
            let orphans = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM article a WHERE NOT EXISTS (SELECT 1 FROM xmlStream s WHERE s.id = a.xmlStream)
                """) ?? 0
            let strayChunks = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM xmlChunk c WHERE NOT EXISTS (SELECT 1 FROM xmlStream s WHERE s.id = c.stream)
                """) ?? 0
            #expect(orphans == 0 && strayChunks == 0)
            return result
        }
    }

    /// An index built by a binary that folds non-ASCII letters otherwise (a Swift or Foundation
    /// upgrade) is not written to: the codes this one would hand FTS5 to remove a record's could
    /// differ from those indexed. The fingerprint is kept from the first file on.
    @Test func anIndexWhoseCodesWereFoldedOtherwiseIsNotWrittenTo() throws {
        let store = try Self.store()
        try Self.apply(store, "f1", [Self.rec(1)])
        let kept = try store.database.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'codeFolding'") }
        #expect(kept == SearchCode.foldingFingerprint)
        try Self.apply(store, "f2", [Self.rec(2)])
        try store.database.write { db in try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'codeFolding'") }
        do {
            try Self.apply(store, "f3", [Self.rec(1, 2)])
            Issue.record("written with codes folded otherwise")
        } catch let error as IndexError {
            #expect(error.code == .foldingChanged)
            #expect(error.advice == [.rebuildIndex])
            #expect(error.description.contains("folds accented and other non-ASCII letters otherwise"), "\(error.description)")
        }
        #expect(try store.appliedFiles().map(\.name) == ["f1", "f2"])
        #expect(try store.record(pmid: 1, version: nil)?.versions == [1], "nothing of f3 applied")
        #expect(try store.search("a title", limit: 10).count == 2, "searches still work")
    }

    /// A read stopped by `interrupt` is `.interrupted` whatever SQLite makes of it: an interrupt
    /// that lands while FTS5 opens its table fails as "vtable constructor failed" (SQLITE_ERROR),
    /// which a server's time limit answered as a damaged index. Here the interrupt comes with an
    /// error of that kind; a read after it fails as itself again.
    @Test func aReadInterruptedIsInterruptedWhateverSQLiteSays() throws {
        let store = try Self.store()
        do {
            _ = try store.read { db in
                store.interrupt()
                try db.execute(sql: "SELECT * FROM noSuchTable")
            }
            Issue.record("the read did not fail")
        } catch {
            #expect(error.code == .queryInterrupted, "\(error)")
        }
        do {
            _ = try store.read { db in try db.execute(sql: "SELECT * FROM noSuchTable") }
        } catch {
            #expect(error.code != .queryInterrupted, "\(error)")
        }
    }

    @Test func aFilesXMLIsKeptWhileARowUsesItAndDeletedAfter() throws {
        let store = try Self.store()
        try Self.apply(store, "f1", [Self.rec(1), Self.rec(2)])
        try Self.apply(store, "f2", [Self.rec(1, 1, title: "New"), Self.rec(3)])
        var streams = try Self.streamReferences(store)
        #expect(streams.keys.sorted() == ["f1", "f2"])
        #expect(streams["f1"].map { [$0.live, $0.rows] } == [1, 1])
        #expect(streams["f2"].map { [$0.live, $0.rows] } == [2, 2])
        #expect(streams.values.allSatisfy { $0.chunks == 1 })
        // The last row using f1's XML goes: so does f1's stream. A file of deletions keeps none.
        try Self.apply(store, "f3", [.deletion(pmid: 2, version: 1)])
        streams = try Self.streamReferences(store)
        #expect(streams.keys.sorted() == ["f2"])
        #expect(try store.record(pmid: 1, version: nil)?.xml == Self.xml(1, 1))
        #expect(try store.record(pmid: 3, version: nil)?.xml == Self.xml(3, 1))
    }

    @Test func theXMLOfARealFileComesFromItsOwnGzipStream() throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        let store = try Self.store()
        let applied = try store.apply(FileIdentity(name: url.lastPathComponent, folder: "baseline", cycle: 20, number: 1015, md5: "x"),
                                      contentsOf: url)
        #expect(applied.records == 756)
        var checked = 0
        _ = try ArticleFile.read(url) { item in
            guard case .record(let record, let xml) = item else { return }
            let stored = try #require(try store.record(pmid: record.pmid, version: record.version))
            #expect(stored.xml == xml, "PMID \(record.pmid)")
            checked += 1
        }
        #expect(checked == 756)
        // The stream is NCBI's own: the chunks hold about the file's compressed size, not more.
        let stored = try DatabaseQueue(path: store.path).read { db in
            try Int.fetchOne(db, sql: "SELECT sum(length(data)) FROM xmlChunk") ?? 0
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(stored < size + size / 50 && stored > size - size / 50)
    }

    @Test func aBlockIsKeptWhileARowUsesItAndDeletedAfter() throws {
        let store = try Self.store()
        let capacity = RecordBlock.capacity
        try Self.apply(store, "f1", (1...capacity + 2).map { Self.rec($0) })
        #expect(try Self.blockReferences(store).map(\.rows) == [capacity, 2])
        // A later copy of every record of the first block, and the same version twice in one file.
        try Self.apply(store, "f2", (1...capacity).map { Self.rec($0, 1, title: "New") } + [Self.rec(1, 1, title: "Newer")])
        #expect(try Self.blockReferences(store).map(\.rows) == [2, capacity - 1, 1])
        try Self.apply(store, "f3", [.deletion(pmid: capacity + 1, version: 1), .deletion(pmid: capacity + 2, version: 1)])
        let references = try Self.blockReferences(store)
        #expect(references.map(\.rows) == [capacity - 1, 1])
        #expect(references.allSatisfy { $0.live == $0.rows })
        #expect(try store.record(pmid: 1, version: nil)?.record.title == "Newer")
        #expect(try store.record(pmid: 2, version: nil)?.record.title == "New")
    }

    /// A block whose every row goes is deleted, and its id is never given to another block: the
    /// writer keeps the last block it read, so a reused id would hand it the old block's bytes.
    @Test func aDeletedBlocksIdIsNotReused() throws {
        let capacity = RecordBlock.capacity
        let first = (1...capacity).map { Self.rec($0, 1, title: "Old \($0)") }
        let gone = (1...capacity).map { ArticleFileItem.deletion(pmid: $0, version: 1) }
        let next = (101...100 + capacity).map { Self.rec($0, 1, title: "Middle \($0)") }
        let again = (101...100 + capacity).map { Self.rec($0, 1, title: "Final \($0)") }
        let changed = try Self.store()
        try Self.apply(changed, "f1", first + gone + next + again)
        let fresh = try Self.store()
        try Self.apply(fresh, "f1", again)
        #expect(try Self.searchTokens(changed) == (try Self.searchTokens(fresh)))
        #expect(try changed.search("middle OR old", limit: 10).isEmpty)
    }

    /// An index as an earlier release wrote it, reduced to what identifies it: version 1 kept two
    /// blobs a row, version 2 one.
    static func makeEarlierFormatIndex(at path: String, version: Int = 1) throws {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let migration = version == 1 ? "v1: articles, search, files, deletions" : "v2: articles (one blob), contentless search, files, deletions"
        let columns = version == 1 ? "record BLOB, xml BLOB" : "record BLOB"
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('\(migration)');
                CREATE TABLE article (id INTEGER PRIMARY KEY, \(columns));
                """)
        }
    }

    @Test(arguments: [1, 2]) func anIndexInAnEarlierFormatIsRefusedWithTheWayOut(version: Int) throws {
        let path = try TestPaths.temporaryDirectory("store-v\(version)").appendingPathComponent("index.sqlite").path
        try Self.makeEarlierFormatIndex(at: path, version: version)
        for readOnly in [false, true] {
            let error = try #require(throws: IndexError.self) { _ = try SQLiteRecordStore(path: path, readOnly: readOnly) }
            #expect(error.description.contains(path) && error.advice == [.rebuildIndex], "\(error)")
        }
    }
}
