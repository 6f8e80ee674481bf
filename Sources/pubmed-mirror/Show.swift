import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print records: the current version, or --version N. xml prints the original XML exactly as NCBI published it.",
            discussion: """
                Several PMIDs print several records in that order, one process for all: json one object a line, xml \
                one record after another (each followed by a newline), text separated by blank lines. A PMID not in \
                the index is reported on stderr and the others are still printed (exit code 8).
                """
        )

        @OptionGroup var mirror: MirrorOptions

        @Argument(help: "The PMIDs.")
        var pmids: [Int]

        @Option(name: .long, help: "A specific version (default: the current one, the highest present).")
        var version: Int?

        @Option(name: .long, help: "json, xml or text.")
        var format: ShowFormat = .text

        enum ShowFormat: String, ExpressibleByArgument, CaseIterable { case json, xml, text }

        func validate() throws {
            if pmids.isEmpty { throw ValidationError("give at least one PMID") }
            if version != nil && pmids.count > 1 { throw ValidationError("--version goes with a single PMID") }
        }

        func run() async throws {
            let store: SQLiteRecordStore
            do {
                store = try Mirror(root: mirror.root).openIndex()
            } catch {
                Console.shared.printLine("error: \(error.description)")
                throw Exit.code(for: error)
            }
            var missing = false
            for (index, pmid) in pmids.enumerated() {
                let found: StoredRecord?
                do {
                    found = try store.record(pmid: pmid, version: version, withXML: format == .xml)
                } catch {
                    Console.shared.printLine("error: \(error.description)")
                    throw Exit.code(for: error)
                }
                guard let stored = found else {
                    Console.shared.printLine("error: PMID \(pmid)\(version.map { " version \($0)" } ?? "") is not in the index")
                    missing = true
                    continue
                }
                switch format {
                case .json: FileHandle.standardOutput.write(Data(stored.json + [UInt8(ascii: "\n")]))
                case .xml: FileHandle.standardOutput.write(Data(stored.xml + [UInt8(ascii: "\n")]))
                case .text: FileHandle.standardOutput.write(Data(((index > 0 ? "\n" : "") + TextOutput.record(stored) + "\n").utf8))
                }
            }
            if missing { throw Exit.notFound }
        }
    }
}
