import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search",
            abstract: "Search the index in PubMed's query language: autism[tiab] AND 2020:2021[dp].",
            discussion: """
                Field tags as in PubMed ([tiab], [au], [mh], [majr], [pt], [la], [ta], [dp], [edat], [sb], …, long or \
                short), AND, OR and NOT processed left to right, parentheses, "quoted phrases", truncation* (at least 4 \
                characters before the *), proximity "gene therapy"[tiab:~2], dates 2020/03[dp] and ranges 2015:2020[dp]. \
                Untagged terms search the text fields. Results are ranked by relevance (bm25) unless --sort says \
                otherwise. A query that cannot be read exits with 64 and says where. See the README for what differs \
                from PubMed.
                """
        )

        @OptionGroup var mirror: MirrorOptions

        @Argument(help: "The query (several arguments are joined with spaces).")
        var query: [String]

        @Option(name: .shortAndLong, help: "The most results to print.")
        var limit: Int = 20

        @Option(name: .long, help: "Skip this many results first (for paging).")
        var offset: Int = 0

        @Option(name: .long, help: "relevance, pub_date (newest first), first_author, journal or pmid (newest first).")
        var sort: SortOrder = .relevance

        @Option(name: .long, help: "text, json (one JSON record per line, the same shape as show and export), tsv, pmid (one PMID a line), or a citation format: medline, ris, bibtex, csl-json.")
        var format: SearchFormat = .text

        @Flag(name: .long, help: "Print only the number of matching records.")
        var count = false

        @Flag(name: .long, help: "Print the query as it was understood (PubMed's query translation) instead of searching.")
        var explain = false

        enum SearchFormat: String, ExpressibleByArgument, CaseIterable {
            case text, json, tsv, pmid, medline, ris, bibtex, cslJSON = "csl-json"

            /// The citation format this is, if it is one.
            var citation: CitationFormat? { CitationFormat(rawValue: rawValue) }
        }

        enum SortOrder: String, ExpressibleByArgument, CaseIterable {
            case relevance, pubDate = "pub_date", firstAuthor = "first_author", journal, pmid

            var sort: SearchSort { SearchSort(rawValue: rawValue)! }  // the same raw values
        }

        func validate() throws {
            guard limit > 0, limit <= 1_000_000 else { throw ValidationError("--limit must be between 1 and 1000000") }
            guard offset >= 0 else { throw ValidationError("--offset cannot be negative") }
            if count && explain { throw ValidationError("--count and --explain go alone") }
        }

        func run() async throws {
            let parsed = try Self.parse(query.joined(separator: " "))
            let output = ResultWriter.standardOutput
            let mirror = try self.mirror.make()
            // The thesaurus is a database of its own: opened only for a query it can change.
            let mesh = parsed.usesThesaurus ? try mirror.openMeshVocabulary() : nil
            if explain {
                try output.line(parsed.translation)
                for line in try parsed.thesaurusLines(mesh: mesh) { try output.line("  " + line) }
                return
            }
            let store = try mirror.openIndex()
            if count {
                try output.line(String(try store.count(parsed, mesh: mesh)))
                return
            }
            let request = SearchRequest(query: parsed, sort: sort.sort, limit: limit, offset: offset, mesh: mesh)
            let result = try store.search(request, withJSON: format == .json || format.citation != nil)
            for note in result.notes { Console.shared.printLine("note: \(note)") }
            try write(result.hits, to: output)
        }

        private func write(_ hits: [SearchHit], to output: ResultWriter) throws {
            if let citation = format.citation {
                var citations = CitationOutput(format: citation)
                for hit in hits { try citations.write(json: hit.json, to: output) }
                try citations.finish(to: output)
                return
            }
            for hit in hits {
                switch format {
                case .medline, .ris, .bibtex, .cslJSON:
                    break  // written above
                case .json:
                    try output.write(hit.json)
                    try output.write("\n")
                case .tsv:
                    try output.line([String(hit.pmid), hit.year.map(String.init) ?? "", TextOutput.oneLine(hit.title), hit.journal ?? ""].joined(separator: "\t"))
                case .pmid:
                    try output.line(String(hit.pmid))
                case .text:
                    try output.line("\(hit.pmid)  \(hit.year.map(String.init) ?? "----")  \(TextOutput.oneLine(hit.title))  — \(hit.journal ?? "")")
                }
            }
            if format == .text && hits.isEmpty { Console.shared.printLine("no matches") }
        }

        /// The query, or the error with the query and a caret under the place on stderr.
        static func parse(_ text: String) throws -> PubMedQuery {
            do {
                return try PubMedQuery(parsing: text)
            } catch {
                Console.shared.printLine(error.pointer)
                throw error
            }
        }
    }
}
