import Foundation
import Testing
@testable import PubMedCitations
@testable import PubMedRecords

/// Real readers of each format read what the renderers write: every record of the larger 2020
/// baseline sample and the book record, in one file per format, read by
/// `Tests/Readers/read_citations.py` (Bio.Medline, rispy, bibtexparser with LaTeX decoding,
/// citeproc-py, from `.venv-test`: `Scripts/install-test-deps`), which prints what it found.
/// Title, people, groups, journal, year and DOI must come back as the record has them, after the
/// formats' documented changes only (a person as "Last, First", Bio.Medline's pieces of a wrapped
/// group name joined with spaces).
@Suite(.heavyweight) struct CitationReaderTests {
    /// What a reader found in one record.
    struct Read: Decodable {
        var pmid: Int
        var type: String?
        var key: String?
        var title: String?
        var authors: [String]
        var groups: String?
        var journal: String?
        var year: Int?
        var doi: String?
        var book: String?
        var editors: [String]?
        var publisher: String?
        var rendered: String?
    }

    /// The current version of each PMID (the sample holds some PMIDs in several versions, and
    /// a key or id names one record), in file order, then the book.
    static let records = Result {
        let all = try RecordTestData.largerBaselineContents.get().records.map(\.record)
        let current = Dictionary(all.map { ($0.pmid, $0.version) }, uniquingKeysWith: max)
        return all.filter { current[$0.pmid] == $0.version } + [try MedlineFormatTests.book()]
    }

    @Test(arguments: CitationFormat.allCases)
    func aRealReaderReadsEveryRecord(format: CitationFormat) async throws {
        let records = try Self.records.get()
        let found = try await Self.read(records, as: format)
        #expect(found.map(\.pmid) == records.map(\.pmid))
        for (record, read) in zip(records, found) {
            Self.compare(record, read, format)
        }
    }

    static func compare(_ record: PubMedRecord, _ read: Read, _ format: CitationFormat) {
        let context = Comment(rawValue: "\(format.rawValue) \(record.pmid)")
        #expect(read.title == record.title, context)
        // A part of a book: its book's title where the format has one (CSL-JSON's container-title).
        let book = record.book?.isPart == true ? record.book?.title : nil
        #expect(read.journal == record.journal?.title ?? (format == .cslJSON ? book : nil), context)
        if format != .cslJSON { #expect(read.book == book, context) }
        #expect(read.publisher == record.book?.publisher, context)
        let editors = record.book?.editors ?? []
        #expect(read.year == CitationText.dateParts(record).first, context)
        #expect(read.doi == CitationText.doi(record), context)
        let people = record.authors.filter { $0.collectiveName == nil }
        let groups = record.authors.compactMap(\.collectiveName)
        switch format {
        case .medline:
            #expect(read.authors == people.map(MedlineFormat.fullName), context)
            #expect(read.editors == editors.map(MedlineFormat.fullName), context)
            #expect(read.groups == groups.joined(separator: " "), context)
        case .ris:
            #expect(read.authors == record.authors.compactMap(RISFormat.name), context)
            #expect(read.editors == editors.compactMap(RISFormat.name), context)
            #expect(read.type == (record.kind == .book ? (book == nil ? "BOOK" : "CHAP") : "JOUR"), context)
        case .bibtex:
            let names = record.authors.compactMap { author in
                author.collectiveName ?? author.lastName.map { last in
                    [last, author.suffix, CitationText.givenName(author)].compactMap { $0 }.joined(separator: ", ")
                }
            }
            #expect(read.authors == names, context)
            #expect(read.editors == editors.map { [$0.lastName, $0.suffix, CitationText.givenName($0)].compactMap { $0 }.joined(separator: ", ") }, context)
            #expect(read.key == "pmid\(record.pmid)" && read.type == (record.kind == .book ? (book == nil ? "book" : "incollection") : "article"), context)
        case .cslJSON:
            #expect(read.authors == people.map { "\($0.lastName ?? ""), \(CitationText.givenName($0) ?? "")" }, context)
            #expect(read.groups == groups.joined(separator: " "), context)
            #expect(read.editors == editors.map { "\($0.lastName ?? ""), \(CitationText.givenName($0) ?? "")" }, context)
            #expect(read.type == (record.kind == .book ? (book == nil ? "book" : "chapter") : "article-journal"), context)
            // citeproc-py rendered a bibliography entry for every item, with its year.
            #expect(read.rendered?.contains(read.year.map(String.init) ?? "") == true, context)
        }
    }

    /// Writes `records` as one output of `format` and returns what
    /// the format's reader found in it.
    static func read(_ records: [PubMedRecord], as format: CitationFormat) async throws -> [Read] {
        let text = format.render(records)
        let file = try TestPaths.temporaryDirectory("citations").appendingPathComponent("records.\(format.rawValue)")
        try Data(text.utf8).write(to: file)
        let python = TestPaths.repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Readers/read_citations.py").path
        let run = try await ChildProcess.run(python, [script, format.rawValue, file.path])
        try #require(run.status == 0, "read_citations.py \(format.rawValue) failed (run Scripts/install-test-deps): \(run.stderr)")
        return try JSONDecoder().decode([Read].self, from: Data(run.stdout.utf8))
    }
}

extension CitationFormat: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}
