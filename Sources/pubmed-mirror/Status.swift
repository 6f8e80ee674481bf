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
            let mirror = Mirror(root: self.mirror.root)
            let status: MirrorStatus
            do { status = try mirror.status() } catch {
                Console.shared.printLine("error: \(error.description)")
                throw Exit.code(for: error)
            }
            switch format {
            case .json: try JSONOutput.print(StatusSummary(status))
            case .text: print(TextOutput.status(status))
            }
        }
    }
}
