import ArgumentParser
import PubMedMirror

/// The documented exit codes (README, "Exit codes").
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
    /// A local failure: disk full, permissions, the state database.
    static let localError = ExitCode(7)
    /// Usage or configuration error (ArgumentParser's own code for validation failures).
    static let usage = ExitCode.validationFailure
    static let interrupted = ExitCode(130)

    static func code(for error: MirrorError) -> ExitCode {
        switch error {
        case .locked: locked
        case .local, .database, .insufficientSpace: localError
        case .transfer(let transfer):
            switch transfer.kind {
            case .cancelled: interrupted
            case .permanent: permanentServerError
            case .transient: unreachable
            }
        case .tooLong, .sizeMismatch, .md5Mismatch, .badMD5File, .missingMD5: permanentServerError
        }
    }
}
