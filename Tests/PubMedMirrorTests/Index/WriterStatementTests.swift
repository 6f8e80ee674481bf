import Foundation
import GRDB
import Testing
@testable import PubMedIndex

/// The index writer's statements, bound and stepped through SQLite's C API: every kind of value
/// lands as itself (an empty string is text and an empty blob a blob, never NULL), rows read back,
/// and a failure is GRDB's error with the statement's SQL.
@Suite struct WriterStatementTests {
    static func database() throws -> DatabaseQueue {
        let database = try DatabaseQueue()
        try database.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT, b BLOB, u INTEGER UNIQUE)") }
        return database
    }

    @Test func valuesLandAsThemselves() throws {
        let database = try Self.database()
        try database.write { db in
            let insert = try WriterStatement(db, "INSERT INTO t (n, s, b, u) VALUES (?, ?, ?, ?)")
            try insert.run(.int(Int64.max), .text("café ✓"), .blob(Data([0, 1, 2])), .null)
            try insert.run(.int(nil), .text(""), .blob(Data()), .int(7))
            try insert.run(.bool(true), .text(nil), .blob(Data([0xFF])), .int(8))
        }
        let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT n, typeof(n), s, typeof(s), b, typeof(b) FROM t ORDER BY id") }
        #expect(rows[0][0] as Int64 == Int64.max && rows[0][2] as String == "café ✓" && rows[0][4] as Data == Data([0, 1, 2]))
        #expect(rows[1][1] as String == "null" && rows[1][3] as String == "text" && rows[1][5] as String == "blob")
        #expect(rows[1][2] as String == "" && (rows[1][4] as Data).isEmpty)
        #expect(rows[2][0] as Int == 1 && rows[2][3] as String == "null")
    }

    @Test func queriesHandEachRowToTheBody() throws {
        let database = try Self.database()
        let found: [(Int64, Bool, [UInt8])] = try database.write { db in
            try db.execute(sql: "INSERT INTO t (n, b) VALUES (1, x'0A0B'), (2, NULL), (3, x'')")
            let query = try WriterStatement(db, "SELECT n, b FROM t WHERE n >= ? ORDER BY n")
            var rows: [(Int64, Bool, [UInt8])] = []
            try query.query(.int(2)) { row in rows.append((row.int(0), row.isNull(1), Array(row.blob(1)))) }
            // The statement is reset after each query and can run again at once.
            try query.query(.int(1)) { row in rows.append((row.int(0), row.isNull(1), Array(row.blob(1)))) }
            return rows
        }
        #expect(found.map(\.0) == [2, 3, 1, 2, 3])
        #expect(found[0].1 && !found[1].1)
        #expect(found[2].2 == [0x0A, 0x0B])
    }

    @Test func aFailureIsGRDBsErrorWithTheSQL() throws {
        let database = try Self.database()
        try database.write { db in
            let insert = try WriterStatement(db, "INSERT INTO t (u) VALUES (?)")
            try insert.run(.int(1))
            let error = try #require(throws: DatabaseError.self) { try insert.run(.int(1)) }
            #expect(error.resultCode == .SQLITE_CONSTRAINT)
            #expect(error.sql == "INSERT INTO t (u) VALUES (?)")
            #expect(error.message?.contains("UNIQUE") == true)
            try insert.run(.int(2))  // usable again after the failure
        }
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 2)
    }
}
