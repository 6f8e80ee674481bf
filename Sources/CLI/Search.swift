import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "Search the index: words, \"phrases\", prefix*, field:value, year:2019 or year:2015..2020.",
            discussion: """
                Fields: title, abstract, author, mesh, journal, type (publication type), keyword, year. Terms are \
                ANDed; OR and NOT combine them. Results are ranked by bm25 (title and MeSH weigh most). \
                Example: pubmed-mirror search 'mesh:"breast neoplasms" tamoxif* year:2015..2020'
                """
        )

        @OptionGroup var mirror: MirrorOptions

        @Argument(help: "The query (several words are joined with spaces).")
        var query: [String]

        @Option(name: .shortAndLong, help: "The most results to print.")
        var limit: Int = 20

        @Option(name: .long, help: "text, json (one JSON record per line, the same shape as show and export) or tsv.")
        var format: SearchFormat = .text

        enum SearchFormat: String, ExpressibleByArgument, CaseIterable { case text, json, tsv }

        func validate() throws {
            guard limit > 0, limit <= 100_000 else { throw ValidationError("--limit must be between 1 and 100000") }
        }

        func run() async throws {
            let hits = try results()
            let output = ResultWriter.standardOutput
            for hit in hits {
                switch format {
                case .json:
                    try output.write(hit.json)
                    try output.write("\n")
                case .tsv:
                    try output.line([String(hit.pmid), hit.year.map(String.init) ?? "", TextOutput.oneLine(hit.title), hit.journal ?? ""].joined(separator: "\t"))
                case .text:
                    try output.line("\(hit.pmid)  \(hit.year.map(String.init) ?? "----")  \(TextOutput.oneLine(hit.title))  — \(hit.journal ?? "")")
                }
            }
            if format == .text && hits.isEmpty { Console.shared.printLine("no matches") }
        }

        private func results() throws(IndexError) -> [SearchHit] {
            let parsed = try SearchQuery(parsing: query.joined(separator: " "))
            return try Mirror(root: mirror.root).openIndex().search(parsed, limit: limit, withJSON: format == .json)
        }
    }
}
