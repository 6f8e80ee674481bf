import PubMedRecords

extension MedlineFormat {
    /// The SO field, built as PubMed builds its citation source: "Biochem Med (Zagreb). 2020 Feb
    /// 15;30(1):011001. doi: 10.11613/BM.2020.011001. Epub 2019 Dec 15."
    ///
    /// An article published electronically only (`epublish`) is dated by its electronic date, and
    /// its issue date follows as "eCollection …"; a printed one (`ppublish`) with an electronic date
    /// ends with "Epub …"; one ahead of print has neither.
    static func source(_ record: PubMedRecord) -> String? {
        guard let journal = record.journal else { return nil }
        let printed = CitationText.publicationDate(record)
        let electronic = CitationText.electronicDate(record).map(CitationText.text)
        let status = record.publicationStatus ?? "ppublish"
        let date = status == "epublish" ? electronic ?? printed : printed
        var text = (journal.medlineTA ?? journal.isoAbbreviation ?? journal.title ?? "") + "."
        if let date { text += " " + date }
        var volume = journal.volume ?? ""
        if let issue = journal.issue { volume += "(\(issue))" }
        if !volume.isEmpty { text += ";" + volume }
        if let pages = record.pages { text += ":" + pages }
        text += "."
        if let doi = CitationText.doi(record) { text += " doi: \(doi)." }
        if status == "epublish", let printed, electronic != nil, printed != date { text += " eCollection \(printed)." }
        if status == "ppublish", let electronic, electronic != printed { text += " Epub \(electronic)." }
        return text
    }
}
