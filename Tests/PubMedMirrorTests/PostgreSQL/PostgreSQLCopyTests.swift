import Foundation
import Testing
@testable import PubMedPostgreSQL
@testable import PubMedSupport

/// `PGConnection.copyIn` with data handed over piece by piece as it is made (the writer's
/// `article` rows): pieces that cut rows and fields anywhere arrive as the rows, a row the server
/// refuses is told by the server, and data that cannot be made ends the COPY as failed, keeping
/// none of it, on a connection that goes on.
@Suite(.heavyweight) struct PostgreSQLCopyTests {
    static func rows(_ count: Int) -> (copy: CopyBinary, texts: [String]) {
        var copy = CopyBinary()
        copy.append(CopyBinary.header[...])
        var texts: [String] = []
        for number in 0..<count {
            let text = String(repeating: "é\(number)\t", count: number % 40)
            texts.append(text)
            copy.row(fields: 2)
            copy.int32(number)
            copy.text(text)
        }
        copy.append(CopyBinary.trailer[...])
        return (copy, texts)
    }

    @Test func piecesThatCutRowsAnywhereArriveAsTheRows() async throws {
        let connection = try await PostgreSQLServer.connectionToNewDatabase()
        try connection.execute("CREATE TABLE t (i integer, s text)")
        let (copy, texts) = Self.rows(2000)
        // Pieces of 1, 7, 300 and 4,096 bytes in turn, and an empty one, which sends nothing.
        let sizes = [1, 7, 0, 300, 4096]
        var pieces = 0
        try connection.copyIn("COPY t FROM STDIN (FORMAT binary)") { (send: PGConnection.CopySender) throws(ServerDatabaseFailure) in
            var offset = 0
            while offset < copy.bytes.count {
                let end = min(offset + sizes[pieces % sizes.count], copy.bytes.count)
                try send(copy.bytes[offset..<end])
                offset = end
                pieces += 1
            }
        }
        #expect(pieces > 100)
        let result = try connection.execute("SELECT count(*), string_agg(s, '|' ORDER BY i) FROM t")
        #expect(result.int(0, 0) == 2000)
        #expect(result.string(0, 1) == texts.joined(separator: "|"))
    }

    /// The server refuses the first row, then reads on to the end of the data (megabytes more)
    /// before it answers: its own error is what the caller gets, on a connection that goes on.
    @Test func aRowTheServerRefusesIsToldByTheServer() async throws {
        let connection = try await PostgreSQLServer.connectionToNewDatabase()
        try connection.execute("CREATE TABLE t (i integer, s text)")
        var bad = CopyBinary()
        bad.append(CopyBinary.header[...])
        bad.row(fields: 3)
        bad.int32(1)
        bad.text("one")
        bad.text("a third field")
        let (good, _) = Self.rows(40_000)
        let rows = good.bytes[CopyBinary.header.count...]
        #expect(rows.count > 4 << 20)
        let refused = #expect(throws: ServerDatabaseFailure.self) {
            try connection.copyIn("COPY t FROM STDIN (FORMAT binary)") { (send: PGConnection.CopySender) throws(ServerDatabaseFailure) in
                try send(bad.bytes[...])
                var offset = rows.startIndex
                while offset < rows.endIndex {
                    let end = min(offset + (1 << 20), rows.endIndex)
                    try send(rows[offset..<end])
                    offset = end
                }
            }
        }
        #expect(refused?.sqlState == "22P04" && refused?.connectionLost == false, "\(String(describing: refused))")
        #expect(connection.isUsable && !connection.inTransaction)
        #expect(try connection.execute("SELECT count(*) FROM t").int(0, 0) == 0)
    }

    @Test func dataThatCannotBeMadeEndsTheCopyAndKeepsNothing() async throws {
        let connection = try await PostgreSQLServer.connectionToNewDatabase()
        try connection.execute("CREATE TABLE t (i integer, s text)")
        let (copy, _) = Self.rows(500)
        let failure = ServerDatabaseFailure(server: "test", operation: "making rows", sqlState: nil,
                                            message: "the rows ran out", connectionLost: false)
        let copyHalf = { () throws(ServerDatabaseFailure) in
            try connection.copyIn("COPY t FROM STDIN (FORMAT binary)") { (send: PGConnection.CopySender) throws(ServerDatabaseFailure) in
                try send(copy.bytes[0..<(copy.bytes.count / 2)])
                throw failure
            }
        }
        // Inside a transaction: the error is the one thrown, the transaction is left to roll back.
        try connection.execute("BEGIN")
        try connection.execute("INSERT INTO t VALUES (-1, 'before')")
        let error = #expect(throws: ServerDatabaseFailure.self) { try copyHalf() }
        #expect(error?.message == "the rows ran out")
        #expect(connection.isUsable)
        try connection.execute("ROLLBACK")
        #expect(try connection.execute("SELECT count(*) FROM t").int(0, 0) == 0)
        // On its own: the COPY is over (not left open for the next statement to end), nothing is
        // kept, and the next COPY on the connection takes every row.
        #expect(throws: ServerDatabaseFailure.self) { try copyHalf() }
        #expect(!connection.inTransaction)
        #expect(try connection.execute("SELECT count(*) FROM t").int(0, 0) == 0)
        try connection.copyIn("COPY t FROM STDIN (FORMAT binary)", copy.bytes)
        #expect(try connection.execute("SELECT count(*) FROM t").int(0, 0) == 500)
    }
}
