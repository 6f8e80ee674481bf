import PubMedRecords

/// BibTeX: `@article{pmid31839728, …}` (book records `@book`, a part of a book `@incollection`
/// with the book's title as `booktitle`), one field a line, values in
/// braces. Text is escaped so that BibTeX reads it as written: `\ { } % & $ # _ ^ ~` become
/// commands or escapes; other characters, accented letters included, stay UTF-8 (biber, and
/// bibtex with `inputenc`, read them). Authors are "Last, First and Last, First"; a group's
/// name is wrapped in braces so that it is read as one name, "and" and commas included.
enum BibTeXFormat {
    static func render(_ record: PubMedRecord) -> String {
        var fields: [String] = []
        func add(_ name: String, _ value: String?, verbatim: Bool = false) {
            guard let value, !value.isEmpty else { return }
            let text = CitationText.oneLine(value)
            fields.append("  \(name) = {\(verbatim ? text : escape(text))},")
        }
        let authors = record.authors.compactMap(name)
        if !authors.isEmpty { fields.append("  author = {\(authors.joined(separator: " and "))},") }
        if !record.title.isEmpty { fields.append("  title = {\(protectingCase(escape(CitationText.oneLine(record.title))))},") }
        if let book = record.book {
            if book.isPart, let title = book.title { fields.append("  booktitle = {\(protectingCase(escape(CitationText.oneLine(title))))},") }
            let editors = book.editors.compactMap(name)
            if !editors.isEmpty { fields.append("  editor = {\(editors.joined(separator: " and "))},") }
            add("publisher", book.publisher)
            add("address", book.publisherLocation)
            add("volume", book.volume)
            add("edition", book.edition)
        }
        if let journal = record.journal {
            add("journal", journal.title ?? journal.isoAbbreviation)
            add("shortjournal", journal.isoAbbreviation)
            add("volume", journal.volume)
            add("number", journal.issue)
        }
        let date = CitationText.dateParts(record)
        add("year", date.first.map(String.init))
        // The month as BibTeX's own macro (`feb`), unbraced, so that styles print it in their language.
        if date.count > 1, let month = CitationText.month(date[1]) { fields.append("  month = \(month.lowercased()),") }
        add("pages", CitationText.fullPages(record.pages, dash: "--"))
        // doi and url are verbatim fields (biblatex, the url package): written as they are.
        add("doi", CitationText.doi(record), verbatim: true)
        add("issn", CitationText.issn(record))
        add("pmid", String(record.pmid))
        add("pmcid", record.pmcid)
        add("abstract", CitationText.abstract(record))
        add("keywords", record.keywords.isEmpty ? nil : record.keywords.joined(separator: ", "))
        add("language", record.languages.first)
        add("url", CitationText.bookshelfURL(record) ?? CitationText.url(record), verbatim: true)
        let type = record.kind == .book ? (record.book?.isPart == true ? "incollection" : "book") : "article"
        return "@\(type){pmid\(record.pmid),\n\(fields.joined(separator: "\n"))\n}\n"
    }

    /// A title's words with a capital past their first letter (`HIV`, `mRNA`, `COVID-19`, `pH`)
    /// in braces, which BibTeX styles that change a title's case leave as they are (they would
    /// print "hiv"); other words are theirs to change. A word that begins with an escape
    /// (`\#MeToo`) gets two: a group that opens with a backslash is a "special character", whose
    /// letters BibTeX changes all the same.
    static func protectingCase(_ title: String) -> String {
        title.split(separator: " ", omittingEmptySubsequences: false).map { word in
            guard word.dropFirst().contains(where: \.isUppercase) else { return String(word) }
            return word.hasPrefix("\\") ? "{{\(word)}}" : "{\(word)}"
        }.joined(separator: " ")
    }

    /// "Gürpınar, Tahsin", "Hambrick, Jr, George W" (BibTeX's "Last, Jr, First"), or
    /// "{GBD 2019 Collaborators}"; escaped.
    static func name(_ author: PubMedRecord.Author) -> String? {
        if let group = author.collectiveName { return "{\(escape(group))}" }
        guard let last = author.lastName else { return nil }
        let parts = [last, author.suffix, CitationText.givenName(author)].compactMap { $0 }
        return parts.map(escape).joined(separator: ", ")
    }

    /// BibTeX's special characters as commands; braces as `\textbraceleft{}` rather than `\{`
    /// so that the braces of a value stay balanced whatever the text holds.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "\\": escaped += "\\textbackslash{}"
            case "{": escaped += "\\textbraceleft{}"
            case "}": escaped += "\\textbraceright{}"
            case "^": escaped += "\\textasciicircum{}"
            case "~": escaped += "\\textasciitilde{}"
            case "%", "&", "$", "#", "_": escaped += "\\" + String(character)
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
