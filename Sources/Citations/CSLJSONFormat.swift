import Foundation
import PubMedRecords

/// CSL-JSON, the citation data of Zotero, Pandoc and citeproc: one item object per record
/// (`type` "article-journal", or "book" for a book record and "chapter" for a part of a book, whose
/// `container-title` is the book's title), written by `CitationFormat` into
/// one array for the whole output. Dates are `{"date-parts": [[year, month, day]]}` with as
/// many parts as are known; people are `{"family", "given"}`, groups `{"literal"}`.
enum CSLJSONFormat {
    /// One item; absent values are left out.
    struct Item: Encodable {
        struct Name: Encodable {
            var family: String?
            var given: String?
            var suffix: String?
            var literal: String?
        }
        struct DateParts: Encodable {
            var dateParts: [[Int]]
            enum CodingKeys: String, CodingKey { case dateParts = "date-parts" }
        }

        var id: String
        var type: String
        var title: String?
        var containerTitle: String?
        var containerTitleShort: String?
        var author: [Name]?
        var editor: [Name]?
        var publisher: String?
        var publisherPlace: String?
        var edition: String?
        var issued: DateParts?
        var volume: String?
        var issue: String?
        var page: String?
        var DOI: String?
        var PMID: String
        var PMCID: String?
        var ISSN: String?
        var abstract: String?
        var language: String?
        var URL: String

        enum CodingKeys: String, CodingKey {
            case id, type, title, author, editor, publisher, edition, issued, volume, issue, page, DOI, PMID, PMCID, ISSN, abstract, language, URL
            case containerTitle = "container-title", containerTitleShort = "container-title-short", publisherPlace = "publisher-place"
        }
    }

    static func render(_ record: PubMedRecord) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, numbers and arrays of them cannot fail.
        let data = (try? encoder.encode(item(record))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func item(_ record: PubMedRecord) -> Item {
        let date = CitationText.dateParts(record)
        let book = record.book
        let part = book?.isPart == true
        return Item(
            id: "pmid\(record.pmid)", type: record.kind == .book ? (part ? "chapter" : "book") : "article-journal",
            title: nonEmpty(record.title), containerTitle: record.journal?.title ?? (part ? book?.title : nil),
            containerTitleShort: record.journal?.isoAbbreviation ?? record.journal?.medlineTA,
            author: record.authors.isEmpty ? nil : record.authors.map(name),
            editor: book.flatMap { $0.editors.isEmpty ? nil : $0.editors.map(name) },
            publisher: book?.publisher, publisherPlace: book?.publisherLocation, edition: book?.edition,
            issued: date.isEmpty ? nil : Item.DateParts(dateParts: [date]),
            volume: record.journal?.volume ?? book?.volume, issue: record.journal?.issue, page: CitationText.fullPages(record.pages),
            DOI: CitationText.doi(record), PMID: String(record.pmid), PMCID: record.pmcid, ISSN: CitationText.issn(record),
            abstract: CitationText.abstract(record), language: record.languages.first.flatMap(LanguageName.tag),
            URL: CitationText.bookshelfURL(record) ?? CitationText.url(record)
        )
    }

    static func name(_ author: PubMedRecord.Author) -> Item.Name {
        if let group = author.collectiveName { return Item.Name(literal: group) }
        return Item.Name(family: author.lastName, given: CitationText.givenName(author), suffix: author.suffix)
    }

    private static func nonEmpty(_ text: String) -> String? { text.isEmpty ? nil : text }
}
