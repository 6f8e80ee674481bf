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

        @OptionGroup var retry: RetryOptions

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

        @Option(name: .long, help: ArgumentHelp("Then publish the mirror to this target, as `pubmed-mirror publish --target URL` does (with --delete; the target's credentials from PUBMED_MIRROR_TARGET_*).", valueName: "url"))
        var publish: String?

        @OptionGroup var target: TargetOptions

        @Option(name: .long, help: "Summary format on stdout: text or json.")
        var format: OutputFormat = .text

        /// `--publish URL`'s options: the source's TLS and timeouts, the target's own credentials.
        func publishOptions(_ connection: TransferOptions) throws -> PublishOptions? {
            guard let publish else {
                if target.target != nil { throw ValidationError("--target is publish's; with fetch, give --publish URL") }
                if target.delete { throw ValidationError("--delete needs --publish URL") }
                return nil
            }
            return try target.resolved(connection: connection, flag: publish)
        }

        func validate() throws {
            _ = try resolvedJobs()
            if mesh { _ = try MeSH.environmentSource() }
            _ = try publishOptions(try sourceOptions.connection.resolved())
        }

        func resolvedJobs() throws -> Int {
            try EnvironmentValue.integer(jobs, ProcessInfo.processInfo.environment["PUBMED_MIRROR_JOBS"], name: "--jobs",
                                         environmentName: "PUBMED_MIRROR_JOBS", in: 1...16, default: 3)
        }

        /// `--mesh`: the thesaurus after the files, when they were fetched (its failure is reported
        /// after the summary).
        private func updateMeSH(after report: FetchReport, mirror: Mirror, options: FetchOptions,
                                cancellation: CancellationFlag) async throws -> (MeshReport?, MeshUpdateError?) {
            guard mesh, !dryRun, [.upToDate, .updated, .partial].contains(report.outcome) else { return (nil, nil) }
            var meshOptions = MeshOptions()
            meshOptions.source = try MeSH.environmentSource()
            meshOptions.transfer = options.transfer
            meshOptions.retry = options.retry
            do { return (try await mirror.updateMeSH(meshOptions, cancellation: cancellation), nil) } catch { return (nil, error) }
        }

        /// `--publish URL`: then the target, with what is verified (a partial fetch publishes what
        /// it has; a dry run plans it too). Its failure is reported after the summary.
        private func publish(after report: FetchReport, mirror: Mirror, options: FetchOptions, board: ProgressBoard,
                             cancellation: CancellationFlag) async throws -> (PublishReport?, PublishError?) {
            guard var publishOptions = try publishOptions(options.transfer),
                  [.upToDate, .updated, .partial, .planned].contains(report.outcome) else { return (nil, nil) }
            publishOptions.jobs = min(options.jobs, 2)
            publishOptions.retry = options.retry
            publishOptions.dryRun = dryRun
            do {
                let published = try await ProgressRenderer.around(board, verb: "published", quiet: output.quiet || dryRun) { () async throws(PublishError) in
                    try await mirror.publish(publishOptions, progress: board, cancellation: cancellation)
                }
                return (published, nil)
            } catch { return (nil, error) }
        }

        func run() async throws {
            let logger = LogSetup.bootstrap(output)
            let (source, transfer) = try sourceOptions.resolved()
            var options = FetchOptions(source: source)
            options.transfer = transfer
            options.jobs = try resolvedJobs()
            options.retry = retry.policy
            options.dryRun = dryRun
            options.index = !noIndex
            options.checkSpace = !noSpaceCheck
            options.indexOptions.keepOld = keepOld

            let mirror = try self.mirror.make(logger: logger)
            let cancellation = CancellationFlag()
            let signals = SignalHandling.cancelOnInterrupt(cancellation)
            defer { withExtendedLifetime(signals) {} }
            let board = ProgressBoard()
            let report = try await ProgressRenderer.around(board, verb: "fetched", quiet: output.quiet || dryRun) { () async throws(MirrorError) in
                try await mirror.fetch(options, progress: board, cancellation: cancellation)
            }
            let (meshReport, meshFailure) = try await updateMeSH(after: report, mirror: mirror, options: options, cancellation: cancellation)
            let (publishReport, publishFailure) = try await publish(after: report, mirror: mirror, options: options, board: board,
                                                                    cancellation: cancellation)
            let thesaurus = mirror.layout.meshThesaurus.path
            switch format {
            case .json:
                var summary = FetchSummary(report, mirror: mirror.layout.root.path)
                summary.mesh = meshReport.map { MeshSummary($0, thesaurus: thesaurus) }
                summary.publish = publishReport.map(PublishSummary.init)
                try JSONOutput.write(summary)
            case .text:
                try ResultWriter.standardOutput.line(TextOutput.fetch(report, mirror: mirror.layout.root.path))
                if let meshReport { try ResultWriter.standardOutput.line(TextOutput.mesh(meshReport, thesaurus: thesaurus)) }
                if let publishReport { try ResultWriter.standardOutput.line(TextOutput.publish(publishReport)) }
            }
            let fetched = report.outcome == .upToDate || report.outcome == .updated || report.outcome == .planned
            if let meshFailure {
                if fetched { throw meshFailure }
                // The fetch's own outcome decides the exit code; the thesaurus's failure is still told.
                Console.shared.printLine("error: \(Exit.message(for: meshFailure))")
            }
            if let publishFailure {
                if fetched { throw publishFailure }
                Console.shared.printLine("error: \(Exit.message(for: publishFailure))")
            }
            if fetched, let publishReport { try Publish.exit(publishReport) }
            switch report.outcome {
            case .upToDate, .updated, .planned: return
            // A full disk (or a database server gone) that stopped the index phase says so in
            // the exit code, as `index` does.
            case .partial: throw report.index?.stoppedBy.map { Exit.code(for: $0.code) } ?? Exit.partial
            case .interrupted: throw Exit.interrupted
            // The error that stopped the run is reported like any other (the summary is out already).
            case .failed: throw report.runError ?? Exit.internalError
            }
        }
    }
}

