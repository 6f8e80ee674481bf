import Foundation
import PubMedRecords

/// What the full-text index holds of one record, column by column: the words of its text fields,
/// and one column of codes, a token a value, for PubMed's field tags that match whole values.
///
/// The index is not stemmed (PubMed does not stem): a word matches as written, and `*` finds its
/// variants. A code is the field's prefix, `_`, and the value's words lowercased, accents removed,
/// joined by `_` (`SearchCode`): `mh_breast_neoplasms`, `au_smith__ja` (last name, `__`, initials),
/// `dp_20200315` (a date as precise as the record gives it). The tokenizer keeps `_` inside tokens,
/// so a code is one token, and `"au_smith__j"*` finds every Smith J…
///
/// The same record always gives the same document: removing a row from the contentless index
/// hands FTS5 the document again, rebuilt from the stored record.
package struct SearchDocument: Sendable, Equatable {
    /// The FTS5 columns, in the order the table declares them.
    package enum Column: Int, CaseIterable {
        /// Article title (a book's title).
        case title
        /// Abstract (its sections' text, not their labels) and other abstracts.
        case abstract
        /// Keywords (PubMed's "other terms").
        case keywords
        /// MeSH descriptor and qualifier names, as words.
        case meshWords
        /// Publication types and substance names, as words.
        case otherText
        /// Authors' names, as words.
        case authorWords
        /// Journal title and abbreviations, as words.
        case journalWords
        /// Affiliations of authors and investigators.
        case affiliation
        /// Grant ids, acronyms and agencies.
        case grant
        /// Collective (corporate) author names, as words.
        case corporateAuthor
        /// One token a value, for the value and date tags.
        case codes

        package var name: String {
            ["ti", "ab", "ot", "mhw", "tx", "aw", "jw", "ad", "gr", "cn", "codes"][rawValue]
        }

        /// bm25's weight of a match in the column: title first, then MeSH and keywords, then the abstract.
        var weight: Double {
            [10, 4, 6, 6, 2, 3, 2, 1, 1, 2, 0][rawValue]
        }
    }

    package var columns: [String]

    package init(_ record: PubMedRecord) {
        var codes = SearchCodes()
        codes.add(record)
        let mesh = record.meshHeadings.flatMap { [$0.descriptor] + $0.qualifiers.map(\.name) }
        let people = record.authors.filter { $0.collectiveName == nil }.map { author in
            [author.lastName, author.foreName, author.initials].compactMap { $0 }.joined(separator: " ")
        }
        let collective = (record.authors + record.investigators).compactMap(\.collectiveName)
        columns = [
            record.title,
            // The sections' text without their labels (a label is not the author's words).
            // (A record made elsewhere may have its abstract alone.)
            ((record.abstractSections.isEmpty ? [record.abstract].compactMap { $0 } : record.abstractSections.map(\.text))
                + record.otherAbstracts.map(\.text)).joined(separator: "\n"),
            record.keywords.joined(separator: "; "),
            mesh.joined(separator: "; "),
            (record.publicationTypes + record.chemicals.map(\.name)).joined(separator: "; "),
            people.joined(separator: "; "),
            [record.journal?.title, record.journal?.isoAbbreviation, record.journal?.medlineTA].compactMap { $0 }.joined(separator: "; "),
            (record.authors + record.investigators).flatMap(\.affiliations).joined(separator: "\n"),
            record.grants.map { [$0.grantID, $0.acronym, $0.agency].compactMap { $0 }.joined(separator: " ") }.joined(separator: "; "),
            collective.joined(separator: "; "),
            codes.text,
        ]
    }

    /// The document of a stored record, from its JSON (the fields it is made of, read by hand).
    init?(json: [UInt8]) {
        guard let record = RecordJSONReader.record(json) else { return nil }
        self.init(record)
    }
}
