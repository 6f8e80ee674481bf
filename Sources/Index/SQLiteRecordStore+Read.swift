import Foundation
import GRDB
import PubMedGzip
import PubMedRecords
import PubMedSupport

extension SQLiteRecordStore {

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
                          json: withJSON ? try self.json(row, db: db, reader: reader) : [])
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
            let json = try self.json(row, db: db, reader: reader)
            let stream: Int64 = row["xmlStream"], start: Int = row["xmlStart"], length: Int = row["xmlLength"]
            let xml = withXML ? try ChunkReader().bytes(start..<start + length) { offset in
                try Self.chunk(of: stream, holding: offset, db: db, reader: reader)
            } : []
            guard let xml else { throw damaged(row) }
            return StoredRecord(json: json, xml: xml, isCurrent: row["isCurrent"], versions: versions)
        }
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
