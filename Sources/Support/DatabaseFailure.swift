import GRDB

/// An SQLite database (the state database, an index) failed: which one, and SQLite's own error,
/// kept as the cause.
public struct DatabaseFailure: CodedError {
    public var path: String
    /// "state database", "index database".
    public var role: String
    public var message: String
    public var cause: (any Error)?

    public init(path: String, role: String, message: String, cause: (any Error)? = nil) {
        self.path = path
        self.role = role
        self.message = message
        self.cause = cause
    }

    /// From what GRDB or SQLite threw: its message, and the error itself as the cause.
    public init(path: String, role: String, error: any Error) {
        self.init(path: path, role: role, message: Self.describe(error), cause: error)
    }

    /// A full disk has the code of one, whichever file filled it.
    public var code: ErrorCode { isOutOfSpace ? .diskFull : .database }

    /// A disk that filled while SQLite wrote.
    public var isOutOfSpace: Bool {
        (cause as? DatabaseError)?.resultCode == .SQLITE_FULL
    }

    public var advice: [Advice] { isOutOfSpace ? [.freeSpace] : [] }

    public var description: String { "\(path): \(role) error: \(message)" }

    /// GRDB's message for a database error, or the error's own text.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? error.description }
        return String(describing: error)
    }
}
