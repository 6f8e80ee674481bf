internal import CSearchRank
import Foundation
import GRDB

/// What search needs of each full-text row besides the index itself, kept 1024 rows to a
/// `searchInfo` row so that a query reads it once for all its matches among those rows: the row's
/// length in tokens (for bm25) and its publication year (for `year:` ranges). Read by the FTS5
/// functions `pubmed_rank` and `pubmed_year` (the CSearchRank module); written by the index writer.
///
/// Layout of `searchInfo.data`: 1024 entries of 4 bytes, entry `rowid % 1024` for the row, each
/// the token count then the year as 16-bit little-endian integers; 0 means "not recorded" (the
/// functions then ask FTS5 and the article table, exactly but slower), 0xFFFF a length of 65,535 or
/// more, or no year.
enum SearchInfo {
    static let rowsPerChunk = Int(CSEARCHRANK_CHUNK_ROWS)

    /// Makes `pubmed_rank` and `pubmed_year` available on the connection.
    static func register(_ db: Database) throws {
        let status = csearchrank_register(db.sqliteConnection)
        guard status == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: status), message: "the search functions could not be registered")
        }
    }

    /// One row's entry.
    struct Entry {
        var length: Int
        var year: Int?

        var bytes: (UInt16, UInt16) {
            let length = self.length >= Int(CSEARCHRANK_LENGTH_UNKNOWN) ? UInt16(CSEARCHRANK_LENGTH_UNKNOWN) : UInt16(self.length)
            let year = self.year.flatMap { $0 > 0 && $0 < Int(CSEARCHRANK_NO_YEAR) ? UInt16($0) : nil } ?? UInt16(CSEARCHRANK_NO_YEAR)
            return (length, year)
        }
    }

    /// The total token count of a row, from its `%_docsize` record: one varint a column, in
    /// SQLite's format (big-endian groups of 7 bits, the high bit set on every byte but the last;
    /// a ninth byte gives 8 bits). https://www.sqlite.org/fileformat.html#varint
    static func length(docsize: UnsafeRawBufferPointer) -> Int {
        var total = 0, value = 0, bytes = 0
        for byte in docsize {
            bytes += 1
            if bytes == 9 {
                value = value << 8 | Int(byte)
            } else {
                value = value << 7 | Int(byte & 0x7F)
                if byte & 0x80 != 0 { continue }
            }
            total += value
            value = 0
            bytes = 0
        }
        return total
    }

    /// Writes `entries` (by rowid) into their `searchInfo` rows, keeping the other rows' entries.
    static func write(_ entries: [Int64: Entry], db: Database) throws {
        let chunks = Dictionary(grouping: entries, by: { $0.key / Int64(rowsPerChunk) })
        let read = try db.cachedStatement(sql: "SELECT data FROM searchInfo WHERE chunk = ?")
        let write = try db.cachedStatement(sql: "INSERT OR REPLACE INTO searchInfo (chunk, data) VALUES (?, ?)")
        for (chunk, rows) in chunks {
            var bytes = try Data.fetchOne(read, arguments: [chunk]).map { [UInt8]($0) } ?? []
            if bytes.count != rowsPerChunk * 4 { bytes = [UInt8](repeating: 0, count: rowsPerChunk * 4) }
            for (rowid, entry) in rows {
                let at = Int(rowid % Int64(rowsPerChunk)) * 4
                let (length, year) = entry.bytes
                bytes[at] = UInt8(length & 0xFF)
                bytes[at + 1] = UInt8(length >> 8)
                bytes[at + 2] = UInt8(year & 0xFF)
                bytes[at + 3] = UInt8(year >> 8)
            }
            try write.execute(arguments: [chunk, Data(bytes)])
        }
    }
}
