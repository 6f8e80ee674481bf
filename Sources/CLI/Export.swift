import ArgumentParser
import Foundation
import PubMedMirror

extension PubMedMirrorCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Stream every current record (or, with --since, what changed after a sequence number) as JSON lines, CSV or citations.",
            discussion: """
                Every change the index applies gets an increasing sequence number. --since SEQ prints only the records \
                that changed after SEQ and the deletions ({"deleted":true,"pmid":…,"version":…}), then reports the new \
                high-water mark on stderr ("high-water mark: N"), so a pipeline can follow the mirror incrementally. \
                The export is one consistent snapshot even while a fetch runs. With --output, the file is written under \
                a temporary name and renamed when complete. The citation formats (medline, ris, bibtex, csl-json) print \
                the records only: a deletion has no citation, and is counted on stderr but not printed. \
                --shards DIR writes the same JSON lines as gzip-compressed parts of --shard-records each, with a \
                manifest.json (records, bytes, MD5 and PMID range of each part, the high-water mark), built beside DIR \
                and swapped into place whole; the same index gives the same bytes.
                """
        )

        @OptionGroup var mirror: MirrorOptions

        @Option(name: .long, help: "jsonl (the JSON shape of show), csv, or a citation format: medline, ris, bibtex, csl-json.")
        var format: ExportFormat = .jsonl

        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (atomically) instead of stdout.", valueName: "file"))
        var output: String?

        @Option(name: .long, help: ArgumentHelp("Only what changed after this sequence number.", valueName: "seq"))
        var since: Int64?

        @Option(name: .long, help: ArgumentHelp("Write gzip-compressed JSON-lines parts and a manifest.json into this folder (replaced whole), for DuckDB, Spark or BigQuery; with --since, a change set.", valueName: "dir"))
        var shards: String?

        @Option(name: .long, help: ArgumentHelp("Records (and deletions) in each part of --shards (default 100000).", valueName: "n"))
        var shardRecords: Int?

        enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
            case jsonl, csv, medline, ris, bibtex, cslJSON = "csl-json"

            /// The citation format this is, if it is one.
            var citation: CitationFormat? { CitationFormat(rawValue: rawValue) }
        }

        func validate() throws {
            if let since, since < 0 { throw ValidationError("--since must be 0 or more") }
            if let shardRecords, !(1...10_000_000).contains(shardRecords) { throw ValidationError("--shard-records must be between 1 and 10000000") }
            if shards == nil, shardRecords != nil { throw ValidationError("--shard-records needs --shards DIR") }
            if shards != nil, output != nil { throw ValidationError("--shards and --output cannot be used together") }
            if shards != nil, format != .jsonl { throw ValidationError("--shards writes JSON lines; --format \(format.rawValue) cannot be used with it") }
        }

        func run() async throws {
            let mirror = try self.mirror.make()
            let store = try mirror.openIndex()
            if let shards {
                var options = ShardOptions()
                options.since = since
                options.recordsPerPart = shardRecords ?? options.recordsPerPart
                let manifest = try ShardWriter.write(from: store, to: URL(fileURLWithPath: shards), options: options)
                Console.shared.printLine("exported \(manifest.records) records and \(manifest.deletions) deletions in \(manifest.parts.count) parts to \(shards); high-water mark: \(manifest.highWaterMark)")
                return
            }
            let destination = try output.map { (path) throws(OutputError) in try ResultWriter(file: path) } ?? ResultWriter.standardOutput
            var records = 0
            var deletions = 0
            if format == .csv { try destination.write(CSVRow.header) }
            let decoder = JSONDecoder()
            var citations = format.citation.map(CitationOutput.init(format:))
            let mark = try store.export(since: since) { item in
                if case .record = item { records += 1 } else { deletions += 1 }
                switch (format, item) {
                case (.jsonl, _):
                    try destination.write(item.jsonLine)
                    try destination.write("\n")
                case (.csv, .record(let json, _, _)):
                    try destination.write(CSVRow.line(try decoder.decode(PubMedRecord.self, from: Data(json))))
                case (.csv, .deletion(let pmid, let version)):
                    try destination.write(CSVRow.deletion(pmid: pmid, version: version))
                case (_, .record(let json, _, _)):
                    try citations?.write(json: json, to: destination)
                case (_, .deletion):
                    break
                }
            }
            try citations?.finish(to: destination)
            try destination.commit()
            Console.shared.printLine("exported \(records) records and \(deletions) deletions; high-water mark: \(mark)")
        }
    }
}

/// RFC 4180 CSV: one row per record, lists joined with "; ".
enum CSVRow {
    static let columns = ["pmid", "version", "deleted", "year", "title", "journal", "volume", "issue", "pages", "doi", "pmcid",
                          "authors", "publicationTypes", "meshHeadings", "keywords", "languages", "status", "dateRevised", "sourceFile", "abstract"]
    static var header: [UInt8] { Array((columns.joined(separator: ",") + "\r\n").utf8) }

    static func line(_ record: PubMedRecord) -> [UInt8] {
        let authors = record.authors.map { $0.collectiveName ?? [$0.lastName, $0.initials].compactMap { $0 }.joined(separator: " ") }
        let revised = record.dateRevised.map { date in
            [date.year, date.month, date.day].compactMap { $0 }.map { String(format: "%02d", $0) }.joined(separator: "-")
        }
        let fields: [String?] = [
            String(record.pmid), String(record.version), "false", record.year.map(String.init), record.title,
            record.journal?.isoAbbreviation ?? record.journal?.title, record.journal?.volume, record.journal?.issue, record.pages,
            record.doi, record.pmcid, authors.joined(separator: "; "), record.publicationTypes.joined(separator: "; "),
            record.meshHeadings.map(\.descriptor).joined(separator: "; "), record.keywords.joined(separator: "; "),
            record.languages.joined(separator: "; "), record.status, revised, record.sourceFile, record.abstract,
        ]
        return Array((fields.map { escape($0 ?? "") }.joined(separator: ",") + "\r\n").utf8)
    }

    static func deletion(pmid: Int, version: Int) -> [UInt8] {
        var fields = Array(repeating: "", count: columns.count)
        fields[0] = String(pmid)
        fields[1] = String(version)
        fields[2] = "true"
        return Array((fields.joined(separator: ",") + "\r\n").utf8)
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
