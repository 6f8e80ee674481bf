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
                one record after another (each followed by a newline), text, medline, ris and bibtex separated by \
                blank lines, csl-json one array of all of them. A PMID not in the index is reported on stderr and the \
                others are still printed (exit code 8).
                """
        )

        @OptionGroup var mirror: MirrorOptions

        @Argument(help: "The PMIDs.")
        var pmids: [Int]

        @Option(name: .long, help: "A specific version (default: the current one, the highest present).")
        var version: Int?

        @Option(name: .long, help: "json, xml, text, or a citation format: medline, ris, bibtex, csl-json.")
        var format: ShowFormat = .text

        enum ShowFormat: String, ExpressibleByArgument, CaseIterable {
            case json, xml, text, medline, ris, bibtex, cslJSON = "csl-json"

            /// The citation format this is, if it is one.
            var citation: CitationFormat? { CitationFormat(rawValue: rawValue) }
        }

        func validate() throws {
            if pmids.isEmpty { throw ValidationError("give at least one PMID") }
            if version != nil && pmids.count > 1 { throw ValidationError("--version goes with a single PMID") }
        }

        func run() async throws {
            let store = try mirror.make().openIndex()
            let output = ResultWriter.standardOutput
            var missing = false
            var citations = format.citation.map(CitationOutput.init(format:))
            // Several PMIDs in one snapshot with shared readers: records of one block or XML chunk
            // inflate it once.
            let found = if let version {
                [try store.record(pmid: pmids[0], version: version, withXML: format == .xml)]
            } else {
                try store.records(pmids, withXML: format == .xml)
            }
            for (index, (pmid, record)) in zip(pmids, found).enumerated() {
                guard let stored = record else {
                    Console.shared.printLine("error: PMID \(pmid)\(version.map { " version \($0)" } ?? "") is not in the index")
                    missing = true
                    continue
                }
                switch format {
                case .json:
                    try output.write(stored.json)
                    try output.write("\n")
                case .xml:
                    try output.write(stored.xml)
                    try output.write("\n")
                case .text:
                    try output.line((index > 0 ? "\n" : "") + TextOutput.record(stored))
                case .medline, .ris, .bibtex, .cslJSON:
                    try citations?.write(stored.record, to: output)
                }
            }
            try citations?.finish(to: output)
            if missing { throw Exit.notFound }
        }
    }
}
