import PubMedRecords

/// PubMed's "Abstract" text display, as efetch `rettype=abstract` writes it: a numbered citation
/// line, then paragraphs for the title, the authors, their affiliations, the abstract, its
/// copyright line, the identifiers, and the conflict of interest statement.
///
///     1. Arch Dermatol. 1965 Aug;92(2):188-91.
///
///     Zirconium granuloma following treatment of rhus dermatitis.
///
///     LoPresti PJ(1), Hambrick GW Jr.
///
///     Author information:
///     (1)Department of Dermatology, …
///
///     BACKGROUND: …
///
///     Copyright © 2019 Elsevier B.V. All rights reserved.
///
///     DOI: 10.1000/x
///     PMID: 11850928  [Indexed for MEDLINE]
///
///     Conflict of interest statement: None declared.
public enum AbstractFormat {
    /// Record `number` (from 1) of a list, ending with a newline.
    public static func render(_ record: PubMedRecord, number: Int) -> String {
        var paragraphs: [String] = []
        paragraphs.append("\(number). " + (MedlineFormat.source(record) ?? CitationText.publicationDate(record) ?? ""))
        if !record.title.isEmpty { paragraphs.append(CitationText.oneLine(record.title)) }
        if let vernacular = record.vernacularTitle { paragraphs.append(CitationText.oneLine(vernacular)) }
        // Affiliations numbered in order of first appearance, each author with the numbers of theirs.
        var affiliations: [String] = []
        let names = record.authors.map { author -> String in
            let name = author.collectiveName ?? MedlineFormat.shortName(author)
            let numbers = author.affiliations.map { affiliation -> Int in
                if let index = affiliations.firstIndex(of: affiliation) { return index + 1 }
                affiliations.append(affiliation)
                return affiliations.count
            }
            return numbers.isEmpty ? name : name + "(" + numbers.map(String.init).joined(separator: ")(") + ")"
        }
        if !names.isEmpty { paragraphs.append(names.joined(separator: ", ") + ".") }
        if !affiliations.isEmpty {
            paragraphs.append("Author information:\n" + affiliations.enumerated().map { "(\($0.offset + 1))" + CitationText.oneLine($0.element) }.joined(separator: "\n"))
        }
        if !record.abstractSections.isEmpty {
            paragraphs.append(record.abstractSections.map { section in
                (section.label.map { "\($0): " } ?? "") + CitationText.oneLine(section.text)
            }.joined(separator: "\n"))
        } else if let abstract = record.abstract {
            paragraphs.append(CitationText.oneLine(abstract))
        }
        if let copyright = record.copyright { paragraphs.append(CitationText.oneLine(copyright)) }
        var identifiers: [String] = []
        if let doi = CitationText.doi(record) { identifiers.append("DOI: \(doi)") }
        if let pmcid = record.pmcid { identifiers.append("PMCID: \(pmcid)") }
        let status = record.status == "MEDLINE" ? "  [Indexed for MEDLINE]" : ""
        identifiers.append("PMID: \(record.pmid)\(status)")
        paragraphs.append(identifiers.joined(separator: "\n"))
        if let statement = record.conflictOfInterest {
            paragraphs.append("Conflict of interest statement: " + CitationText.oneLine(statement))
        }
        return paragraphs.joined(separator: "\n\n") + "\n"
    }
}
