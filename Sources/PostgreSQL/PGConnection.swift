import CLibPQ
import Foundation
import PubMedSupport

/// One libpq connection, used by one thread at a time: statements with text parameters, results
/// read by row and column, `COPY … FROM STDIN` from buffers the caller fills and `COPY … TO STDOUT`
/// row by row. Every failure is a `ServerDatabaseFailure` naming the server and the operation.
final class PGConnection: @unchecked Sendable {
    let url: DatabaseURL
    private let handle: OpaquePointer
    /// What the connection is doing, for messages ("applying pubmed26n0001.xml.gz").
    var operation = "querying"

    init(_ url: DatabaseURL) throws(ServerDatabaseFailure) {
        if let reason = cpq_load() {
            throw ServerDatabaseFailure(server: url.text, operation: "connecting", sqlState: nil,
                                        message: String(cString: reason), connectionLost: true)
        }
        self.url = url
        var pairs: [(String, String)] = [("dbname", url.text), ("fallback_application_name", "pubmed-mirror")]
        if let password = url.password { pairs.append(("password", password)) }
        // Every byte sent and read is UTF-8, whatever PGCLIENTENCODING or the database's own
        // encoding would make the session's (a later keyword wins over the URL's).
        pairs.append(("client_encoding", "UTF8"))
        // A server that does not answer is an error within seconds, not a hang (the URL's own
        // connect_timeout wins: later keywords do not override what the URL expanded to… so only
        // when it has none).
        if !url.text.contains("connect_timeout=") { pairs.append(("connect_timeout", "10")) }
        // A connection a firewall or NAT dropped while idle (the ledger's, through a long download)
        // is found within about two minutes, not the system's two hours (likewise only when the URL
        // says nothing of it).
        if !url.text.contains("keepalives") {
            pairs += [("keepalives", "1"), ("keepalives_idle", "60"), ("keepalives_interval", "10"), ("keepalives_count", "6")]
        }
        let connection = Self.withCStrings(pairs.map(\.0)) { keywords in
            Self.withCStrings(pairs.map(\.1)) { values in cpq_connectdb_params(keywords, values, 1) }
        }
        guard let connection else {
            throw ServerDatabaseFailure(server: url.text, operation: "connecting", sqlState: nil, message: "out of memory", connectionLost: true)
        }
        guard cpq_status(connection) == CONNECTION_OK else {
            let message = String(cString: cpq_error_message(connection)).trimmingTrailingNewlines
            cpq_finish(connection)
            let login = message.contains("password authentication failed") || message.contains("no password supplied")
                || message.contains("authentication failed") || message.contains("role \"") && message.contains("\" does not exist")
            // A database the server does not have is no server that is down: running again will not help.
            let missing = message.contains("database \"") && message.contains("\" does not exist")
            // A certificate that cannot be verified, or a server without TLS where it is required:
            // refused for good, not a server that is down.
            let tls = message.contains("certificate") || message.contains("SSL") || message.contains("sslmode")
            let state: String? = login ? "28P01" : missing ? "3D000" : nil
            throw ServerDatabaseFailure(server: url.text, operation: "connecting", sqlState: state,
                                        message: Self.oneLine(message), connectionLost: !login && !tls && !missing)
        }
        handle = connection
        cpq_silence_notices(handle)
    }

    deinit { cpq_finish(handle) }

    /// How many statements the server has answered on this connection (with a result, or the
    /// start of a COPY; not an error, which is how a session terminated while idle answers its
    /// next statement): a pooled connection that fails before any answer died while idle, and the
    /// work can be run again on a new one; after one, rows may already have been handed on.
    private(set) var answers = 0

    private var tunedForSearch = false
    private var keepalivesShortened = false

    /// The planner's cost of a random page read, for the rest of this session: 1.1, what
    /// PostgreSQL's manual advises when the data is cached or on SSD, rather than the default 4,
    /// which took `cancer[tiab] AND 1975:1979[dp]` through a bitmap of every record of those years to
    /// save a few thousand page reads (134 against 78 ms on 240,000 records). Only where the cost is
    /// still the default's 4: another value from the server's configuration, `ALTER DATABASE` or
    /// `ALTER ROLE … SET`, or the URL's `options` and `PGOPTIONS` is kept. (Asking `pg_settings`
    /// whether anyone set it took 1 ms, the view formats all 350 settings.) A statement rather than
    /// a startup option, which poolers such as PgBouncer refuse; sent before a session's first
    /// search only, so that `show`, `status`, `export` and the writer pay no round trip for it.
    func tuneForSearch() throws(ServerDatabaseFailure) {
        guard !tunedForSearch else { return }
        try execute("""
            SELECT set_config('random_page_cost', '1.1', false) WHERE current_setting('random_page_cost') = '4'
            """)
        tunedForSearch = true
    }

    /// Whether the connection still works (false once the server went away).
    var isUsable: Bool { cpq_status(handle) == CONNECTION_OK }
    var inTransaction: Bool { cpq_transaction_status(handle) != PQTRANS_IDLE }
    var serverVersion: Int { Int(cpq_server_version(handle)) }
    var usesTLS: Bool { cpq_ssl_in_use(handle) == 1 }

    // MARK: Statements

    /// Takes a session advisory lock, `pg_try_advisory_lock(arguments)`, for the connection's life;
    /// refused as SQLSTATE 55P03 (exit 3) saying that another pubmed-mirror is `doing` it.
    ///
    /// The server frees the lock when the session ends; if this machine vanishes without closing
    /// the connection (a NAT or firewall that drops it, a power cut), the server learns of it only
    /// from its own TCP keepalives, after the system's two hours by default, and every other writer
    /// is refused until then. So the session first sets the server's keepalives for its socket
    /// (user-settable): at most 60 s idle, then 6 probes 10 s apart, about two minutes in all;
    /// shorter settings of the server's are kept. (Over a Unix socket they read as 0 and do nothing.)
    /// Once a session, before its first lock.
    func takeAdvisoryLock(_ arguments: String, _ parameters: [String?] = [], operation: String, doing: String) throws(ServerDatabaseFailure) {
        if !keepalivesShortened {
            try execute("""
                SELECT set_config(name, value, false)
                FROM (VALUES ('tcp_keepalives_idle', '60'), ('tcp_keepalives_interval', '10'), ('tcp_keepalives_count', '6')) AS keepalive (name, value)
                WHERE current_setting(name)::int NOT BETWEEN 1 AND value::int
                """)
            keepalivesShortened = true
        }
        guard try execute("SELECT pg_try_advisory_lock(\(arguments))", parameters).bool(0, 0) else {
            throw ServerDatabaseFailure(server: url.text, operation: operation, sqlState: "55P03",
                                        message: "another pubmed-mirror is \(doing)", connectionLost: false)
        }
    }

    /// Gives back every advisory lock the session holds, at once: the server frees them only when
    /// the session's process has ended, after this process, and a run started right after would
    /// be refused.
    func releaseAdvisoryLocks() {
        if isUsable { _ = try? execute("SELECT pg_advisory_unlock_all()") }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(ServerDatabaseFailure) -> T) throws(ServerDatabaseFailure) -> T {
        try execute("BEGIN")
        return try committing(body)
    }

    /// Runs `body` in the transaction just begun: committed when it returns, rolled back when it throws.
    func committing<T>(_ body: () throws(ServerDatabaseFailure) -> T) throws(ServerDatabaseFailure) -> T {
        do throws(ServerDatabaseFailure) {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isUsable { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs one statement with text parameters (nil is NULL), or several without parameters.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(ServerDatabaseFailure) -> PGResult {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = cpq_exec(handle, sql)
        } else {
            result = Self.withParameters(parameters) { values, lengths in
                cpq_exec_params(handle, sql, Int32(parameters.count), values, lengths, nil, 0)
            }
        }
        return try check(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// The bytes of COPY data handed to libpq at a time: libpq copies each piece into its buffer,
    /// and pieces of 1 MB keep that copy small.
    static let copyPiece = 1 << 20

    /// Sends `data` (COPY's text format, whole lines) to `COPY … FROM STDIN`.
    func copyIn(_ sql: String, _ data: [UInt8]) throws(ServerDatabaseFailure) {
        try copyIn(sql) { (send: CopySender) throws(ServerDatabaseFailure) in
            var offset = 0
            while offset < data.count {
                let end = min(offset + Self.copyPiece, data.count)
                try send(data[offset..<end])
                offset = end
            }
        }
    }

    /// Hands a piece of a COPY's data to the server.
    typealias CopySender = (ArraySlice<UInt8>) throws(ServerDatabaseFailure) -> Void

    /// Runs `COPY … FROM STDIN` with the data `write` hands to its sender piece by piece, as it
    /// makes it: the server reads each piece while the next is made, where data made whole first
    /// would keep it waiting. libpq sends all but the last few kilobytes of each piece before it
    /// returns (a blocking connection). A row the server refuses is told at the end, with the
    /// server's message (it reads on to the end of the data before it answers).
    func copyIn(_ sql: String, writing write: (_ send: CopySender) throws(ServerDatabaseFailure) -> Void) throws(ServerDatabaseFailure) {
        try check(cpq_exec(handle, sql), expecting: [PGRES_COPY_IN])
        let handle = handle
        do throws(ServerDatabaseFailure) {
            try write { (piece: ArraySlice<UInt8>) throws(ServerDatabaseFailure) in
                let sent = piece.withUnsafeBufferPointer { buffer in
                    buffer.isEmpty || cpq_put_copy_data(handle, UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                                                        Int32(buffer.count)) == 1
                }
                guard sent else { throw connectionFailure() }
            }
        } catch {
            // On a connection still up (`write` failed, or a send did), the COPY is ended as
            // failed, so that the server keeps none of it and the connection can go on; a send
            // that failed there is told by what the server then says, if it says anything.
            if isUsable, cpq_put_copy_end(handle, "pubmed-mirror stopped sending the rows") == 1 {
                do throws(ServerDatabaseFailure) { try finishCommand() } catch let server {
                    if error.connectionLost, isUsable { throw server }
                }
            }
            throw error
        }
        guard cpq_put_copy_end(handle, nil) == 1 else { throw connectionFailure() }
        try finishCommand()
    }

    /// Runs `COPY (…) TO STDOUT`, handing each row as it comes (the bytes are valid only during the call).
    func copyOut(_ sql: String, _ row: (UnsafeRawBufferPointer) throws -> Void) throws {
        try check(cpq_exec(handle, sql), expecting: [PGRES_COPY_OUT])
        var failure: (any Error)?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let length = cpq_get_copy_data(handle, &buffer, 0)
            if length == -1 { break }
            guard length >= 0, let buffer else { throw connectionFailure() }
            defer { cpq_freemem(buffer) }
            // After a failure of `row` (a reader gone), the server is asked to stop, and what it
            // sent before stopping is read and dropped so the connection stays usable: reading
            // the whole table on, gigabytes in a snapshot, would hold its locks all that time.
            if failure == nil {
                do { try row(UnsafeRawBufferPointer(start: buffer, count: Int(length))) } catch {
                    failure = error
                    cancel()
                }
            }
        }
        if let failure {
            // The cancellation's own error ("canceling statement due to user request") is not the news.
            _ = try? finishCommand()
            throw failure
        }
        try finishCommand()
    }

    /// Asks the server to stop what this connection runs (from another thread).
    func cancel() {
        var error = [CChar](repeating: 0, count: 256)
        _ = cpq_cancel(handle, &error, Int32(error.count))
    }

    // MARK: Errors

    private func finishCommand() throws(ServerDatabaseFailure) {
        var failure: ServerDatabaseFailure?
        while let result = cpq_get_result(handle) {
            do throws(ServerDatabaseFailure) { _ = try check(result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK]) } catch {
                if failure == nil { failure = error }
            }
        }
        if let failure { throw failure }
    }

    @discardableResult
    private func check(_ result: OpaquePointer?, expecting: [ExecStatusType]) throws(ServerDatabaseFailure) -> PGResult {
        guard let result else { throw connectionFailure() }
        let status = cpq_result_status(result)
        if expecting.contains(status) {
            answers += 1
            return PGResult(result)
        }
        defer { cpq_clear(result) }
        let field = { (code: Character) -> String? in
            cpq_result_error_field(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let state = field("C")
        var message = field("M") ?? String(cString: cpq_result_error_message(result)).trimmingTrailingNewlines
        if message.isEmpty { message = String(cString: cpq_error_message(handle)).trimmingTrailingNewlines }
        if let detail = field("D") { message += " (\(detail))" }
        let lost = !isUsable
        throw ServerDatabaseFailure(server: url.text, operation: operation, sqlState: lost ? state ?? "08006" : state,
                                     message: Self.oneLine(message), connectionLost: lost && state == nil)
    }

    private func connectionFailure() -> ServerDatabaseFailure {
        let message = String(cString: cpq_error_message(handle)).trimmingTrailingNewlines
        return ServerDatabaseFailure(server: url.text, operation: operation, sqlState: nil,
                                     message: message.isEmpty ? "the connection was lost" : Self.oneLine(message), connectionLost: true)
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "; ")
    }

    // MARK: C strings

    private static func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        var storage: [UInt8] = []
        var offsets: [Int] = []
        for string in strings {
            offsets.append(storage.count)
            storage.append(contentsOf: string.utf8)
            storage.append(0)
        }
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var pointers: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
            pointers.append(nil)
            return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }

    private static func withParameters<T>(_ parameters: [String?],
                                          _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<Int32>) -> T) -> T {
        var storage: [UInt8] = []
        var offsets: [Int?] = []
        for parameter in parameters {
            guard let parameter else { offsets.append(nil); continue }
            offsets.append(storage.count)
            storage.append(contentsOf: parameter.utf8)
            storage.append(0)
        }
        if storage.isEmpty { storage.append(0) }
        let lengths = [Int32](repeating: 0, count: parameters.count)
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            let pointers: [UnsafePointer<CChar>?] = offsets.map { $0.map { base + $0 } }
            return pointers.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { body(values.baseAddress!, $0.baseAddress!) }
            }
        }
    }
}

/// A statement's result: rows of text values.
final class PGResult {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }
    deinit { cpq_clear(handle) }

    var count: Int { Int(cpq_ntuples(handle)) }
    var columns: Int { Int(cpq_nfields(handle)) }

    /// Rows changed by an INSERT, UPDATE or DELETE.
    var changed: Int { Int(String(cString: cpq_cmd_tuples(handle))) ?? 0 }

    func isNull(_ row: Int, _ column: Int) -> Bool { cpq_getisnull(handle, Int32(row), Int32(column)) == 1 }

    func string(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : String(cString: cpq_getvalue(handle, Int32(row), Int32(column)))
    }

    func bytes(_ row: Int, _ column: Int) -> [UInt8] {
        let length = Int(cpq_getlength(handle, Int32(row), Int32(column)))
        guard length > 0, let value = cpq_getvalue(handle, Int32(row), Int32(column)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    func int(_ row: Int, _ column: Int) -> Int? { string(row, column).flatMap { Int($0) } }
    func int64(_ row: Int, _ column: Int) -> Int64? { string(row, column).flatMap { Int64($0) } }
    func double(_ row: Int, _ column: Int) -> Double? { string(row, column).flatMap { Double($0) } }
    func bool(_ row: Int, _ column: Int) -> Bool { string(row, column) == "t" }
}
