import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every mirrored file against its .md5; mark damaged files for the next fetch.",
            discussion: "Exits 6 when any file is damaged or missing. Uses no network."
        )

        @OptionGroup var mirror: MirrorOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .shortAndLong, help: ArgumentHelp("Files hashed at once (default 2).", valueName: "n"))
        var jobs: Int = 2

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func validate() throws {
            guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 16") }
        }

        func run() async throws {
            let logger = LogSetup.bootstrap(output)
            let mirror = try self.mirror.make(logger: logger)
            let board = ProgressBoard()
            let cancellation = CancellationFlag()
            let signals = SignalHandling.cancelOnInterrupt(cancellation)
            defer { withExtendedLifetime(signals) {} }
            let report = try await ProgressRenderer.around(board, verb: "verified", quiet: output.quiet) { () async throws(MirrorError) in
                try await mirror.verify(jobs: jobs, progress: board, cancellation: cancellation)
            }
            if cancellation.isCancelled { throw Exit.interrupted }
            switch format {
            case .json: try JSONOutput.write(VerifySummary(report))
            case .text: try ResultWriter.standardOutput.line(TextOutput.verify(report))
            }
            if !report.problems.isEmpty { throw Exit.damaged }
        }
    }
}
