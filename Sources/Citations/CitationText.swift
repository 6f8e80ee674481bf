import Foundation
import PubMedRecords

/// The pieces of a record every format needs, worked out once: names, dates, pages, links.
enum CitationText {
    static let monthAbbreviations = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "Feb" for 2; nil outside 1–12.
    static func month(_ month: Int?) -> String? {
        guard let month, (1...12).contains(month) else { return nil }
        return monthAbbreviations[month - 1]
    }

    /// The publication date as PubMed prints it: "2020 Feb 15", "1990 Spring", or the
    /// `MedlineDate` as written ("1979 Jul-Sep").
    static func publicationDate(_ record: PubMedRecord) -> String? {
        guard let date = record.pubDate else { return record.year.map(String.init) }
        if let medlineDate = date.medlineDate { return medlineDate }
        guard let year = date.year else { return nil }
        var parts = [String(year)]
        if let season = date.season {
            parts.append(season)
        } else if let month = month(date.month) {
            parts.append(month)
            if let day = date.day { parts.append(String(day)) }
        }
        return parts.joined(separator: " ")
    }

    /// The electronic publication date (`ArticleDate`), if the record has one with a year.
    static func electronicDate(_ record: PubMedRecord) -> PubMedRecord.ArticleDate? {
        record.articleDates.first { ($0.dateType ?? "Electronic") == "Electronic" && $0.year != nil }
    }

    /// "2019 Dec 15" (as much of it as is known).
    static func text(_ date: PubMedRecord.ArticleDate) -> String {
        var parts = [date.year.map(String.init) ?? ""]
        if let month = month(date.month) {
            parts.append(month)
            if let day = date.day { parts.append(String(day)) }
        }
        return parts.joined(separator: " ")
    }

    /// The year, month and day the record was published, as far as they are known: the
    /// `PubDate`, with the year from `MedlineDate` when that is all there is.
    static func dateParts(_ record: PubMedRecord) -> [Int] {
        guard let year = record.pubDate?.year ?? record.year else { return [] }
        guard let month = record.pubDate?.month, record.pubDate?.year != nil else { return [year] }
        guard let day = record.pubDate?.day else { return [year, month] }
        return [year, month, day]
    }

    /// The first and last page of `MedlinePgn`'s first range, the last written out in full
    /// (`123-9` gives 123 and 129, `H173-90` H173 and H190, as MEDLINE abbreviates the last page);
    /// nil for the last page when there is none.
    static func pageRange(_ pages: String?) -> (first: String, last: String?)? {
        ranges(pages).first
    }

    /// Every range of `MedlinePgn` (`21-2, 24` is two), each with its last page in full: `21-22, 24`.
    static func fullPages(_ pages: String?, dash: String = "-") -> String? {
        let ranges = ranges(pages)
        guard !ranges.isEmpty else { return nil }
        return ranges.map { range in range.last.map { range.first + dash + $0 } ?? range.first }.joined(separator: ", ")
    }

    private static func ranges(_ pages: String?) -> [(first: String, last: String?)] {
        // (`","` alone splits into nothing: such a value has no page.)
        guard let pages else { return [] }
        return pages.split(separator: ",").compactMap { part in
            let range = part.trimmingCharacters(in: .whitespaces)
            guard !range.isEmpty else { return nil }
            let ends = range.split(separator: "-", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else { return (ends.first ?? range, nil) }
            return (ends[0], expanded(last: ends[1], after: ends[0]))
        }
    }

    /// The last page in full: an all-digit last page takes the first page's prefix (`H173`'s `H`)
    /// and, when shorter than its number, that number's leading digits.
    private static func expanded(last: String, after first: String) -> String {
        let isDigit = { (character: Character) in character.isASCII && character.isNumber }
        guard last.allSatisfy(isDigit) else { return last }
        let digits = String(first.reversed().prefix(while: isDigit).reversed())
        guard !digits.isEmpty else { return last }
        let prefix = first.dropLast(digits.count)
        let number = last.count < digits.count ? digits.prefix(digits.count - last.count) + last : last
        return prefix + number
    }

    /// The record's DOI: its own article id, else a valid DOI `ELocationID`.
    static func doi(_ record: PubMedRecord) -> String? {
        record.doi ?? record.elocationIds.first { $0.type == "doi" && $0.valid }?.value
    }

    /// The abstract as one paragraph, each labelled section as "LABEL: text".
    static func abstract(_ record: PubMedRecord) -> String? {
        guard !record.abstractSections.isEmpty else { return record.abstract.map(oneLine) }
        return record.abstractSections.map { section in (section.label.map { "\($0): " } ?? "") + section.text }.joined(separator: " ")
    }

    /// `text` with line breaks and tabs as spaces (the formats are line-based): each of the three
    /// bytes, a CR LF pair as two. Read as UTF-8 bytes, not as characters: a title has no such byte
    /// (the parser collapses white space), and telling characters apart costs more than the rest
    /// of a search's output.
    static func oneLine(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return text }
        return String(decoding: text.utf8.map { $0 == 0x0A || $0 == 0x0D || $0 == 0x09 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// The NCBI Bookshelf page of a book record (`bookaccession` id), if it has one.
    static func bookshelfURL(_ record: PubMedRecord) -> String? {
        record.articleIds.first { $0.type == "bookaccession" }.map { "https://www.ncbi.nlm.nih.gov/books/\($0.value)/" }
    }

    /// The record's page on PubMed.
    static func url(_ record: PubMedRecord) -> String { "https://pubmed.ncbi.nlm.nih.gov/\(record.pmid)/" }

    /// The journal's ISSN: the article's, else the linking ISSN.
    static func issn(_ record: PubMedRecord) -> String? { record.journal?.issn ?? record.journal?.issnLinking }

    /// A person's given names: `ForeName`, else `Initials`.
    static func givenName(_ author: PubMedRecord.Author) -> String? {
        author.foreName ?? author.initials
    }
}
