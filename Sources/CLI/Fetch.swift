import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fetch",
            abstract: "Download what is new or changed in baseline/ and updatefiles/, verified against size and MD5, and index it.",
            discussion: """
                Lists the source, compares it with the mirror's state database, and downloads only what is new, \
                republished or missing, --jobs at a time. Each file goes to NAME.partial (resumed by the next run \
                if interrupted), must match its listed size and published .md5, and is then renamed into place. \
                Then every mirrored file not yet indexed is applied to the index, in NCBI's order (--no-index skips this).
                """
        )

        @OptionGroup var mirror: MirrorOptions
        @OptionGroup var sourceOptions: SourceOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .shortAndLong, help: ArgumentHelp("Parallel transfers, each over its own reused connection (env PUBMED_MIRROR_JOBS; default 3).", valueName: "n"))
        var jobs: Int?

        @Option(name: .long, help: ArgumentHelp("Retries of a request that failed for a passing reason (default 5).", valueName: "n"))
        var retries: Int = 5

        @Option(name: .long, help: ArgumentHelp("Base delay of the exponential backoff, doubled each retry, with full jitter, capped at --retry-cap.", valueName: "seconds"))
        var retryBase: Double = 1

        @Option(name: .long, help: ArgumentHelp("The longest wait between two retries.", valueName: "seconds"))
        var retryCap: Double = 60

        @Flag(name: .long, help: "Print what would be downloaded (files, bytes) and the free disk space; change nothing.")
        var dryRun = false

        @Flag(name: .long, help: "Start downloading even when the free disk space looks too small for the downloads and the index.")
        var noSpaceCheck = false

        @Flag(name: .long, help: "After an annual rollover to a new baseline, keep the old cycle's files instead of deleting them.")
        var keepOld = false

        @Flag(name: .long, help: "Only mirror the files; do not index them (index later with `pubmed-mirror index`).")
        var noIndex = false

        @Flag(name: .long, help: "Then bring the MeSH thesaurus up to date, as `pubmed-mirror mesh` does (env PUBMED_MIRROR_MESH_SOURCE for its URL).")
        var mesh = false

        @Option(name: .long, help: "Summary format on stdout: text or json.")
        var format: OutputFormat = .text

        func validate() throws {
            _ = try resolvedJobs()
            if mesh { _ = try MeSH.environmentSource() }
            guard retries >= 0, retries <= 100 else { throw ValidationError("--retries must be between 0 and 100") }
            guard retryBase >= 0, retryCap >= 0, retryBase.isFinite, retryCap.isFinite else {
                throw ValidationError("--retry-base and --retry-cap must be positive numbers of seconds")
            }
        }

        func resolvedJobs() throws -> Int {
            try EnvironmentValue.integer(jobs, ProcessInfo.processInfo.environment["PUBMED_MIRROR_JOBS"], name: "--jobs",
                                         environmentName: "PUBMED_MIRROR_JOBS", in: 1...16, default: 3)
        }

        func run() async throws {
            let logger = LogSetup.bootstrap(output)
            let (source, transfer) = try sourceOptions.resolved()
            var options = FetchOptions(source: source)
            options.transfer = transfer
            options.jobs = try resolvedJobs()
            options.retry = RetryPolicy(retries: retries, base: retryBase, cap: retryCap)
            options.dryRun = dryRun
            options.index = !noIndex
            options.checkSpace = !noSpaceCheck
            options.indexOptions.keepOld = keepOld

            let mirror = Mirror(root: self.mirror.root, logger: logger)
            let cancellation = CancellationFlag()
            let signals = SignalHandling.cancelOnInterrupt(cancellation)
            defer { withExtendedLifetime(signals) {} }
            let board = ProgressBoard()
            let report = try await ProgressRenderer.around(board, verb: "fetched", quiet: output.quiet || dryRun) { () async throws(MirrorError) in
                try await mirror.fetch(options, progress: board, cancellation: cancellation)
            }
            // The thesaurus after the files, when they were fetched (its failure is reported after the summary).
            var meshReport: MeshReport?
            var meshFailure: MeshUpdateError?
            if mesh, !dryRun, [.upToDate, .updated, .partial].contains(report.outcome) {
                var meshOptions = MeshOptions()
                meshOptions.source = try MeSH.environmentSource()
                meshOptions.transfer = transfer
                meshOptions.retry = options.retry
                do { meshReport = try await mirror.updateMeSH(meshOptions, cancellation: cancellation) } catch { meshFailure = error }
            }
            let thesaurus = mirror.layout.meshThesaurus.path
            switch format {
            case .json:
                var summary = FetchSummary(report, mirror: mirror.layout.root.path)
                summary.mesh = meshReport.map { MeshSummary($0, thesaurus: thesaurus) }
                try JSONOutput.write(summary)
            case .text:
                try ResultWriter.standardOutput.line(TextOutput.fetch(report, mirror: mirror.layout.root.path))
                if let meshReport { try ResultWriter.standardOutput.line(TextOutput.mesh(meshReport, thesaurus: thesaurus)) }
            }
            if let meshFailure {
                if report.outcome == .upToDate || report.outcome == .updated { throw meshFailure }
                // The fetch's own outcome decides the exit code; the thesaurus's failure is still told.
                Console.shared.printLine("error: \(Exit.message(for: meshFailure))")
            }
            switch report.outcome {
            case .upToDate, .updated, .planned: return
            case .partial: throw Exit.partial
            case .interrupted: throw Exit.interrupted
            // The error that stopped the run is reported like any other (the summary is out already).
            case .failed: throw report.runError ?? Exit.internalError
            }
        }
    }
}

