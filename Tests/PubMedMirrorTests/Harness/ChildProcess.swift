import Foundation
import Subprocess
import SystemPackage

/// Child processes for the tests (the binary under test, openssl), through swift-subprocess: they
/// run without blocking a thread of the test pool, and both pipes are read at once, so a child
/// that writes a lot to one of them never waits on the other.
enum ChildProcess {
    struct Outcome: Sendable {
        /// The exit status, or 128 + the signal that ended it, as a shell reports it.
        var status: Int32
        /// The signal that ended it, if one did.
        var signal: Int32?
        var stdout: String
        var stderr: String
    }

    /// The most output collected from one pipe (an export of the larger samples is a few MB).
    static let outputLimit = 256 << 20

    /// Runs `executable` to its end; `environment` nil inherits the test's own.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> Outcome {
        let result = try await Subprocess.run(.path(FilePath(executable)), arguments: Arguments(arguments),
                                              environment: Self.environment(environment), input: .none,
                                              output: .string(limit: outputLimit), error: .string(limit: outputLimit))
        return outcome(result.terminationStatus, stdout: result.standardOutput, stderr: result.standardError)
    }

    /// Starts `executable`, runs `body` with its pid while it runs (to watch it, signal it), and
    /// then waits for its end. Its standard output is discarded, its standard error collected.
    static func whileRunning(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                             _ body: (pid_t) async throws -> Void) async throws -> Outcome {
        let result = try await Subprocess.run(.path(FilePath(executable)), arguments: Arguments(arguments),
                                              environment: Self.environment(environment), input: .none,
                                              output: .discarded, error: .string(limit: outputLimit)) { execution in
            try await body(execution.processIdentifier.value)
        }
        return outcome(result.terminationStatus, stdout: "", stderr: result.standardError)
    }

    private static func environment(_ variables: [String: String]?) -> Environment {
        guard let variables else { return .inherit }
        return .custom(Dictionary(uniqueKeysWithValues: variables.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
    }

    private static func outcome(_ status: TerminationStatus, stdout: String, stderr: String) -> Outcome {
        switch status {
        case .exited(let code): Outcome(status: code, signal: nil, stdout: stdout, stderr: stderr)
        case .signaled(let signal): Outcome(status: 128 + signal, signal: signal, stdout: stdout, stderr: stderr)
        }
    }
}
