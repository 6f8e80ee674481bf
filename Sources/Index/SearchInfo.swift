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
/// FTS5, exactly but slower), 0xFFFF a length of 65,535 or more. Indexes from before the migration
/// `compactMigration` kept the year beside it (4 bytes an entry, the year read by nobody since the
/// date codes): the function reads those rows too, and the migration rewrites them.
enum SearchInfo {
    static let rowsPerChunk = Int(CSEARCHRANK_CHUNK_ROWS)
    static let entryBytes = Int(CSEARCHRANK_ENTRY_BYTES)
    static let earlierEntryBytes = Int(CSEARCHRANK_EARLIER_ENTRY_BYTES)
    /// The bytes of a `searchInfo.data`.
    static var chunkBytes: Int { rowsPerChunk * entryBytes }

    /// Makes `pubmed_rank` available on the connection.
    static func register(_ db: Database) throws {
        let status = csearchrank_register(db.sqliteConnection)
        guard status == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: status), message: "the search function could not be registered")
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
            var bytes = try Data.fetchOne(read, arguments: [chunk]).flatMap { Self.lengths(of: [UInt8]($0)) }
                ?? [UInt8](repeating: 0, count: chunkBytes)
            for (rowid, length) in rows {
                let at = Int(rowid % Int64(rowsPerChunk)) * entryBytes
                let entry = Self.entry(length: length)
                bytes[at] = UInt8(entry & 0xFF)
                bytes[at + 1] = UInt8(entry >> 8)
            }
            try write.execute(arguments: [chunk, Data(bytes)])
        }
    }

    /// A row's entries in this layout: the row itself, or the lengths of a row of the earlier one
    /// (which an older binary may still write into a migrated index); nil for any other size.
    static func lengths(of data: [UInt8]) -> [UInt8]? {
        if data.count == chunkBytes { return data }
        guard data.count == rowsPerChunk * earlierEntryBytes else { return nil }
        var lengths = [UInt8](repeating: 0, count: chunkBytes)
        for entry in 0..<rowsPerChunk {
            lengths[entryBytes * entry] = data[earlierEntryBytes * entry]
            lengths[entryBytes * entry + 1] = data[earlierEntryBytes * entry + 1]
        }
        return lengths
    }

    /// Rewrites `searchInfo` into a new table of lengths alone, whose rows are written one after
    /// another: three to an 8 KB page where a row of the earlier layout had a page to itself. A row
    /// of another size is left out (its rows' lengths are then asked of FTS5, as for a row never
    /// recorded).
    static func compact(db: Database) throws {
        try db.execute(sql: "CREATE TABLE searchInfoCompact (chunk INTEGER PRIMARY KEY, data BLOB NOT NULL)")
        let insert = try db.makeStatement(sql: "INSERT INTO searchInfoCompact (chunk, data) VALUES (?, ?)")
        let rows = try Row.fetchCursor(db, sql: "SELECT chunk, data FROM searchInfo ORDER BY chunk")
        while let row = try rows.next() {
            guard let lengths = lengths(of: [UInt8](row["data"] as Data)) else { continue }
            try insert.execute(arguments: [row["chunk"] as Int64, Data(lengths)])
        }
        try db.execute(sql: "DROP TABLE searchInfo; ALTER TABLE searchInfoCompact RENAME TO searchInfo")
    }
}
