internal import CSearchRank
import Foundation
import GRDB

/// What search needs of each full-text row besides the index itself, kept 1024 rows to a
/// `searchInfo` row so that a query reads it once for all its matches among those rows: the row's
/// length in tokens, for bm25. Read by the FTS5 function `pubmed_rank` (the CSearchRank module);
/// written by the index writer.
///
/// Layout of `searchInfo.data`: 1024 entries of 2 bytes, entry `rowid % 1024` for the row, the
/// token count as a 16-bit little-endian integer; 0 means "not recorded" (the function then asks
/// FTS5, exactly but slower), 0xFFFF a length of 65,535 or more. Indexes made before 2026-12-07
/// kept the year beside it (4 bytes an entry, the year read by nobody since the date codes): the
/// function reads those rows too, and the migration `compactMigration` rewrites them.
enum SearchInfo {
    static let rowsPerChunk = Int(CSEARCHRANK_CHUNK_ROWS)
    static let entryBytes = Int(CSEARCHRANK_ENTRY_BYTES)
    /// The bytes of a `searchInfo.data`.
    static var chunkBytes: Int { rowsPerChunk * entryBytes }

    /// Makes `pubmed_rank` available on the connection.
    static func register(_ db: Database) throws {
        let status = csearchrank_register(db.sqliteConnection)
        guard status == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: status), message: "the search functions could not be registered")
        }
    }

    /// A row's entry: its length, or the mark of a length too large to keep.
    static func entry(length: Int) -> UInt16 {
        length >= Int(CSEARCHRANK_LENGTH_UNKNOWN) ? UInt16(CSEARCHRANK_LENGTH_UNKNOWN) : UInt16(length)
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

    /// Writes the rows' lengths (by rowid) into their `searchInfo` rows, keeping the other rows' entries.
    static func write(_ lengths: [Int64: Int], db: Database) throws {
        let chunks = Dictionary(grouping: lengths, by: { $0.key / Int64(rowsPerChunk) })
        let read = try db.cachedStatement(sql: "SELECT data FROM searchInfo WHERE chunk = ?")
        let write = try db.cachedStatement(sql: "INSERT OR REPLACE INTO searchInfo (chunk, data) VALUES (?, ?)")
        for (chunk, rows) in chunks {
            var bytes = try Data.fetchOne(read, arguments: [chunk]).map { [UInt8]($0) } ?? []
            if bytes.count != chunkBytes { bytes = [UInt8](repeating: 0, count: chunkBytes) }
            for (rowid, length) in rows {
                let at = Int(rowid % Int64(rowsPerChunk)) * entryBytes
                let entry = Self.entry(length: length)
                bytes[at] = UInt8(entry & 0xFF)
                bytes[at + 1] = UInt8(entry >> 8)
            }
            try write.execute(arguments: [chunk, Data(bytes)])
        }
    }

    /// Rewrites a `searchInfo` of the earlier layout (4 bytes an entry: the length, then a year
    /// nothing reads) into a new table of 2-byte entries, so that its rows fill fresh pages side by
    /// side: a third as many pages for a query to read. A row of neither size is left out (its rows'
    /// lengths are then asked of FTS5, as for a row never recorded).
    static func compact(db: Database) throws {
        try db.execute(sql: "CREATE TABLE searchInfoCompact (chunk INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        let insert = try db.makeStatement(sql: "INSERT INTO searchInfoCompact (chunk, data) VALUES (?, ?)")
        let rows = try Row.fetchCursor(db, sql: "SELECT chunk, data FROM searchInfo ORDER BY chunk")
        while let row = try rows.next() {
            let old = [UInt8](row["data"] as Data)
            var data: [UInt8]
            if old.count == chunkBytes {
                data = old
            } else if old.count == rowsPerChunk * 4 {
                data = [UInt8](repeating: 0, count: chunkBytes)
                for entry in 0..<rowsPerChunk {
                    data[2 * entry] = old[4 * entry]
                    data[2 * entry + 1] = old[4 * entry + 1]
                }
            } else {
                continue
            }
            try insert.execute(arguments: [row["chunk"] as Int64, Data(data)])
        }
        try db.execute(sql: "DROP TABLE searchInfo; ALTER TABLE searchInfoCompact RENAME TO searchInfo")
    }
}
