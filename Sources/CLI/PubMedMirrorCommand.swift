import ArgumentParser
import Foundation
import PubMedMirror

/// The `pubmed-mirror` command. The executable calls `runAndExit()`; tests parse arguments with
/// `parseAsRoot` in-process.
public struct PubMedMirrorCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "pubmed-mirror",
        abstract: "Keep a complete, verified local copy of NCBI's PubMed baseline and update files.",
        discussion: """
            The mirror folder keeps NCBI's layout (baseline/, updatefiles/, each file beside its .md5) next to \
            a state database (state.sqlite). Every file is checked against its exact size and published MD5 \
            before it is put in place. See the README for exit codes and the environment variables.
            """,
        version: PubMedMirrorVersion.current,
        subcommands: [Fetch.self, Index.self, Search.self, Show.self, Export.self, Serve.self, Publish.self, Status.self, Verify.self, Health.self, MeSH.self]
    )

    /// ArgumentParser's own `main` (AsyncParsableCommand.main), with the one place where a failure becomes its message and its
    /// exit code (README, "Exit codes"): commands throw, and never print errors or pick codes
    /// themselves. Results written to standard output are flushed here, so that a failure to write
    /// them is reported like any other.
    public static func runAndExit() async -> Never {
        MirrorOptions.startLoadingTheDatabaseClientIfNamed()
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            try ResultWriter.standardOutput.commit()
        } catch {
            exit(reporting: error)
        }
        Foundation.exit(0)
    }

    /// Prints what `error` says (results to standard output, failures to standard error) and ends
    /// the process with its exit code.
    static func exit(reporting error: any Error) -> Never {
        var failure = error
        // Results printed before the failure still go out (show prints the PMIDs it found). When
        // they cannot, that is what to report, unless the command had a failure of its own to tell.
        do throws(OutputError) {
            try ResultWriter.standardOutput.commit()
        } catch {
            if failure is ExitCode || failure is CleanExit || failure is OutputError { failure = error }
        }
        switch failure {
        case OutputError.closedByReader:
            // As cat does when its reader goes: quietly, by the signal itself.
            signal(SIGPIPE, SIG_DFL)
            raise(SIGPIPE)
            Foundation.exit(128 + SIGPIPE)
        case let known as any CodedError:
            Console.shared.printLine("error: \(Exit.message(for: known))")
            Foundation.exit(Exit.code(for: known).rawValue)
        default:
            // ArgumentParser's own errors, help and version: its message and its code.
            let code = exitCode(for: failure)
            let message = fullMessage(for: failure)
            if code == .success {
                do throws(OutputError) {
                    if !message.isEmpty { try ResultWriter.standardOutput.line(message) }
                    try ResultWriter.standardOutput.commit()
                } catch {
                    exit(reporting: error)
                }
            } else if !message.isEmpty {
                Console.shared.printLine(message)
            }
            Foundation.exit(code.rawValue)
        }
    }
}
