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

/// The `xml` of each record is its exact bytes in the file, whatever the chunking.
@Suite(.heavyweight) struct ArticleFileRawXMLTests {
    /// Files of both layouts: NCBI's indented one (excerpt, book) and pmparser's one-line records
    /// with a DeleteCitation block (2020 update sample).
    static let files = [
        "pmparser-samples/2020/updatefiles/pubmed20n1016.xml.gz",
        "pmparser-samples/2021/updatefiles/pubmed21n1063.xml.gz",
        RecordTestData.book,
        "fixture:pubmed20n0014-excerpt.xml",
    ]

    private static func url(_ name: String) throws -> URL {
        name.hasPrefix("fixture:") ? try RecordTestData.fixture(String(name.dropFirst(8))) : RecordTestData.url(name)
    }

    /// Split tags, split UTF-8 sequences, split `</PubmedArticle>`: the items are the same.
    @Test(arguments: files)
    func chunkingDoesNotMatter(name: String) throws {
        let bytes = try RecordTestData.decompressed(try Self.url(name))
        let reference = try RecordTestData.parse(bytes, chunkSize: 1 << 16)
        #expect(!reference.isEmpty)
        for chunkSize in [1, 7, 4093] {
            let items = try RecordTestData.parse(bytes, chunkSize: chunkSize)
            #expect(items.count == reference.count)
            #expect(items == reference, "chunk size \(chunkSize)")
        }
    }

    /// The larger sample (756 records, 5.7 MB) in 7-byte and 64 KiB pieces.
    @Test func chunkingOfTheLargerSample() throws {
        let bytes = try RecordTestData.decompressed(RecordTestData.url(RecordTestData.largerBaseline))
        let reference = try RecordTestData.parse(bytes, chunkSize: 1 << 16)
        #expect(reference.count == 756)
        #expect(try RecordTestData.parse(bytes, chunkSize: 7) == reference)
        // Fed by ArticleFile.read (gunzip output, 256 KiB pieces): the same bytes again.
        let fromFile = try RecordTestData.largerBaselineContents.get().records
        let referenceXML = reference.compactMap { item -> [UInt8]? in
            if case .record(_, let xml) = item { xml } else { nil }
        }
        #expect(fromFile.map(\.xml) == referenceXML)
    }

    /// The records' bytes, with what lies between them, rebuild the decompressed file exactly;
    /// between two records there is only white space.
    @Test(arguments: files + [RecordTestData.largerBaseline, RecordTestData.largerUpdate])
    func xmlIsTheFileItself(name: String) throws {
        let bytes = try RecordTestData.decompressed(try Self.url(name))
        let records = try RecordTestData.parse(bytes, chunkSize: 1 << 16).compactMap { item -> [UInt8]? in
            if case .record(_, let xml) = item { xml } else { nil }
        }
        var rebuilt: [UInt8] = []
        var position = 0
        for xml in records {
            let start = try #require(Self.nextRecordStart(in: bytes, from: position))
            let gap = bytes[position..<start]
            if position > 0 { #expect(gap.allSatisfy { TextBytes.isSpace($0) }) }
            #expect(Array(bytes[start..<min(bytes.count, start + xml.count)]) == xml)
            rebuilt += gap
            rebuilt += xml
            position = start + xml.count
        }
        rebuilt += bytes[position...]
        #expect(rebuilt == bytes)
        #expect(Self.nextRecordStart(in: bytes, from: position) == nil)
    }

    /// Each record's bytes, parsed alone inside a bare `PubmedArticleSet`, give the same record.
    @Test(arguments: files + [RecordTestData.largerBaseline])
    func xmlParsesBackToTheSameRecord(name: String) throws {
        let items = try RecordTestData.parse(try RecordTestData.decompressed(try Self.url(name)), chunkSize: 1 << 16)
        var count = 0
        for case .record(let record, let xml) in items {
            let document = Array("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PubmedArticleSet>".utf8) + xml
                + Array("</PubmedArticleSet>\n".utf8)
            let again = try RecordTestData.parse(document, chunkSize: 1 << 16)
            #expect(again == [.record(record, xml: xml)])
            count += 1
        }
        #expect(count > 0)
    }

    /// Markup the scanner must step over: comments, CDATA and a processing instruction holding
    /// record tags, an attribute value with `>` and `/`, an empty record element elsewhere.
    @Test(arguments: [1, 3, 1 << 16])
    func trickyMarkup(chunkSize: Int) throws {
        let first = """
            <PubmedArticle  note="a > b / c"><!-- </PubmedArticle> --><MedlineCitation Status="MEDLINE"><PMID Version="2">11</PMID>\
            <Article><ArticleTitle>One <![CDATA[<PubmedArticle></PubmedArticle> & x]]> two<?pi </PubmedArticle>?></ArticleTitle>\
            </Article></MedlineCitation></PubmedArticle >
            """
        let second = """
            <PubmedBookArticle><BookDocument><PMID Version="1">12</PMID><Book><BookTitle>B</BookTitle></Book>\
            </BookDocument></PubmedBookArticle>
            """
        let text = """
            <?xml version="1.0"?>
            <!-- <PubmedArticle> in a comment before the root -->
            <!DOCTYPE PubmedArticleSet [
              <!ELEMENT PubmedArticleSet ANY>
              <!-- <PubmedArticle> "quoted -->
              <!NOTATION odd SYSTEM "<PubmedArticle>">
            ]>
            <PubmedArticleSet>
            \(first)
            <?keep <PubmedArticle>?>
            \(second)
            <DeleteCitation><PMID Version="3">13</PMID><PMID>14</PMID></DeleteCitation>
            </PubmedArticleSet>
            """
        let items = try RecordTestData.parse(Array(text.utf8), chunkSize: chunkSize)
        #expect(items.count == 4)
        guard items.count == 4 else { return }
        guard case .record(let one, let oneXML) = items[0], case .record(let two, let twoXML) = items[1] else {
            Issue.record("records expected")
            return
        }
        #expect(one.pmid == 11 && one.version == 2)
        #expect(one.title == "One <PubmedArticle></PubmedArticle> & x two")
        #expect(String(decoding: oneXML, as: UTF8.self) == first)
        #expect(two.kind == .book && two.title == "B")
        #expect(String(decoding: twoXML, as: UTF8.self) == second)
        #expect(items[2] == .deletion(pmid: 13, version: 3))
        #expect(items[3] == .deletion(pmid: 14, version: 1))
    }

    private static func nextRecordStart(in bytes: [UInt8], from position: Int) -> Int? {
        let article = Array("<PubmedArticle>".utf8)
        let book = Array("<PubmedBookArticle>".utf8)
        var index = position
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "<") {
                if bytes[index...].starts(with: article) || bytes[index...].starts(with: book) { return index }
            }
            index += 1
        }
        return nil
    }
}
