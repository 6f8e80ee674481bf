import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show the mirror: files by state, bytes, the last fetch and what is pending. Uses no network."
        )

        @OptionGroup var mirror: MirrorOptions

        @Option(name: .long, help: "Output format: text or json.")
        var format: OutputFormat = .text

        func run() async throws {
            let mirror = try self.mirror.make()
            let status = try mirror.status()
            switch format {
            case .json: try JSONOutput.write(StatusSummary(status))
            case .text: try ResultWriter.standardOutput.line(TextOutput.status(status))
            }
        }
    }
}
