import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print one record: the current version, or --version N. xml prints the original XML exactly as NCBI published it."
        )

        @OptionGroup var mirror: MirrorOptions

        @Argument(help: "The PMID.")
        var pmid: Int

        @Option(name: .long, help: "A specific version (default: the current one, the highest present).")
        var version: Int?

        @Option(name: .long, help: "json, xml or text.")
        var format: ShowFormat = .text

        enum ShowFormat: String, ExpressibleByArgument, CaseIterable { case json, xml, text }

        func run() async throws {
            let mirror = Mirror(root: self.mirror.root)
            do {
                guard let stored = try mirror.openIndex().record(pmid: pmid, version: version) else {
                    Console.shared.printLine("error: PMID \(pmid)\(version.map { " version \($0)" } ?? "") is not in the index")
                    throw Exit.notFound
                }
                switch format {
                case .json: FileHandle.standardOutput.write(Data(stored.json + [UInt8(ascii: "\n")]))
                case .xml: FileHandle.standardOutput.write(Data(stored.xml + [UInt8(ascii: "\n")]))
                case .text: print(TextOutput.record(stored))
                }
            } catch let error as IndexError {
                Console.shared.printLine("error: \(error.description)")
                throw Exit.code(for: error)
            }
        }
    }
}
