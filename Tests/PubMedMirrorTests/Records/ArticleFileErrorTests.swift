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

/// Damaged, hostile and foreign files fail with one clear error naming the file.
@Suite struct ArticleFileErrorTests {
    /// A folder of its own for each test, removed afterwards.
    private final class TemporaryFolder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("records-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }

        func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
            let file = url.appendingPathComponent(name)
            try Data(bytes).write(to: file)
            return file
        }
    }

    private static func document(_ body: String, doctype: String = "") -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\(doctype)<PubmedArticleSet>\n\(body)\n</PubmedArticleSet>\n"
    }

    private static func article(_ pmid: Int, title: String = "A title") -> String {
        "<PubmedArticle><MedlineCitation Status=\"MEDLINE\"><PMID Version=\"1\">\(pmid)</PMID><Article><ArticleTitle>\(title)</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    }

    /// The genuine interrupted download: the 266 complete records before the cut are delivered
    /// (the 267th is cut off), then the gzip error is thrown, not the XML one.
    @Test func truncatedDownload() throws {
        var pmids: [Int] = []
        let error = try RecordTestData.error {
            try ArticleFile.read(RecordTestData.url(RecordTestData.truncated)) { item in
                if case .record(let record, _) = item { pmids.append(record.pmid) }
            }
        }
        #expect(error.kind == .truncated)
        #expect(error.description == "pubmed23n0001.xml.gz: the gzip stream ends early at byte 212992 (truncated download?)")
        #expect(pmids.count == 266)
        // PMIDs 1…266, not quite in order in NCBI's file (1, 2, 4, 3, 5…); the cut record is 267.
        #expect(pmids.prefix(4) == [1, 2, 4, 3])
        #expect(pmids.sorted() == Array(1...266))
    }

    /// The same bytes, decompressed and fed to the parser alone: an XML error with a line number.
    @Test func truncatedXML() throws {
        var bytes: [UInt8] = []
        _ = try? GzipInflater.readFile(RecordTestData.url(RecordTestData.truncated)) { bytes.append(contentsOf: $0) }
        #expect(bytes.count == 2_009_329)
        var delivered = 0
        let parser = ArticleFileParser(fileName: "pubmed23n0001.xml") { _ in delivered += 1 }
        let error = try RecordTestData.error {
            try bytes.withUnsafeBytes { try parser.feed($0) }
            try parser.finish()
        }
        #expect(error.kind == .xml)
        #expect(delivered == 266)
        let line = try #require(error.line)
        #expect(line > 40_000)
        #expect(error.description.hasPrefix("pubmed23n0001.xml: XML error at line \(line): "))
        #expect(error.byteOffset == 2_009_329)
    }

    @Test(arguments: [1, 1 << 16])
    func malformedXML(chunkSize: Int) throws {
        let text = """
            <?xml version="1.0"?>
            <PubmedArticleSet>
            \(Self.article(1))
            <PubmedArticle><MedlineCitation><PMID Version="1">2</PMID></Medline></PubmedArticle>
            </PubmedArticleSet>
            """
        var items: [ArticleFileItem] = []
        let parser = ArticleFileParser(fileName: "bad.xml") { items.append($0) }
        let error = try RecordTestData.error {
            try Array(text.utf8).withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let count = min(chunkSize, buffer.count - offset)
                    try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count]))
                    offset += count
                }
            }
            try parser.finish()
        }
        #expect(error.kind == .xml)
        #expect(error.line == 4)
        #expect(error.description == "bad.xml: XML error at line 4: Opening and ending tag mismatch: MedlineCitation line 4 and Medline")
        #expect(RecordTestData.records(items).map(\.pmid) == [1])
        // The parser stays failed.
        let again = try RecordTestData.error { try parser.finish() }
        #expect(again.description == error.description)
    }

    /// `<!ENTITY x SYSTEM "file:///…">`: refused at the declaration; the file is never read.
    @Test func externalEntity() throws {
        let folder = try TemporaryFolder()
        let marker = "SECRET-\(UUID().uuidString)"
        let secret = try folder.write("secret.txt", Array(marker.utf8))
        let text = Self.document(Self.article(1, title: "before &xxe; after"),
                                 doctype: "<!DOCTYPE PubmedArticleSet [\n<!ENTITY xxe SYSTEM \"\(secret.absoluteString)\">\n]>\n")
        var seen: [UInt8] = []
        let parser = ArticleFileParser(fileName: "xxe.xml") { item in
            if case .record(let record, let xml) = item { seen += xml + Array("\(record)".utf8) }
        }
        let error = try RecordTestData.error {
            try Array(text.utf8).withUnsafeBytes { try parser.feed($0) }
            try parser.finish()
        }
        #expect(error.kind == .entityDeclaration)
        #expect(error.line == 3)
        #expect(error.description == "xxe.xml: the DOCTYPE declares the entity \"xxe\" at line 3; files that declare entities are refused, so that no entity is ever expanded or loaded")
        #expect(seen.isEmpty)
        #expect(!error.description.contains(marker))
    }

    /// A parameter entity pulling in a file, and an external DTD that would define `&leak;`:
    /// neither file is read. The undeclared `&leak;` is kept as written.
    @Test func externalDTDAndParameterEntity() throws {
        let folder = try TemporaryFolder()
        let marker = "SECRET-\(UUID().uuidString)"
        let dtd = try folder.write("evil.dtd", Array("<!ENTITY leak \"\(marker)\">".utf8))

        let parameter = Self.document(Self.article(1, title: "x"),
                                      doctype: "<!DOCTYPE PubmedArticleSet [<!ENTITY % pe SYSTEM \"\(dtd.absoluteString)\"> %pe;]>\n")
        let refused = try RecordTestData.error { _ = try RecordTestData.parse(parameter) }
        #expect(refused.kind == .entityDeclaration)
        #expect(!refused.description.contains(marker))

        let external = Self.document(Self.article(7, title: "one &leak; two"),
                                     doctype: "<!DOCTYPE PubmedArticleSet SYSTEM \"\(dtd.absoluteString)\">\n")
        let items = try RecordTestData.parse(external)
        let record = try #require(RecordTestData.records(items).first)
        #expect(record.title == "one &leak; two")
        #expect(!"\(items)".contains(marker))
    }

    /// "Billion laughs": refused at the first declaration, before anything is expanded.
    @Test func entityExpansionBomb() throws {
        var declarations = "<!ENTITY lol \"lol\">\n"
        var previous = "lol"
        for level in 1...9 {
            declarations += "<!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">\n"
            previous = "lol\(level)"
        }
        let text = Self.document(Self.article(1, title: "&lol9;"), doctype: "<!DOCTYPE PubmedArticleSet [\n\(declarations)]>\n")
        // Refused at the first declaration (line 3), before any entity could be expanded.
        let error = try RecordTestData.error { _ = try RecordTestData.parse(text) }
        #expect(error.kind == .entityDeclaration)
        #expect(error.description.contains("the DOCTYPE declares the entity \"lol\" at line 3"))
    }

    /// The 2016 MedlineCitationSet format is detected at its root element.
    @Test func legacyFormat() throws {
        var items = 0
        let error = try RecordTestData.error {
            try ArticleFile.read(RecordTestData.url(RecordTestData.legacy)) { _ in items += 1 }
        }
        #expect(error.kind == .unsupportedFormat)
        #expect(error.description.hasPrefix("medline16n0902.xml.gz: unsupported format (pre-2017 MedlineCitationSet)"))
        #expect(items == 0)
    }

    @Test func wrongRootElement() throws {
        let error = try RecordTestData.error {
            _ = try RecordTestData.parse("<?xml version=\"1.0\"?>\n<html><body>Not found</body></html>\n")
        }
        #expect(error.kind == .notPubMed)
        #expect(error.description == "test.xml: not a PubMed file: the root element is <html>, not <PubmedArticleSet>")
        let namespaced = try RecordTestData.error {
            _ = try RecordTestData.parse("<x:PubmedArticleSet xmlns:x=\"urn:x\"/>")
        }
        #expect(namespaced.kind == .notPubMed)
    }

    @Test func notGzip() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("pubmed25n0001.xml.gz", Array(Self.document(Self.article(1)).utf8))
        let error = try RecordTestData.error { try ArticleFile.read(file) { _ in } }
        #expect(error.kind == .notGzip)
        #expect(error.description == "pubmed25n0001.xml.gz: not a gzip file")
        // The same bytes under an .xml name are read as plain XML.
        let plain = try folder.write("pubmed25n0001.xml", Array(Self.document(Self.article(1)).utf8))
        let summary = try ArticleFile.read(plain) { _ in }
        #expect(summary.records == 1)
    }

    @Test(arguments: [("empty.xml.gz", RecordError.Kind.notGzip, "empty.xml.gz: the file is empty, not a gzip file"),
                      ("empty.xml", .notPubMed, "empty.xml: the file is empty (no XML document)")])
    func emptyFile(name: String, kind: RecordError.Kind, description: String) throws {
        let folder = try TemporaryFolder()
        let file = try folder.write(name, [])
        let error = try RecordTestData.error { try ArticleFile.read(file) { _ in } }
        #expect(error.kind == kind)
        #expect(error.description == description)
    }

    /// A gzip file holding nothing (`gzip < /dev/null`) is valid gzip but no XML document.
    @Test func gzipOfNothing() throws {
        let folder = try TemporaryFolder()
        let empty: [UInt8] = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00,
                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        let file = try folder.write("nothing.xml.gz", empty)
        let error = try RecordTestData.error { try ArticleFile.read(file) { _ in } }
        #expect(error.kind == .notPubMed)
        #expect(error.description == "nothing.xml.gz: the file is empty (no XML document)")
    }

    @Test func missingFile() throws {
        let error = try RecordTestData.error {
            try ArticleFile.read(URL(fileURLWithPath: "/nonexistent/pubmed25n0001.xml.gz")) { _ in }
        }
        #expect(error.kind == .io)
        #expect(error.description == "pubmed25n0001.xml.gz: open failed: No such file or directory")
    }

    /// An error thrown by the handler stops the parse and comes back as `.handler`.
    @Test func handlerErrorStopsTheParse() throws {
        struct Full: Error {}
        var delivered: [Int] = []
        let error = try RecordTestData.error {
            try ArticleFile.read(RecordTestData.url(RecordTestData.largerBaseline)) { item in
                guard case .record(let record, _) = item else { return }
                delivered.append(record.pmid)
                if delivered.count == 3 { throw Full() }
            }
        }
        #expect(error.kind == .handler)
        #expect(error.underlying is Full)
        #expect(error.description.hasPrefix("pubmed20n1015.xml.gz: processing the records failed: "))
        #expect(delivered == [31839728, 31839729, 31839730])
    }

    @Test func recordWithoutPMID() throws {
        let text = Self.document("<PubmedArticle><MedlineCitation><Article><ArticleTitle>T</ArticleTitle></Article></MedlineCitation></PubmedArticle>")
        let error = try RecordTestData.error { _ = try RecordTestData.parse(text) }
        #expect(error.kind == .invalidRecord)
        #expect(error.description == "test.xml: a <PubmedArticle> without a PMID at line 3")
    }

    /// PMIDs and versions beyond what the stores keep (32-bit), and years that are no years, are
    /// refused or left out rather than crashing the indexer (an 18-digit year overflowed its sort
    /// date) or failing a PostgreSQL COPY.
    @Test func outOfRangeNumbers() throws {
        for (pmid, version) in [("3000000000", "1"), ("0", "1"), ("12", "2147483648")] {
            let text = Self.document("<PubmedArticle><MedlineCitation><PMID Version=\"\(version)\">\(pmid)</PMID></MedlineCitation></PubmedArticle>")
            let error = try RecordTestData.error { _ = try RecordTestData.parse(text) }
            #expect(error.kind == .invalidRecord)
            #expect(error.description.contains("out of range (1 to 2147483647)"), "\(error.description)")
        }
        let deletion = Self.document("<DeleteCitation><PMID Version=\"1\">99999999999</PMID></DeleteCitation>")
        #expect(try RecordTestData.error { _ = try RecordTestData.parse(deletion) }.kind == .invalidRecord)
        let text = Self.document("""
            <PubmedArticle><MedlineCitation><PMID Version="1">7</PMID><Article><Journal><JournalIssue><PubDate>
            <Year>123456789012345678</Year></PubDate></JournalIssue></Journal><ArticleTitle>T</ArticleTitle></Article>
            <CommentsCorrectionsList><CommentsCorrections RefType="ErratumIn"><RefSource>X</RefSource><PMID Version="1">99999999999</PMID>
            </CommentsCorrections></CommentsCorrectionsList></MedlineCitation></PubmedArticle>
            """)
        let records = try RecordTestData.parse(text).compactMap { item -> PubMedRecord? in
            if case .record(let record, _) = item { record } else { nil }
        }
        #expect(records.count == 1 && records.first?.pmid == 7)
        #expect(records.first?.year == nil, "no usable year")
        #expect(records.first?.commentsCorrections.first?.pmid == nil, "no usable PMID")
        #expect(RecordPreparer.sortDate(try #require(records.first)) == nil)
        // A month or a day that is none is left out of the sort date (a ten-digit day overflowed
        // PostgreSQL's integer column and refused the whole file).
        var dated = try #require(records.first)
        dated.year = 2020
        dated.pubDate = PubMedRecord.PubDate(year: 2020, month: 1, day: 3_000_000_000)
        #expect(RecordPreparer.sortDate(dated) == 2020_01_00)
        dated.pubDate = PubMedRecord.PubDate(year: 2020, month: 13, day: 5)
        #expect(RecordPreparer.sortDate(dated) == 2020_00_00)
        dated.pubDate = PubMedRecord.PubDate(year: 2020, month: 2, day: 29)
        #expect(RecordPreparer.sortDate(dated) == 2020_02_29)
    }

    @Test func nestedRecord() throws {
        let text = Self.document("<PubmedArticle><MedlineCitation><PMID>1</PMID><Article>\(Self.article(2))</Article></MedlineCitation></PubmedArticle>")
        let error = try RecordTestData.error { _ = try RecordTestData.parse(text) }
        #expect(error.kind == .invalidRecord)
        #expect(error.description.hasPrefix("test.xml: a <PubmedArticle> element inside another record at line 3"))
    }

    /// A deletion where it would be skipped, and a version that is no number (read as 1 it would
    /// replace or delete version 1), fail the file rather than be lost or misread.
    @Test func misplacedDeletionsAndVersionsThatAreNoNumbers() throws {
        let inside = Self.document("<PubmedArticle><MedlineCitation><PMID>1</PMID><DeleteCitation><PMID Version=\"1\">5</PMID></DeleteCitation></MedlineCitation></PubmedArticle>")
        let misplaced = try RecordTestData.error { _ = try RecordTestData.parse(inside) }
        #expect(misplaced.kind == .invalidRecord)
        #expect(misplaced.description.hasPrefix("test.xml: a <DeleteCitation> element inside <MedlineCitation> at line 3"), "\(misplaced.description)")
        for version in ["2.0", "", "v2"] {
            for body in ["<PubmedArticle><MedlineCitation><PMID Version=\"\(version)\">7</PMID></MedlineCitation></PubmedArticle>",
                         "<DeleteCitation><PMID Version=\"\(version)\">7</PMID></DeleteCitation>"] {
                let error = try RecordTestData.error { _ = try RecordTestData.parse(Self.document(body)) }
                #expect(error.kind == .invalidRecord)
                #expect(error.description.contains("the PMID's Version \"\(version)\" is not a number"), "\(error.description)")
            }
        }
    }

    /// A field of more text than any PubMed record has fails the file, rather than be held whole in
    /// memory (a gigabyte of white space is a megabyte of gzip); one just under the bound is read.
    @Test func aFieldOfMoreThanSixteenMegabytesFailsTheFile() throws {
        let huge = String(repeating: "word ", count: (RecordAssembler.maximumField / 5) + 1)
        let text = Self.document("<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>T</ArticleTitle><Abstract><AbstractText>\(huge)</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>")
        let error = try RecordTestData.error { _ = try RecordTestData.parse(text) }
        #expect(error.kind == .invalidRecord)
        #expect(error.description.contains("a field of more than 16 MB of text"), "\(error.description.prefix(200))")
        let large = String(repeating: "word ", count: 1 << 20)
        let fine = Self.document("<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>T</ArticleTitle><Abstract><AbstractText>\(large)</AbstractText></Abstract></Article></MedlineCitation></PubmedArticle>")
        #expect(try RecordTestData.parse(fine).count == 1)
    }

    /// Unknown elements and attributes (a newer DTD) are ignored, whole subtrees included.
    @Test func unknownElementsAreIgnored() throws {
        let text = Self.document("""
            <FutureThing a="1"><PMID>99</PMID></FutureThing>
            <PubmedArticle New="x"><MedlineCitation Status="MEDLINE" Extra="y"><PMID Version="3">5</PMID>\
            <NewElement><ArticleTitle>wrong</ArticleTitle></NewElement>\
            <Article><ArticleTitle>Right <new>words</new> kept</ArticleTitle><Journal><Title>J</Title></Journal></Article>\
            </MedlineCitation></PubmedArticle>
            """)
        let records = RecordTestData.records(try RecordTestData.parse(text))
        #expect(records.count == 1)
        #expect(records.first?.pmid == 5 && records.first?.version == 3)
        #expect(records.first?.title == "Right words kept")
        #expect(records.first?.journal?.title == "J")
    }
}
