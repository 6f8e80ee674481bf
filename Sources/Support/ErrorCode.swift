/// A failure's stable, machine-readable name (`transfer.unreachable`, `index.gap`), for monitors and
/// `--format json` summaries, and what kind of failure it is, which is what a presenter needs to
/// decide what follows (the command line picks its exit code from it). Names never change meaning;
/// the stages declare theirs as static members.
public struct ErrorCode: Hashable, Sendable, CustomStringConvertible, Encodable {
    public enum Kind: String, Sendable {
        /// This machine: disk full, permissions, a database, output that cannot be written.
        case local
        /// The server refused for good: login, TLS trust, a folder that does not exist.
        case serverRefused
        /// The server could not be reached or listed, even after retries.
        case serverUnreachable
        /// The server sent a file that cannot be verified or used: wrong size, wrong MD5, no `.md5`.
        case serverData
        /// Another run holds the mirror folder.
        case locked
        /// What was asked for is not there: a PMID, the index, mirrored files.
        case notFound
        /// A setting or query that cannot work as given.
        case invalidInput
        /// A file that cannot be applied: damaged, malformed, or out of order.
        case badFile
        /// The run was asked to stop.
        case interrupted
        /// A bug.
        case internalError
    }

    public let name: String
    public let kind: Kind

    public init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public var description: String { name }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// Something the user can do about a failure, as data. The library names the action; whoever
/// presents the failure says how, in its own terms (the command line names its options and
/// commands). `description` is the action in plain words, for presenters with nothing better.
public struct Advice: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let description: String

    public init(_ name: String, _ description: String) {
        self.name = name
        self.description = description
    }
}

/// An error that says, besides its one sentence (`description`), what it is as a stable code, what
/// would help, and what caused it (the error it wraps, which keeps its own identity and details).
public protocol CodedError: Error, Sendable, CustomStringConvertible {
    var code: ErrorCode { get }
    var advice: [Advice] { get }
    var cause: (any Error)? { get }
}

extension CodedError {
    public var advice: [Advice] { [] }
    public var cause: (any Error)? { nil }
}

extension ErrorCode {
    public static let fileSystem = ErrorCode("local.file-system", .local)
    public static let diskFull = ErrorCode("local.disk-full", .local)
    public static let database = ErrorCode("local.database", .local)
    public static let locked = ErrorCode("mirror.locked", .locked)
    public static let cancelled = ErrorCode("cancelled", .interrupted)
}

extension Advice {
    public static let freeSpace = Advice("free-space", "free some space and run again; what is already in place is intact")
    public static let waitForOtherRun = Advice("wait-for-other-run", "try again when the other run has finished")
    public static let reportBug = Advice("report-bug", "this is a bug: please report it")
}
