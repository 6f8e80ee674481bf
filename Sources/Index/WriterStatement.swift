internal import GRDBSQLite
import Foundation
import GRDB

/// A value bound to a `WriterStatement` parameter.
enum SQLValue {
    case int(Int64)
    case text(String)
    case blob(Data)
    case null

    static func int(_ value: Int) -> SQLValue { .int(Int64(value)) }
    static func int(_ value: Int?) -> SQLValue { value.map { .int(Int64($0)) } ?? .null }
    static func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    static func bool(_ value: Bool) -> SQLValue { .int(value ? 1 : 0) }
}

/// One of the index writer's statements, prepared once per file and bound and stepped through
/// SQLite's C API. GRDB's `StatementArguments` box every value as an existential and look cached
/// statements up by their SQL text; on the writer's hot path (five statements a record, 30,000
/// records a file) that cost about a third of the writer thread's time besides SQLite itself.
/// Belongs to the writer's connection and thread, inside its transaction.
/// https://www.sqlite.org/c3ref/bind_blob.html, https://www.sqlite.org/c3ref/step.html
final class WriterStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private let connection: OpaquePointer?

    init(_ db: Database, _ sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
        connection = db.sqliteConnection
    }

    /// Runs the statement with `values` for its parameters, in order.
    func run(_ values: SQLValue...) throws {
        try run(values)
    }

    func run(_ values: [SQLValue]) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        try check(sqlite3_step(handle), done: SQLITE_DONE)
    }

    /// Runs a query with `values`; `row` is called for each result row, with a reader of its columns.
    func query(_ values: SQLValue..., row: (Columns) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while true {
            let status = sqlite3_step(handle)
            if status == SQLITE_DONE { return }
            try check(status, done: SQLITE_ROW)
            try row(Columns(handle: handle))
        }
    }

    /// The columns of the current result row.
    struct Columns {
        fileprivate let handle: OpaquePointer
        func int(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }
        func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }
        /// Valid until the statement steps again.
        func blob(_ index: Int32) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, index), count: Int(sqlite3_column_bytes(handle, index)))
        }
    }

    private func bind(_ values: [SQLValue]) throws {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .int(let number):
                status = sqlite3_bind_int64(handle, index, number)
            case .text(var text):
                status = text.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        // An empty string has no bytes to point at; it is still text, not NULL.
                        guard let base = chars.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                        return sqlite3_bind_text(handle, index, base, Int32(chars.count), Self.transient)
                    }
                }
            case .blob(let data):
                status = data.withUnsafeBytes { bytes in
                    // A zero-length blob, not NULL, when the data is empty.
                    bytes.baseAddress == nil ? sqlite3_bind_zeroblob(handle, index, 0)
                        : sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
                }
            case .null:
                status = sqlite3_bind_null(handle, index)
            }
            try check(status, done: SQLITE_OK)
        }
    }

    private func check(_ status: Int32, done expected: Int32) throws {
        guard status != expected else { return }
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        throw DatabaseError(resultCode: ResultCode(rawValue: status), message: message, sql: statement.sql)
    }

    /// SQLite copies the bound bytes (they are gone once the binding call returns).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
