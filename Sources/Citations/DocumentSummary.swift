import PubMedRecords

/// A record as NCBI's ESummary describes it (a "DocSum"): the fields a results list shows, as
/// PubMed words them ("1965 Aug", "LoPresti PJ", "PubMed - indexed for MEDLINE"). The server
/// writes it as ESummary's version 1.0 XML and version 2.0 JSON.
public struct DocumentSummary: Sendable {
    public var pmid: Int
    /// "2020 Feb 15", "1990 Spring", or the `MedlineDate` as written.
    public var publicationDate: String
    /// The electronic publication date ("2019 Dec 15"), or "".
    public var electronicDate: String
    /// The journal's MEDLINE abbreviation.
    public var source: String
    /// Authors as MEDLINE's AU field writes them ("Hambrick GW Jr"), collective names as written.
    public var authors: [String]
    public var title: String
    public var volume: String
    public var issue: String
    public var pages: String
    /// ISO 639-2/B codes (`eng`).
    public var languages: [String]
    public var nlmUniqueID: String
    /// The print ISSN and the electronic one.
    public var issn: String
    public var essn: String
    public var publicationTypes: [String]
    /// "PubMed - indexed for MEDLINE", "PubMed - in process", "PubMed - as supplied by publisher"…
    public var recordStatus: String
    /// `PublicationStatus`: ppublish, epublish, aheadofprint.
    public var publicationStatus: String
    /// (type, value): pubmed, doi, pii, pmc…
    public var articleIds: [(type: String, value: String)]
    /// (status, "2019/12/17 06:00"): received, accepted, pubmed, medline, entrez…
    public var history: [(status: String, date: String)]
    public var hasAbstract: Bool
    public var fullJournalName: String
    /// "doi: 10.1000/x pii: S0000" (every ELocationID).
    public var electronicLocation: String
    /// The citation's date, volume, issue and pages: "1965 Aug;92(2):188-91".
    public var sourceCitation: String
    /// The publication date as a sortable stamp, "1965/08/01 00:00".
    public var sortDate: String
    public var vernacularTitle: String

    public init(_ record: PubMedRecord) {
        pmid = record.pmid
        publicationDate = CitationText.publicationDate(record) ?? ""
        electronicDate = CitationText.electronicDate(record).map(CitationText.text) ?? ""
        let journal = record.journal
        source = journal?.medlineTA ?? journal?.isoAbbreviation ?? ""
        authors = record.authors.map { $0.collectiveName ?? MedlineFormat.shortName($0) }
        title = record.title
        volume = journal?.volume ?? ""
        issue = journal?.issue ?? ""
        pages = record.pages ?? ""
        languages = record.languages
        nlmUniqueID = journal?.nlmUniqueID ?? ""
        let electronicISSN = journal?.issnType == "Electronic"
        issn = electronicISSN ? "" : journal?.issn ?? ""
        essn = electronicISSN ? journal?.issn ?? "" : ""
        publicationTypes = record.publicationTypes
        recordStatus = Self.recordStatus(record.status)
        publicationStatus = record.publicationStatus ?? ""
        var ids = [(type: "pubmed", value: String(record.pmid))]
        ids += record.articleIds.filter { $0.type != "pubmed" }.map { (type: $0.type, value: $0.value) }
        articleIds = ids
        history = record.history.map { (status: $0.status, date: MedlineFormat.stamp($0)) }
        hasAbstract = record.abstract != nil || !record.abstractSections.isEmpty
        fullJournalName = journal?.title ?? ""
        electronicLocation = record.elocationIds.map { "\($0.type): \($0.value)" }.joined(separator: " ")
        var citation = publicationDate
        var volumeIssue = volume
        if !issue.isEmpty { volumeIssue += "(\(issue))" }
        if !volumeIssue.isEmpty { citation += ";" + volumeIssue }
        if !pages.isEmpty { citation += ":" + pages }
        sourceCitation = citation
        let parts = CitationText.dateParts(record)
        sortDate = parts.isEmpty ? "" : "\(parts[0])/\(MedlineFormat.twoDigits(parts.count > 1 ? parts[1] : 1))/\(MedlineFormat.twoDigits(parts.count > 2 ? parts[2] : 1)) 00:00"
        vernacularTitle = record.vernacularTitle ?? ""
    }

    /// The last author, or "".
    public var lastAuthor: String { authors.last ?? "" }

    /// `MedlineCitation/@Status` as ESummary's RecordStatus words it.
    static func recordStatus(_ status: String?) -> String {
        switch status {
        case "MEDLINE": "PubMed - indexed for MEDLINE"
        case "OLDMEDLINE": "PubMed - OLDMEDLINE"
        case "In-Process", "In-Data-Review": "PubMed - in process"
        case "Publisher": "PubMed - as supplied by publisher"
        default: "PubMed"
        }
    }
}
