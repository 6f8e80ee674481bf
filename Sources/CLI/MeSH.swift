import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct MeSH: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mesh",
            abstract: "Download NLM's MeSH descriptor file and build the thesaurus that MeSH explosion ([mh]) needs.",
            discussion: """
                Asks the server for the descriptor file's size and time and, when they differ from what the thesaurus \
                in DIR/mesh/mesh.sqlite was built from, downloads it (resuming an interrupted download), checks its exact \
                size, parses all of it and only then replaces the thesaurus. A second run with the file unchanged \
                downloads nothing. --file builds from a local descriptor file instead, without the network.
                """
        )

        @OptionGroup var mirror: MirrorOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .long, help: ArgumentHelp(
            "The descriptor file's URL, descYYYY.xml or descYYYY.gz (env PUBMED_MIRROR_MESH_SOURCE; default NLM's current one, \(MeshOptions.nlmFolder)descYYYY.gz).",
            valueName: "url"))
        var source: String?

        @Option(name: .long, help: ArgumentHelp("The MeSH year: which NLM file to download, and the year recorded (default: the current one; the file's own year).", valueName: "yyyy"))
        var year: Int?

        @Option(name: .long, help: ArgumentHelp("Build from this local descriptor file (.xml or .gz) instead of downloading.", valueName: "path"))
        var file: String?

        @OptionGroup var connection: ConnectionOptions

        @Flag(name: .long, help: "Ask the server (or parse --file) and say what would be done; change nothing.")
        var dryRun = false

        @Option(name: .long, help: "Summary format on stdout: text or json.")
        var format: OutputFormat = .text

        func validate() throws {
            _ = try resolved()
        }

        /// The options, from flags, then the environment, then NLM's defaults.
        func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MeshOptions {
            var options = MeshOptions()
            if let year {
                guard (1999...2999).contains(year) else { throw ValidationError("--year must be a MeSH year, such as 2026") }
                options.year = year
            }
            let fromEnvironment = source == nil ? try Self.environmentSource(environment) : nil
            if let file {
                guard source == nil else { throw ValidationError("--file and --source cannot be used together") }
                guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("--file \(file) cannot be read") }
                options.localFile = URL(fileURLWithPath: file)
            } else if let source {
                do { _ = try MeshOptions.remoteFile(source) } catch { throw ValidationError("--source: " + Exit.message(for: error)) }
                options.source = source
            } else {
                options.source = fromEnvironment
            }
            options.transfer = try connection.resolved(environment: environment)
            options.dryRun = dryRun
            return options
        }

        /// `PUBMED_MIRROR_MESH_SOURCE`, checked, or nil when it is not set (`mesh`, `fetch --mesh`).
        static func environmentSource(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
            guard let text = environment["PUBMED_MIRROR_MESH_SOURCE"], !text.isEmpty else { return nil }
            do { _ = try MeshOptions.remoteFile(text) } catch {
                throw ValidationError("PUBMED_MIRROR_MESH_SOURCE: " + Exit.message(for: error))
            }
            return text
        }

        func run() async throws {
            let logger = LogSetup.bootstrap(output)
            let options = try resolved()
            let mirror = try self.mirror.make(logger: logger)
            let cancellation = CancellationFlag()
            let signals = SignalHandling.cancelOnInterrupt(cancellation)
            defer { withExtendedLifetime(signals) {} }
            let board = ProgressBoard()
            let report = try await ProgressRenderer.around(board, verb: "downloaded", quiet: output.quiet || dryRun) { () async throws(MeshUpdateError) in
                try await mirror.updateMeSH(options, progress: board, cancellation: cancellation)
            }
            switch format {
            case .json: try JSONOutput.write(MeshSummary(report, thesaurus: mirror.layout.meshThesaurus.path))
            case .text: try ResultWriter.standardOutput.line(TextOutput.mesh(report, thesaurus: mirror.layout.meshThesaurus.path))
            }
        }
    }
}
