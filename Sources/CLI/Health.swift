import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "health",
            abstract: "Check the source: connect, list baseline/ and updatefiles/, and print the latency.",
            discussion: "Exits 0 when healthy, 5 when the server cannot be reached or listed, or baseline/ holds no PubMed files."
        )

        @OptionGroup var sourceOptions: SourceOptions

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let (source, transfer) = try sourceOptions.resolved()
            let report = await HealthCheck.run(source: source, options: transfer)
            switch format {
            case .json: try JSONOutput.write(HealthSummary(report))
            case .text: try ResultWriter.standardOutput.line(TextOutput.health(report))
            }
            if !report.healthy { throw Exit.unreachable }
        }
    }
}
