import PubMedRecords

/// RIS, the tagged format reference managers import (EndNote, Zotero, Mendeley): `TY  - JOUR`
/// first, `ER  - ` last, one value a line (never wrapped: RIS has no continuation lines), a
/// repeated tag for each author, keyword and language. Book records are `TY  - BOOK`, or
/// `TY  - CHAP` for a part of a book (a GeneReviews entry), with the book's title as `T2`; a book's
/// editors are `A2`, its publisher `PB` and place `CY`.
///
/// Journals: `JF` is the full title, `JO` the ISO abbreviation. `SP` and `EP` are the first and
/// last page, the last written out in full (MEDLINE's "123-9" gives 123 and 129). `AN` is the
/// PMID, `KW` the author keywords then the MeSH headings, `UR` the PubMed page (and, for a book,
/// its NCBI Bookshelf page).
enum RISFormat {
    static func render(_ record: PubMedRecord) -> String {
        var lines: [String] = []
        func add(_ tag: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            lines.append("\(tag)  - \(CitationText.oneLine(value))")
        }
        add("TY", record.kind == .book ? (record.book?.isPart == true ? "CHAP" : "BOOK") : "JOUR")
        add("TI", record.title)
        for author in record.authors { add("AU", name(author)) }
        if let book = record.book {
            if book.isPart { add("T2", book.title) }
            for editor in book.editors { add("A2", name(editor)) }
            add("PB", book.publisher)
            add("CY", book.publisherLocation)
            add("VL", book.volume)
            add("ET", book.edition)
        }
        add("PY", CitationText.dateParts(record).first.map(String.init))
        add("DA", date(record))
        if let journal = record.journal {
            add("JF", journal.title)
            add("JO", journal.isoAbbreviation ?? journal.medlineTA)
            add("VL", journal.volume)
            add("IS", journal.issue)
        }
        let pages = CitationText.pageRange(record.pages)
        add("SP", pages?.first)
        add("EP", pages?.last)
        add("AB", CitationText.abstract(record))
        add("SN", CitationText.issn(record))
        add("DO", CitationText.doi(record))
        add("AN", String(record.pmid))
        add("C2", record.pmcid)
        add("UR", CitationText.url(record))
        add("UR", CitationText.bookshelfURL(record))
        for keyword in record.keywords { add("KW", keyword) }
        for heading in record.meshHeadings { add("KW", heading.descriptor + heading.qualifiers.map { "/" + $0.name }.joined()) }
        for language in record.languages { add("LA", language) }
        lines.append("ER  - ")
        return lines.joined(separator: "\n") + "\n"
    }

    /// "Gürpınar, Tahsin", "Hambrick, George W, Jr", or a group's name as it is.
    static func name(_ author: PubMedRecord.Author) -> String? {
        if let group = author.collectiveName { return group }
        return [author.lastName, CitationText.givenName(author), author.suffix].compactMap { $0 }.joined(separator: ", ")
    }

    /// "2020/02/15", "2020/02", "2020": as much of the publication date as is known.
    static func date(_ record: PubMedRecord) -> String? {
        let parts = CitationText.dateParts(record)
        guard !parts.isEmpty else { return nil }
        return ([String(parts[0])] + parts.dropFirst().map(MedlineFormat.twoDigits)).joined(separator: "/")
    }
}
