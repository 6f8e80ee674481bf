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

/// The JSON encoding of `PubMedRecord` is the public JSON shape.
@Suite struct PubMedRecordTests {
    private static func json(_ record: PubMedRecord) throws -> [String: Any] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(record)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func propertyNames() throws {
        let record = try RecordTestData.largerBaselineContents.get().record(31839731)
        let object = try Self.json(record)
        #expect(Set(object.keys) == [
            "pmid", "version", "kind", "status", "title", "abstract", "abstractSections", "otherAbstracts", "authors",
            "journal", "pubDate", "year", "articleDates", "pages", "elocationIds", "articleIds", "doi", "pmcid",
            "languages", "publicationTypes", "publicationTypeUIs", "meshHeadings", "keywordLists", "keywords", "chemicals", "grants",
            "commentsCorrections", "dateRevised", "owner", "citationSubsets", "investigators", "history",
            "publicationStatus", "conflictOfInterest",
        ])
        let journal = try #require(object["journal"] as? [String: Any])
        #expect(Set(journal.keys) == ["title", "isoAbbreviation", "medlineTA", "nlmUniqueID", "country", "issn",
                                      "issnType", "issnLinking", "volume", "issue"])
        let author = try #require((object["authors"] as? [[String: Any]])?.first)
        #expect(Set(author.keys) == ["lastName", "foreName", "initials", "orcid", "affiliations"])
        #expect(object["kind"] as? String == "article")
        #expect(object["pubDate"] as? [String: String] == ["medlineDate": "2019 Sep-Oct"])
        let section = try #require((object["abstractSections"] as? [[String: Any]])?.first)
        #expect(Set(section.keys) == ["label", "nlmCategory", "text"])
        let other = try #require((object["otherAbstracts"] as? [[String: Any]])?.first)
        #expect(Set(other.keys) == ["type", "language", "text"])
        let elocation = try #require((object["elocationIds"] as? [[String: Any]])?.first)
        #expect(elocation["valid"] as? Bool == true)
    }

    /// Nested shapes not in that record: MeSH, chemicals, grants, comments, completion date.
    @Test func nestedPropertyNames() throws {
        let record = try RecordTestData.excerptContents.get().record(400712)
        let object = try Self.json(record)
        let mesh = try #require((object["meshHeadings"] as? [[String: Any]])?.first { ($0["qualifiers"] as? [Any])?.isEmpty == false })
        #expect(Set(mesh.keys) == ["descriptor", "descriptorUI", "majorTopic", "qualifiers"])
        let qualifier = try #require((mesh["qualifiers"] as? [[String: Any]])?.first)
        #expect(Set(qualifier.keys) == ["name", "ui", "majorTopic"])
        let grant = try #require((object["grants"] as? [[String: Any]])?.first)
        #expect(Set(grant.keys) == ["grantID", "acronym", "agency", "country"])
        let comment = try #require((object["commentsCorrections"] as? [[String: Any]])?.first)
        #expect(Set(comment.keys) == ["refType", "refSource", "pmid"])
        #expect(comment["refType"] as? String == "RetractionIn")
        #expect(comment["pmid"] as? Int == 6106651)
        let completed = try #require(object["dateCompleted"] as? [String: Int])
        #expect(Set(completed.keys) == ["year", "month", "day"])
        let chemicals = try RecordTestData.excerptContents.get().record(399319)
        let chemical = try #require((try Self.json(chemicals)["chemicals"] as? [[String: String]])?.first)
        #expect(chemical == ["name": "Leucomycins", "registryNumber": "0", "ui": "D007933"])
    }

    /// Absent values are left out; empty lists are written.
    @Test func minimalRecord() throws {
        var record = PubMedRecord(pmid: 5, version: 2, kind: .book)
        record.sourceFile = "pubmed25n0001.xml.gz"
        let object = try Self.json(record)
        #expect(object["pmid"] as? Int == 5)
        #expect(object["version"] as? Int == 2)
        #expect(object["kind"] as? String == "book")
        #expect(object["title"] as? String == "")
        #expect(object["sourceFile"] as? String == "pubmed25n0001.xml.gz")
        #expect(object["doi"] == nil && object["journal"] == nil && object["abstract"] == nil && object["status"] == nil)
        #expect((object["authors"] as? [Any])?.isEmpty == true)
    }

    /// Every record of the larger sample survives a JSON round trip unchanged.
    @Test func roundTrip() throws {
        let records = try RecordTestData.largerBaselineContents.get().records.map(\.record)
        let data = try JSONEncoder().encode(records)
        #expect(try JSONDecoder().decode([PubMedRecord].self, from: data) == records)
    }
}

/// The byte-level helpers behind the fields.
@Suite struct RecordsTextBytesTests {
    @Test(arguments: [("Mar", 3), ("03", 3), ("3", 3), ("mar", 3), ("March", 3), ("Dec", 12), (" 12 ", 12),
                      ("13", nil), ("0", nil), ("Spring", nil), ("", nil), ("Ma", nil)] as [(String, Int?)])
    func month(text: String, expected: Int?) {
        #expect(TextBytes.month(Array(text.utf8)) == expected)
    }

    @Test(arguments: [("1979 Jul-Sep", 1979), ("1998 Dec-1999 Jan", 1998), ("Winter 2019-2020", 2019),
                      ("12345 2001", 2001), ("no year", nil), ("", nil)] as [(String, Int?)])
    func firstYear(text: String, expected: Int?) {
        #expect(TextBytes.firstYear(in: text) == expected)
    }

    @Test(arguments: [("0000-0002-6006-3420", "0000-0002-6006-3420"),
                      ("http://orcid.org/0000-0002-6006-3420", "0000-0002-6006-3420"),
                      ("https://ORCID.org/0000-0001-5102-369X/", "0000-0001-5102-369X"),
                      ("0000-0002-6215-09", "0000-0002-6215-09")])
    func orcid(text: String, expected: String) {
        #expect(TextBytes.bareORCID(text) == expected)
    }

    @Test(arguments: [("  a \n\t b  ", "a b"), ("x", "x"), ("", ""), (" \n ", ""),
                      ("\u{A0}Name\u{A0} ", "Name"), ("a\u{A0}b", "a\u{A0}b"), ("é  ü", "é ü")])
    func flattened(text: String, expected: String) {
        var bytes = Array(text.utf8)
        #expect(TextBytes.flattened(&bytes) == expected)
    }

    /// The word-at-a-time path against the rule itself, on texts long enough to reach it: white
    /// space runs and single spaces at every offset within and across eight-byte words.
    @Test func collapsingWhitespaceMatchesTheRuleAtEveryOffset() {
        let pieces = ["a", "bc", " ", "  ", "\t", "\n", "\r\n", "é", "\u{1}", "word", " x ", "\u{A0}"]
        // SplitMix64 with a fixed seed: the same texts on every run.
        var state: UInt64 = 0x5EED
        func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
        }
        for length in 0..<40 {
            for _ in 0..<60 {
                var text = ""
                while text.utf8.count < length { text += pieces[next() % pieces.count] }
                var bytes = Array(text.utf8)
                let kept = bytes.withUnsafeMutableBufferPointer { TextBytes.collapseWhitespace($0) }
                // The rule: runs of the four XML white-space bytes become one space, none at the ends.
                let expected = text.utf8.split(whereSeparator: TextBytes.isSpace).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                #expect(String(decoding: bytes[..<kept], as: UTF8.self) == expected, "\(Array(text.utf8))")
            }
        }
    }

    /// Each test of eight bytes against the bytes one by one, on words that mix lanes that borrow,
    /// lanes with the high bit set and spaces at both ends.
    @Test(arguments: [[0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68], [0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20],
                      [0x20, 0x62, 0x00, 0x21, 0x1F, 0x20, 0x80, 0xFF], [0x7F, 0x80, 0xFF, 0x20, 0x41, 0x20, 0x20, 0x09],
                      [0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x1F], [0xC3, 0xA9, 0x20, 0xA0, 0xC2, 0x20, 0x0A, 0x0D]] as [[UInt8]])
    func wordTests(bytes: [UInt8]) {
        let word = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        #expect(TextBytes.hasByteBelowSpace(word) == bytes.contains { $0 < 0x20 })
        let lanes = (0..<8).filter { TextBytes.spaceLanes(word) >> (8 * UInt64($0) + 7) & 1 == 1 }
        #expect(lanes == (0..<8).filter { bytes[$0] == 0x20 })
    }

    @Test(arguments: [("123", 123), (" 42\n", 42), ("4 2", nil), ("-1", nil), ("", nil), ("x1", nil),
                      ("1234567890123456789", nil)] as [(String, Int?)])
    func integer(text: String, expected: Int?) {
        #expect(TextBytes.integer(Array(text.utf8)) == expected)
    }
}
