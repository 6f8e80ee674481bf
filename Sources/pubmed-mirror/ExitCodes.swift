import ArgumentParser
import Foundation
import PubMedMirror

/// The documented exit codes (README, "Exit codes"), and the one mapping of failures to them.
enum Exit {
    static let success = ExitCode(0)
    static let internalError = ExitCode(1)
    /// Some files failed; every file in place is verified.
    static let partial = ExitCode(2)
    /// Another run holds the mirror folder's lock.
    static let locked = ExitCode(3)
    /// The server refused for good: login, TLS trust, folder not found.
    static let permanentServerError = ExitCode(4)
    /// The server could not be reached or listed, even after retries; `health` found it unhealthy.
    static let unreachable = ExitCode(5)
    /// `verify` found damaged or missing files.
    static let damaged = ExitCode(6)
    /// A local failure: disk full, permissions, the state database, results that cannot be written.
    static let localError = ExitCode(7)
    /// `show` of a PMID the index does not hold; a command that needs the index (or mirrored files)
    /// before there is one. `search` with no hit is not an error.
    static let notFound = ExitCode(8)
    /// Usage or configuration error (ArgumentParser's own code for validation failures).
    static let usage = ExitCode.validationFailure
    static let interrupted = ExitCode(130)

    /// Whether `error` is one of the failures mapped here (the others are ArgumentParser's own).
    static func describes(_ error: any Error) -> Bool {
        error is MirrorError || error is IndexError || error is RecordError || error is OutputError
            || error is TransferError || error is ConfigurationError
    }

    /// The one sentence printed for `error`.
    static func message(for error: any Error) -> String {
        String(describing: error)
    }

    static func code(for error: any Error) -> ExitCode {
        switch error {
        case let error as MirrorError: code(for: error)
        case let error as IndexError: code(for: error)
        case let error as TransferError: code(for: error)
        case is RecordError: partial
        case is OutputError: localError
        case is ConfigurationError: usage
        default: internalError
        }
    }

    static func code(for error: MirrorError) -> ExitCode {
        switch error {
        case .locked: locked
        case .local, .database, .insufficientSpace: localError
        case .transfer(let transfer): code(for: transfer)
        case .tooLong, .sizeMismatch, .md5Mismatch, .badMD5File, .missingMD5: permanentServerError
        }
    }

    static func code(for error: TransferError) -> ExitCode {
        switch error.kind {
        case .cancelled: interrupted
        case .permanent: permanentServerError
        case .transient: unreachable
        }
    }

    static func code(for error: IndexError) -> ExitCode {
        switch error {
        case .mirror(let error): code(for: error)
        case .database: localError
        case .badQuery: usage
        case .notIndexed: notFound
        case .parse, .gap, .other: partial
        }
    }
}
