import Foundation
import GRDB
import PubMedGzip
import PubMedQuery
import PubMedRecords
import PubMedSupport

extension SQLiteRecordStore {

    public func search(_ request: SearchRequest, withJSON: Bool = true) throws(IndexError) -> SearchResult {
        let fts = try translate(request.query, mesh: request.mesh)
        let (hits, total) = try read { db in
            let columns = "a.pmid, a.version, a.year, a.title, a.journal, a.block, a.jsonStart, a.jsonLength"
            var arguments: StatementArguments = []
            let sql: String
            var counted: Int?
            if request.sort == .relevance && fts.ranks {
                // Rank first, on the search index alone (pubmed_rank is bm25 with the columns'
                // weights, over the phrases that are words, not codes; it reads each row's length
                // from searchInfo), and read the blocks of only the hits kept.
                let weights = SearchDocument.Column.allCases.map { String($0.weight) }.joined(separator: ", ")
                sql = """
                    SELECT \(columns), hit.rank
                    FROM (SELECT rowid AS id, pubmed_rank(articleSearch, ?, \(weights)) AS rank
                          FROM articleSearch WHERE articleSearch MATCH ? ORDER BY rank, rowid LIMIT ? OFFSET ?) hit
                    JOIN article a ON a.id = hit.id
                    ORDER BY hit.rank, hit.id
                    """
                arguments += [fts.scored, fts.match, request.limit, request.offset]
            } else if request.sort == .relevance || request.sort == .recent {
                // Nothing to rank (codes only: `neoplasms[mh] AND 2020[dp]`), or the index's own
                // order asked for: the most recently indexed first, read off the search index in its own order, so that only the page
                // kept is joined (sorting every hit by PMID joins them all: 39 ms against 14 for
                // 12,000 hits of 1.2 million).
                sql = """
                    SELECT \(columns), 0.0 AS rank
                    FROM (SELECT rowid AS id FROM articleSearch WHERE articleSearch MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?) hit
                    JOIN article a ON a.id = hit.id
                    ORDER BY hit.id DESC
                    """
                arguments += [fts.match, request.limit, request.offset]
            } else {
                let order = switch request.sort {
                case .relevance, .recent, .pmid: "a.pmid DESC"
                case .pubDate: "a.pubDate DESC, a.pmid DESC"
                case .firstAuthor: "a.firstAuthor COLLATE NOCASE, a.pmid DESC"
                case .journal: "a.journal COLLATE NOCASE, a.pmid DESC"
                }
                if let walked = try Self.orderedIndex(for: request, fts: fts, db: db) {
                    // Many hits: walk the current records in the order asked for and keep those
                    // that match, rather than read every hit's row to sort them (below).
                    counted = walked.hits
                    sql = """
                        SELECT \(columns), 0.0 AS rank
                        FROM article a INDEXED BY \(walked.index)
                        WHERE a.isCurrent = 1 AND +a.id IN (SELECT rowid FROM articleSearch WHERE articleSearch MATCH ?)
                        ORDER BY \(order) LIMIT ? OFFSET ?
                        """
                } else {
                    sql = """
                        SELECT \(columns), 0.0 AS rank
                        FROM (SELECT rowid AS id FROM articleSearch WHERE articleSearch MATCH ?) hit
                        JOIN article a ON a.id = hit.id
                        ORDER BY \(order) LIMIT ? OFFSET ?
                        """
                }
                arguments += [fts.match, request.limit, request.offset]
            }
            let reader = BlockReader()
            let hits = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                SearchHit(pmid: row["pmid"], version: row["version"], year: row["year"], title: row["title"],
                          journal: row["journal"], rank: row["rank"],
                          json: withJSON ? try self.json(row, db: db, reader: reader) : [])
            }
            return (hits, request.counting ? try counted ?? Self.count(fts, db: db) : nil)
        }
        return SearchResult(hits: hits, notes: fts.notes, total: total)
    }

    /// The index of current records that gives `request`'s order, when walking it is cheaper than
    /// sorting the hits, with the number of hits it was chosen by.
    ///
    /// Sorting reads every hit's row: about 1.5–2.5 µs a hit on 1.2 million records (the `humans`
    /// heading's 705,920 hits by date took 1.8 s, a whole command). Walking the index reads its
    /// entries in order until the page is full, each tested against the hits (gathered first, about
    /// 0.15 µs a hit): about 20 ns an entry, so the page of `limit` after `offset` costs about
    /// (offset + limit) × records / hits entries when the hits are spread through the order, and a
    /// walk of the whole index (25 ms on 1.2 million records) at worst. The hits are counted
    /// first to choose (the walk wins from about 600 hits of 1.2 million for a page of 20).
    static func orderedIndex(for request: SearchRequest, fts: FTSQuery, db: Database) throws -> (index: String, hits: Int)? {
        let index: String
        switch request.sort {
        case .pmid: index = "articleCurrentPmid"
        case .pubDate:
            guard try db.indexes(on: "article").contains(where: { $0.name == "articleCurrentDate" }) else { return nil }
            index = "articleCurrentDate"
        case .relevance, .recent, .firstAuthor, .journal: return nil
        }
        let hits = try count(fts, db: db)
        let records = try Int.fetchOne(db, sql: "SELECT max(id) FROM article") ?? 0
        let page = Double(request.offset) + Double(request.limit)
        guard hits > 0, Double(hits) * Double(hits) * 50 > page * Double(records) else { return nil }
        return (index, hits)
    }

    public func count(_ query: PubMedQuery, mesh: (any MeshVocabulary)?) throws(IndexError) -> Int {
        let fts = try translate(query, mesh: mesh)
        return try read { db in try Self.count(fts, db: db) }
    }

    private static func count(_ fts: FTSQuery, db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM articleSearch WHERE articleSearch MATCH ?", arguments: [fts.match]) ?? 0
    }

    /// The query as FTS5 reads it.
    func translate(_ query: PubMedQuery, mesh: (any MeshVocabulary)?) throws(IndexError) -> FTSQuery {
        do {
            return try FTSQuery(query, mesh: mesh)
        } catch let error as QueryError {
            throw .query(error)
        } catch {
            throw .database(DatabaseFailure(path: path, role: "MeSH thesaurus", error: error))
        }
    }

    public func record(pmid: Int, version: Int?, withXML: Bool = true) throws(IndexError) -> StoredRecord? {
        try read { db in try record(pmid: pmid, version: version, withXML: withXML, db: db, readers: (BlockReader(), ChunkReader())) }
    }

    /// The current records of `pmids`, in that order (nil for a PMID not in the index), in one
    /// snapshot, with one pair of readers: records of one block or one XML chunk (a batch of PMIDs
    /// from one file, as a search gives them) inflate it once, not once each.
    public func records(_ pmids: [Int], withXML: Bool) throws(IndexError) -> [StoredRecord?] {
        try read { db in
            let readers = (BlockReader(), ChunkReader())
            return try pmids.map { pmid in try record(pmid: pmid, version: nil, withXML: withXML, db: db, readers: readers) }
        }
    }

    private func record(pmid: Int, version: Int?, withXML: Bool, db: Database, readers: (BlockReader, ChunkReader)) throws -> StoredRecord? {
        let versions = try Int.fetchAll(db.cachedStatement(sql: "SELECT version FROM article WHERE pmid = ? ORDER BY version"), arguments: [pmid])
        let columns = "pmid, version, isCurrent, block, jsonStart, jsonLength, xmlStream, xmlStart, xmlLength"
        let row: Row?
        if let version {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM article WHERE pmid = ? AND version = ?"), arguments: [pmid, version])
        } else {
            row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM article WHERE pmid = ? AND isCurrent = 1"), arguments: [pmid])
        }
        guard let row else { return nil }
        let (reader, chunks) = readers
        let json = try self.json(row, db: db, reader: reader)
        let stream: Int64 = row["xmlStream"], start: Int = row["xmlStart"], length: Int = row["xmlLength"]
        // The stream id names one stream within this snapshot (the chunk reader keeps its last chunk).
        let xml = withXML ? try chunks.bytes(start..<start + length, stream: stream) { offset in
            try Self.chunk(of: stream, holding: offset, db: db, reader: reader)
        } : []
        guard let xml else { throw damaged(row) }
        return StoredRecord(json: json, xml: xml, isCurrent: row["isCurrent"], versions: versions)
    }

    public func export(since: Int64?, _ body: (ExportItem) throws -> Void) throws -> Int64 {
        // An export reads the whole file once, in order, where mapping it gains nothing, and every
        // page mapped would count in the process's resident memory (1.35 GB for 1.2 M records).
        do {
            try database.inDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 0") }
        } catch {
            throw IndexError.database(failure(error))
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
            throw IndexError.database(failure(error))
        }
    }

    private func export(since: Int64?, db: Database, _ body: (ExportItem) throws -> Void) throws -> Int64 {
        let mark = try Self.highWaterMark(db)
        if let since { try Self.checkSince(since, mark: mark, replacedMark: Self.replacedMark(db)) }
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
                    try body(.record(json: self.json(row, db: db, reader: reader),
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
                try body(.record(json: self.json(row, db: db, reader: reader),
                                 pmid: row["pmid"], version: row["version"]))
            }
        }
        return mark
    }
}
