import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// The hand-written JSON writer must give exactly what JSONEncoder gives for the same record, and
/// the stored JSON must give back the search text of the record it came from.
@Suite(.heavyweight) struct RecordJSONWriterTests {
    static func foundation(_ record: PubMedRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(record))
    }

    @Test(arguments: [
        "pmparser-samples/2020-larger/baseline/pubmed20n1015.xml.gz",
        "pmparser-samples/2020-larger/updatefiles/pubmed20n1016.xml.gz",
        "pmparser-samples/2024/baseline/pubmed24n1219.xml.gz",
        "pmparser-samples/2026/updatefiles/pubmed26n1335.xml.gz",
        "efetch-samples/metapub_20301546_book.xml",
        "efetch-samples/biopython_pubmed2.xml",
        "ncbi-full/pubmed20n0014.xml.gz",
    ])
    func matchesJSONEncoderOnEveryRealRecord(path: String) throws {
        var checked = 0
        var mismatches: [Int] = [], searchMismatches: [Int] = []
        _ = try ArticleFile.read(TestPaths.sharedData.appendingPathComponent(path)) { item in
            guard case .record(var record, _) = item else { return }
            record.sourceFile = "pubmed99n0001.xml.gz"
            let json = RecordJSONWriter.encode(record)
            if json != (try Self.foundation(record)) { mismatches.append(record.pmid) }
            // The search index is told to remove a row with the text rebuilt from the stored JSON:
            // it must be the text that was indexed from the parsed record.
            let decoded = try JSONDecoder().decode(PubMedRecord.self, from: Data(json))
            if SearchDocument(decoded) != SearchDocument(record) { searchMismatches.append(record.pmid) }
            if SearchDocument(json: json) != SearchDocument(record) { searchMismatches.append(record.pmid) }
            checked += 1
        }
        #expect(checked > 0)
        #expect(mismatches.isEmpty, "differs for PMIDs \(mismatches.prefix(10))")
        #expect(searchMismatches.isEmpty, "search text differs after a JSON round trip for PMIDs \(searchMismatches.prefix(10))")
    }

    @Test func matchesJSONEncoderOnAwkwardText() throws {
        var record = PubMedRecord(pmid: 1, version: 2)
        record.title = "Quotes \" and \\ backslash / slash \u{01}\u{08}\u{0C}\n\r\t\u{1F} é 中文 🧬 \u{2028}\u{2029} \u{7F} <b>&amp;</b>"
        record.grants = [PubMedRecord.Grant()]
        record.authors = [PubMedRecord.Author(lastName: "", collectiveName: "CONSORTIUM \"X\"")]
        record.meshHeadings = [PubMedRecord.MeshHeading(descriptor: "D", majorTopic: true,
                                                        qualifiers: [PubMedRecord.MeshQualifier(name: "q", ui: nil, majorTopic: false)])]
        record.year = -1
        record.pubDate = PubMedRecord.PubDate()
        #expect(RecordJSONWriter.encode(record) == (try Self.foundation(record)))
        record.vernacularTitle = "Titre \u{1F9EC} \"x\""
        record.abstract = "Line one\nline two \u{0} end"
        record.otherAbstracts = [PubMedRecord.OtherAbstract(text: "Résumé\t\"cité\"")]
        record.keywords = ["a\\b", ""]
        record.publicationTypes = ["Review", "Journal Article"]
        record.journal = PubMedRecord.Journal(title: "J \"Q\"", isoAbbreviation: "")
        record.authors += [PubMedRecord.Author(lastName: "Ng", foreName: nil, initials: "")]
        #expect(SearchDocument(json: RecordJSONWriter.encode(record)) == SearchDocument(record))
    }

    @Test func searchDocumentFromJSONRefusesWhatIsNotARecord() {
        for bad in [#"{"title":"open"#, #"{"title":1}"#, #"["title"]"#, #"{"pmid":1}"#, "", #"{"title":"x","keywords":["y"}"#] {
            #expect(SearchDocument(json: Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}
