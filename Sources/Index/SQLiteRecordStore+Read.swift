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
            let (rows, counted) = try Self.page(request, fts: fts, db: db)
            let reader = BlockReader()
            let hits = try rows.map { row in
                SearchHit(pmid: row["pmid"], version: row["version"], year: row["year"], title: row["title"],
                          journal: row["journal"], rank: row["rank"],
                          json: withJSON ? try self.json(row, db: db, reader: reader) : [])
            }
            return (hits, request.counting ? try counted ?? Self.count(fts, db: db) : nil)
        }
        return SearchResult(hits: hits, notes: fts.notes, total: total)
    }

    /// What a page of hits reads from `article`.
    static let hitColumns = "a.pmid, a.version, a.year, a.title, a.journal, a.block, a.jsonStart, a.jsonLength"

    /// The rows of the page `request` asks for, in its order, and the number of hits when it was
    /// counted on the way.
    static func page(_ request: SearchRequest, fts: FTSQuery, db: Database) throws -> (rows: [Row], counted: Int?) {
        if request.sort == .relevance && fts.ranks {
            // Rank first, on the search index alone (pubmed_rank is bm25 with the columns'
            // weights, over the phrases that are words, not codes; it reads each row's length
            // from searchInfo), and read the blocks of only the hits kept.
            let weights = SearchDocument.Column.allCases.map { String($0.weight) }.joined(separator: ", ")
            return (try Row.fetchAll(db, sql: """
                SELECT \(hitColumns), hit.rank
                FROM (SELECT rowid AS id, pubmed_rank(articleSearch, ?, \(weights)) AS rank
                      FROM articleSearch WHERE articleSearch MATCH ? ORDER BY rank, rowid LIMIT ? OFFSET ?) hit
                JOIN article a ON a.id = hit.id
                ORDER BY hit.rank, hit.id
                """, arguments: [fts.scored, fts.match, request.limit, request.offset]), nil)
        }
        if request.sort == .relevance || request.sort == .recent {
            // Nothing to rank (codes only: `neoplasms[mh] AND 2020[dp]`), or the index's own
            // order asked for: the most recently indexed first, read off the search index in its
            // own order, so that only the page kept is joined (sorting every hit by PMID joins
            // them all: 39 ms against 14 for 12,000 hits of 1.2 million).
            return (try Row.fetchAll(db, sql: """
                SELECT \(hitColumns), 0.0 AS rank
                FROM (SELECT rowid AS id FROM articleSearch WHERE articleSearch MATCH ? ORDER BY rowid DESC LIMIT ? OFFSET ?) hit
                JOIN article a ON a.id = hit.id
                ORDER BY hit.id DESC
                """, arguments: [fts.match, request.limit, request.offset]), nil)
        }
        if let walk = try orderedWalk(for: request, fts: fts, db: db) {
            // Many hits: the current records walked in the order asked for, those that match
            // kept, rather than every hit's row read to sort them; sorted after all when the
            // walk's bound came before a full page (hits bunched at the far end of the order).
            if let rows = try walked(walk, request: request, fts: fts, db: db) { return (rows, walk.hits) }
            return (try sorted(request, fts: fts, db: db), walk.hits)
        }
        return (try sorted(request, fts: fts, db: db), nil)
    }

    /// A sort's order as SQL over `article a`.
    static func order(_ sort: SearchSort) -> String {
        switch sort {
        case .relevance, .recent, .pmid: "a.pmid DESC"
        case .pubDate: "a.pubDate DESC, a.pmid DESC"
        case .firstAuthor: "a.firstAuthor COLLATE NOCASE, a.pmid DESC"
        case .journal: "a.journal COLLATE NOCASE, a.pmid DESC"
        }
    }

    /// An index of the current records in a sort's order, newest first, and its first key as
    /// SQL over `article a`. Both break ties by PMID, highest first.
    struct OrderIndex: Equatable {
        var name: String
        var key: String

        static let pmid = OrderIndex(name: "articleCurrentPmid", key: "a.pmid")
        static let pubDate = OrderIndex(name: "articleCurrentDate", key: "a.pubDate")

        /// The entries up to and including the one with first key `?1` and PMID `?2`, in the
        /// walk's order, as a condition: one range of the index (which SQLite reads as one, and
        /// leaves at its end), exact to the entry even when many share its date (a year-only one).
        var upToEdge: String { self == .pmid ? "a.pmid >= ?2" : "(\(key), a.pmid) >= (?1, ?2)" }

        /// The index that serves `sort`, if any (first author and journal have none; see the
        /// schema).
        static func serving(_ sort: SearchSort) -> OrderIndex? {
            switch sort {
            case .pmid: .pmid
            case .pubDate: .pubDate
            case .relevance, .recent, .firstAuthor, .journal: nil
            }
        }
    }

    /// The page, every hit's row read and sorted.
    static func sorted(_ request: SearchRequest, fts: FTSQuery, db: Database) throws -> [Row] {
        try Row.fetchAll(db, sql: """
            SELECT \(hitColumns), 0.0 AS rank
            FROM (SELECT rowid AS id FROM articleSearch WHERE articleSearch MATCH ?) hit
            JOIN article a ON a.id = hit.id
            ORDER BY \(order(request.sort)) LIMIT ? OFFSET ?
            """, arguments: [fts.match, request.limit, request.offset])
    }

    /// A walk of an index of current records in a sort's order: the index, the hits counted to
    /// choose it, and the most entries it reads.
    struct OrderedWalk {
        var index: OrderIndex
        var hits: Int
        var bound: Int
    }

    /// The walk for `request`'s order when it is expected to cost less than sorting the hits.
    ///
    /// Sorting reads every hit's row: about 1.5–2.5 µs a hit on 1.2 million records (the `humans`
    /// heading's 705,920 hits by date took 1.8 s, a whole command). The walk reads the index's
    /// entries in order, each tested against the hits (gathered first, about 0.15 µs a hit; a test
    /// costs about as much), until the page is full: about (offset + limit) × records / hits
    /// entries when the hits are spread through the order. It is chosen when that is at most
    /// 2.5 entries a hit (from about 3,000 hits of 1.2 million for a page of 20), and it stops at
    /// four times that: hits bunched at the far end of the order (old dates, newest first) would
    /// have it read most of the index, so they are sorted after all, for little more than the sort.
    static func orderedWalk(for request: SearchRequest, fts: FTSQuery, db: Database) throws -> OrderedWalk? {
        guard let index = OrderIndex.serving(request.sort) else { return nil }
        // Asked of the schema itself (an index made before the date index is read without it
        // until a writer adds it): GRDB's cache of the schema would not see the index that a
        // writer adds while a server reads.
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", arguments: [index.name]) == true else {
            return nil
        }
        // Hits limited to a range of dates are bunched in either order (PMIDs are given in the
        // order records are entered): walking from the newest would mostly pass others, and cost
        // the query's evaluation twice more before the sort after all.
        guard !request.query.root.terms.contains(where: { $0.field.kind == .date }) else { return nil }
        let hits = try count(fts, db: db)
        guard hits > 0 else { return nil }
        let records = Double(try Int.fetchOne(db, sql: "SELECT max(id) FROM article") ?? 0)
        let expected = (Double(request.offset) + Double(request.limit)) * records / Double(hits)
        guard expected <= 2.5 * Double(hits) else { return nil }
        return OrderedWalk(index: index, hits: hits, bound: Int(max(1_000, min(4 * expected, records + 1))))
    }

    /// The page by `walk`, or nil when the walk reached its bound before the page was full.
    ///
    /// The bound is the entry `bound` entries in (the index alone read to it, about 20 ns an
    /// entry), given to the walk as a range of the index (`OrderIndex.upToEdge`), so that SQLite
    /// still reads it in order and stops as soon as the page is full.
    static func walked(_ walk: OrderedWalk, request: SearchRequest, fts: FTSQuery, db: Database) throws -> [Row]? {
        let order = order(request.sort)
        let edge = try Row.fetchOne(db, sql: """
            SELECT \(walk.index.key), a.pmid FROM article a INDEXED BY \(walk.index.name)
            WHERE a.isCurrent = 1 ORDER BY \(order) LIMIT 1 OFFSET ?
            """, arguments: [walk.bound - 1])
        // No entry there (the index is shorter), or one without a date (those come last): the
        // walk may go to the end.
        var bounded = ""
        var arguments: [DatabaseValueConvertible?] = [nil, nil]
        if let edge, !edge.hasNull(atIndex: 0) {
            bounded = "AND " + walk.index.upToEdge
            arguments = [edge[0] as DatabaseValue, edge[1] as DatabaseValue]
        }
        let rows = try Row.fetchAll(db, sql: """
            SELECT \(hitColumns), 0.0 AS rank
            FROM article a INDEXED BY \(walk.index.name)
            WHERE a.isCurrent = 1 \(bounded) AND +a.id IN (SELECT rowid FROM articleSearch WHERE articleSearch MATCH ?3)
            ORDER BY \(order) LIMIT ?4 OFFSET ?5
            """, arguments: StatementArguments(arguments + [fts.match, request.limit, request.offset]))
        // A page short of `limit` is the end of the hits only when the walk could see them all.
        if rows.count < request.limit && !bounded.isEmpty { return nil }
        return rows
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
