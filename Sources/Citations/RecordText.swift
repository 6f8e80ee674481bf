import PubMedRecords

/// A record as `show` prints it for a person: title, authors, citation, identifiers, abstract,
/// MeSH, keywords and types, one paragraph each.
public enum RecordText {
    /// `isCurrent` and `versions` say whether this version is the current one, and which others
    /// the index holds.
    public static func render(_ record: PubMedRecord, isCurrent: Bool = true, versions: [Int] = []) -> String {
        var lines: [String] = []
        lines.append(record.title)
        if let vernacular = record.vernacularTitle { lines.append(vernacular) }
        let authors = record.authors.map { $0.collectiveName ?? [$0.lastName, $0.initials].compactMap { $0 }.joined(separator: " ") }
        if !authors.isEmpty { lines.append(authors.joined(separator: ", ")) }
        var citation: [String] = []
        if let journal = record.journal?.isoAbbreviation ?? record.journal?.title { citation.append(journal) }
        if let date = record.pubDate {
            citation.append(date.medlineDate ?? [date.year.map(String.init), date.season].compactMap { $0 }.joined(separator: " "))
        }
        var volume = record.journal?.volume ?? ""
        if let issue = record.journal?.issue { volume += "(\(issue))" }
        if !volume.isEmpty { citation.append(volume) }
        if let pages = record.pages { citation.append(pages) }
        if !citation.isEmpty { lines.append(citation.joined(separator: "; ")) }
        var ids = ["PMID \(record.pmid).\(record.version)\(isCurrent ? "" : " (not current)")"]
        if versions.count > 1 { ids.append("versions \(versions.map(String.init).joined(separator: ", "))") }
        if let doi = record.doi { ids.append("doi:\(doi)") }
        if let pmcid = record.pmcid { ids.append(pmcid) }
        if let status = record.status { ids.append(status) }
        lines.append(ids.joined(separator: "  "))
        if !record.abstractSections.isEmpty {
            lines.append("")
            for section in record.abstractSections {
                lines.append((section.label.map { "\($0): " } ?? "") + section.text)
            }
        }
        if !record.meshHeadings.isEmpty {
            lines.append("")
            lines.append("MeSH: " + record.meshHeadings.map { ($0.majorTopic ? "*" : "") + $0.descriptor + $0.qualifiers.map { "/" + $0.name }.joined() }.joined(separator: "; "))
        }
        if !record.keywords.isEmpty { lines.append("Keywords: " + record.keywords.joined(separator: "; ")) }
        if !record.publicationTypes.isEmpty { lines.append("Type: " + record.publicationTypes.joined(separator: "; ")) }
        if let source = record.sourceFile { lines.append("From \(source)") }
        return lines.joined(separator: "\n")
    }
}
