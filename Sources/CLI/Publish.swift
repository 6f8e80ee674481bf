import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "publish",
            abstract: "Copy the verified mirror to an internal FTP, FTPS or SFTP server (or a folder) in NCBI's layout.",
            discussion: """
                The target gets baseline/ and updatefiles/ with each .md5 beside its file, so that `pubmed-mirror fetch \
                --source URL` (and other tools that read NCBI's tree) work against it. Only what changed is sent: the \
                state database remembers what each target holds, and the target's listing is checked too. Each file goes \
                to a hidden temporary name (resumed if an earlier upload was cut), its size is checked on the server, it \
                is renamed into place, and only then is its .md5 written. Credentials come from the environment only: \
                PUBMED_MIRROR_TARGET_USER and PUBMED_MIRROR_TARGET_PASSWORD, or PUBMED_MIRROR_TARGET_SSH_KEY (a private \
                key file; the password then unlocks it) for sftp://.
                """
        )

        @OptionGroup var mirror: MirrorOptions
        @OptionGroup var target: TargetOptions
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var retry: RetryOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .shortAndLong, help: ArgumentHelp("Parallel uploads, each over its own reused connection (default 2).", valueName: "n"))
        var jobs: Int = 2

        @Flag(name: .long, help: "Print what would be sent and deleted; change nothing.")
        var dryRun = false

        @Option(name: .long, help: "Summary format on stdout: text or json.")
        var format: OutputFormat = .text

        func validate() throws {
            guard (1...16).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 16") }
            guard try target.resolved(connection: connection.resolved()) != nil else {
                throw ValidationError("give the server to publish to with --target URL (or PUBMED_MIRROR_TARGET)")
            }
        }

        func run() async throws {
            let logger = LogSetup.bootstrap(output)
            var options = try target.resolved(connection: connection.resolved())!
            options.jobs = jobs
            options.retry = retry.policy
            options.dryRun = dryRun
            let mirror = try self.mirror.make(logger: logger)
            let cancellation = CancellationFlag()
            let signals = SignalHandling.cancelOnInterrupt(cancellation)
            defer { withExtendedLifetime(signals) {} }
            let board = ProgressBoard()
            let report = try await ProgressRenderer.around(board, verb: "published", quiet: output.quiet || dryRun) { () async throws(PublishError) in
                try await mirror.publish(options, progress: board, cancellation: cancellation)
            }
            try Self.write(report, format: format)
            try Self.exit(report)
        }

        static func write(_ report: PublishReport, format: OutputFormat) throws {
            switch format {
            case .json: try JSONOutput.write(PublishSummary(report))
            case .text: try ResultWriter.standardOutput.line(TextOutput.publish(report))
            }
        }

        /// The documented exit code of a finished run.
        static func exit(_ report: PublishReport) throws {
            switch report.outcome {
            case .upToDate, .updated, .planned: return
            case .partial: throw Exit.partial
            case .interrupted: throw Exit.interrupted
            case .failed: throw report.runError ?? Exit.internalError
            }
        }
    }
}

/// `--target` and `--delete`, with the target's credentials from the environment
/// (`publish`, and `fetch --publish`).
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The folder to publish to, to hold baseline/ and updatefiles/: ftp://, ftps:// (explicit TLS), sftp:// or file:// (env PUBMED_MIRROR_TARGET).",
        valueName: "url"))
    var target: String?

    @Flag(name: .long, help: "Remove from the target the PubMed files the mirror no longer holds (after an annual rollover, the old cycle), once every file is in place. Other names are never touched.")
    var delete = false

    /// The publish options, or nil when no target is given (`fetch` without `--publish`).
    func resolved(connection: TransferOptions, flag: String? = nil,
                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PublishOptions? {
        let fromEnvironment = (flag ?? target) == nil ? environment["PUBMED_MIRROR_TARGET"].flatMap { $0.isEmpty ? nil : $0 } : nil
        guard let text = flag ?? target ?? fromEnvironment else { return nil }
        let name = fromEnvironment == nil ? (flag == nil ? "--target" : "--publish") : "PUBMED_MIRROR_TARGET"
        var options: PublishOptions
        do { options = try PublishOptions(target: MirrorSource(text)) } catch {
            throw ValidationError("\(name): " + Exit.message(for: error))
        }
        // TLS trust, host keys and timeouts as for the source; the login is the target's own.
        var transfer = connection
        transfer.role = .target
        transfer.sshKeyFile = nil
        try ConnectionOptions.login(&transfer, user: "PUBMED_MIRROR_TARGET_USER", password: "PUBMED_MIRROR_TARGET_PASSWORD",
                                    key: "PUBMED_MIRROR_TARGET_SSH_KEY", environment: environment)
        options.transfer = transfer
        options.delete = delete
        return options
    }
}

/// `--retries`, `--retry-base` and `--retry-cap` (`fetch`, `publish`).
struct RetryOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Retries of a request that failed for a passing reason (default 5).", valueName: "n"))
    var retries: Int = 5

    @Option(name: .long, help: ArgumentHelp("Base delay of the exponential backoff, doubled each retry, with full jitter, capped at --retry-cap.", valueName: "seconds"))
    var retryBase: Double = 1

    @Option(name: .long, help: ArgumentHelp("The longest wait between two retries.", valueName: "seconds"))
    var retryCap: Double = 60

    func validate() throws {
        guard retries >= 0, retries <= 100 else { throw ValidationError("--retries must be between 0 and 100") }
        guard retryBase >= 0, retryCap >= 0, retryBase.isFinite, retryCap.isFinite else {
            throw ValidationError("--retry-base and --retry-cap must be positive numbers of seconds")
        }
    }

    var policy: RetryPolicy { RetryPolicy(retries: retries, base: retryBase, cap: retryCap) }
}
