/// A PostgreSQL server (the shared store) failed or refused: which server (its address, never a
/// password), what was being done, the server's SQLSTATE and message. Its code says what kind of
/// failure it is, from the SQLSTATE class, so that the command line exits as for any other server.
/// https://www.postgresql.org/docs/15/errcodes-appendix.html
public struct ServerDatabaseFailure: CodedError {
    /// `postgresql://user@host:port/db`, as the user gave it (a password is never accepted there).
    public var server: String
    /// What was being done: "connecting", "applying pubmed26n0001.xml.gz", "searching".
    public var operation: String
    /// The server's five-character SQLSTATE; nil when the connection itself failed.
    public var sqlState: String?
    public var message: String
    /// The connection was lost (or never made): a rerun, later, may succeed.
    public var connectionLost: Bool

    public init(server: String, operation: String, sqlState: String?, message: String, connectionLost: Bool) {
        self.server = server
        self.operation = operation
        self.sqlState = sqlState
        self.message = message
        self.connectionLost = connectionLost
    }

    public var code: ErrorCode {
        if connectionLost { return .databaseUnreachable }
        let state = sqlState ?? ""
        if state.hasPrefix("08") { return .databaseUnreachable }
        switch state {
        case "57P01", "57P02", "57P03", "53300": return .databaseUnreachable
        case "28000", "28P01": return .databaseLogin
        case "3D000": return .databaseMissing
        case "42501", "25006": return .databasePermission
        case "53100": return .databaseFull
        case "57014": return .databaseCancelled
        case "55P03": return .databaseLocked
        default: return .databaseFailed
        }
    }

    public var advice: [Advice] {
        switch code {
        case .databaseFull: [.freeServerSpace]
        case .databaseLogin: [.databasePassword]
        case .databaseMissing: [.createDatabase]
        case .databaseUnreachable: [.tryLater]
        case .databaseLocked: [.waitForOtherRun]
        default: []
        }
    }

    public var description: String {
        let state = sqlState.map { " [\($0)]" } ?? ""
        return "\(server): \(operation): \(message)\(state)"
    }
}

extension ErrorCode {
    /// The PostgreSQL server could not be reached, or the connection was lost.
    public static let databaseUnreachable = ErrorCode("database.unreachable", .serverUnreachable)
    /// The server refused the login.
    public static let databaseLogin = ErrorCode("database.login", .serverRefused)
    /// The database the URL names does not exist on the server.
    public static let databaseMissing = ErrorCode("database.missing", .serverRefused)
    /// The role may not do this (a read-only role asked to write, say).
    public static let databasePermission = ErrorCode("database.permission", .serverRefused)
    /// The server's disk is full.
    public static let databaseFull = ErrorCode("database.disk-full", .serverRefused)
    /// The statement was cancelled (a time limit).
    public static let databaseCancelled = ErrorCode("database.cancelled", .interrupted)
    /// Any other refusal.
    public static let databaseFailed = ErrorCode("database.failed", .serverRefused)
    /// Another machine writes to the same database (its advisory lock is held).
    public static let databaseLocked = ErrorCode("database.locked", .locked)
    /// The database's schema is of another pubmed-mirror version.
    public static let databaseSchema = ErrorCode("database.schema-version", .local)
}

extension Advice {
    public static let freeServerSpace = Advice("free-server-space", "free space on the database server and run again; every file applied before is intact")
    public static let databasePassword = Advice("database-password", "give the password in PGPASSWORD, ~/.pgpass or PUBMED_MIRROR_DATABASE_PASSWORD")
    public static let createDatabase = Advice("create-database", "check the database's name, or create it on the server (createdb NAME) and run again")
    public static let tryLater = Advice("try-later", "run again when the database server is back; a file that was being applied was rolled back and is applied again then")
}
