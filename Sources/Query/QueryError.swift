import PubMedSupport

/// A query that cannot be read: what is wrong, and where (a 0-based character offset into the
/// query), so that the message can point at it.
public struct QueryError: CodedError, Equatable {
    public var message: String
    public var query: String
    public var offset: Int

    public init(_ message: String, query: String, offset: Int) {
        self.message = message
        self.query = query
        self.offset = max(0, min(offset, query.count))
    }

    public var code: ErrorCode { .badQuery }

    /// "bad query: MESSAGE at character N", then the query and a caret under the place.
    public var description: String {
        "bad query: \(message) at character \(offset + 1) of the query"
    }

    /// The query with a caret under the place of the error, for a terminal.
    public var pointer: String {
        query + "\n" + String(repeating: " ", count: offset) + "^"
    }
}

extension ErrorCode {
    public static let badQuery = ErrorCode("query.invalid", .invalidInput)
}
