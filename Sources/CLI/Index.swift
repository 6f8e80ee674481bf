import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "index",
            abstract: "Parse and index downloaded files not yet applied, in NCBI's order (all baseline files, then updates).",
            discussion: """
                Each file is applied in one transaction: its records, its deletions and the full-text index, or \
                nothing. An update file whose predecessor is missing or not applied is refused (--allow-gaps \
                overrides). --rebuild re-indexes every local file into a new database beside the old one, which \
                keeps answering queries until the switch. --file indexes local files of any name instead, in the \
                order given (--file a.xml.gz b.xml.gz, or --file repeated); a file that fails does not stop the others.
                """
        )

        @OptionGroup var mirror: MirrorOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .long, parsing: .upToNextOption,
                help: ArgumentHelp("Index these local files (.xml.gz or .xml), in this order, instead of the mirror's files.", valueName: "path"))
        var file: [String] = []

        @Flag(name: .long, help: "With --file: parse every record and report, but store nothing (checks that a file is readable).")
        var check = false

        @Flag(name: .long, help: "Rebuild the whole index from the local files (no download).")
        var rebuild = false

        @Flag(name: .long, help: "After an annual rollover to a new baseline, keep the old cycle's files instead of deleting them.")
        var keepOld = false

        @Flag(name: .long, help: "Apply update files even when a predecessor is missing or not applied.")
        var allowGaps = false

        @Option(name: .long, help: "Summary format on stdout: text or json.")
        var format: OutputFormat = .text

        func validate() throws {
            if !file.isEmpty && rebuild { throw ValidationError("--file and --rebuild cannot be used together") }
            if check && file.isEmpty { throw ValidationError("--check goes with --file") }
            for file in file where !FileManager.default.isReadableFile(atPath: file) { throw ValidationError("--file \(file) cannot be read") }
        }

        func run() async throws {
            let logger = LogSetup.bootstrap(output)
            let mirror = try self.mirror.make(logger: logger)
            // A first Ctrl-C stops at the next batch: the file being applied is rolled back.
            let cancellation = CancellationFlag()
            let signals = SignalHandling.cancelOnInterrupt(cancellation)
            defer { withExtendedLifetime(signals) {} }
            if check {
                try checkFiles(file.map { URL(fileURLWithPath: $0) })
            } else if !file.isEmpty {
                try await indexFiles(file.map { URL(fileURLWithPath: $0) }, into: mirror, cancellation: cancellation)
            } else {
                var options = IndexOptions()
                options.allowGaps = allowGaps
                options.rebuild = rebuild
                options.keepOld = keepOld
                let board = ProgressBoard()
                let report = try await ProgressRenderer.around(board, verb: "indexed", quiet: output.quiet) { () async throws(IndexError) in
                    try await mirror.index(options, progress: board, cancellation: cancellation)
                }
                switch format {
                case .json: try JSONOutput.write(IndexSummary(report))
                case .text: try ResultWriter.standardOutput.line(TextOutput.index(report))
                }
                if report.interrupted { throw Exit.interrupted }
                if let stop = report.stoppedBy { throw Exit.code(for: stop.code) }
                if !report.failures.isEmpty { throw Exit.partial }
            }
        }

        /// `--file`: a summary a file (JSON: the object, or an array of them for several files),
        /// each failure on standard error; a file that fails does not stop the others.
        private func indexFiles(_ urls: [URL], into mirror: Mirror, cancellation: CancellationFlag) async throws {
            var worst: IndexError?
            var applied: [AppliedFile] = []
            for result in try await mirror.index(files: urls, cancellation: cancellation) {
                switch result {
                case .success(let file):
                    applied.append(file)
                    if format == .text { try ResultWriter.standardOutput.line(TextOutput.applied(file)) }
                case .failure(let error):
                    Console.shared.printLine("error: \(Exit.message(for: error))")
                    worst = worst ?? error
                }
            }
            if format == .json {
                if urls.count == 1, let only = applied.first { try JSONOutput.write(only) } else { try JSONOutput.write(applied) }
            }
            if let worst { throw Exit.code(for: worst) }
        }

        /// `--check`: parses each file whole, building every record, and stores nothing.
        private func checkFiles(_ urls: [URL]) throws {
            var failed = false
            for url in urls {
                let clock = ContinuousClock.now
                let summary: ArticleFileSummary
                do throws(RecordError) {
                    summary = try ArticleFile.read(url) { _ in }
                } catch {
                    Console.shared.printLine("error: \(Exit.message(for: error))")
                    failed = true
                    continue
                }
                let seconds = (ContinuousClock.now - clock).inSeconds
                switch format {
                case .json: try JSONOutput.write(summary)
                case .text:
                    try ResultWriter.standardOutput.line("\(url.lastPathComponent): \(summary.records) records (\(summary.articles) articles, \(summary.books) books), \(summary.deletions) deletions, \(summary.bytes) bytes of XML, parsed in \(String(format: "%.2f", seconds)) s; nothing stored")
                }
            }
            if failed { throw Exit.partial }
        }
    }
}
