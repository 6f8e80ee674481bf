import PubMedRecords

/// NLM's MEDLINE display format ("PubMed format", efetch `rettype=medline`): one field a line,
/// the tag padded to four characters then "- ", long values wrapped onto continuation lines
/// indented by six spaces. Fields come in NCBI's order; a field the record lacks is left out.
///
/// Layout as NCBI writes it today (NLM's "MEDLINE/PubMed Data Element (Field) Descriptions" and
/// real efetch output): a line holds at most 81 characters of the value, broken at spaces, the
/// space kept at the end of the broken line. Not written: OAB (other abstracts), and the fields
/// the record model does not keep (MID, CTI, a book's collection title); nor a book's volume and
/// edition, whose MEDLINE tags are not known here.
///
/// A book or a part of one is written as PubMed writes GeneReviews chapters (real exports of
/// PMIDs 21249755 and 20301770): status `Publisher`, then DRDT (revised) and CTDT (contributed)
/// where an article has DCOM and LR, the publisher (PB) before DP, the editors (FED, ED) before the
/// authors, the place (PL) after PT, and no PHST, PST or SO.
enum MedlineFormat {
    static func render(_ record: PubMedRecord) -> String {
        var lines = MedlineLines()
        header(record, &lines)
        lines.add("TI", record.title)
        if let book = record.book, book.isPart { lines.add("BTI", book.title) }
        lines.add("PG", record.pages)
        for location in record.elocationIds { lines.add("LID", "\(location.value) [\(location.type)]") }
        lines.add("AB", CitationText.abstract(record))
        lines.add("CI", record.copyright)
        if let book = record.book { people(book.editors, editorTags, &lines) }
        people(record.authors, authorTags, &lines)
        lines.add("LA", record.languages)
        lines.add("GR", record.grants.map(grant))
        lines.add("PT", record.publicationTypes)
        lines.add("TT", record.vernacularTitle)
        if let date = CitationText.electronicDate(record) { lines.add("DEP", compact(date.year, date.month, date.day)) }
        journal(record, &lines)
        lines.add("RN", record.chemicals.map { "\($0.registryNumber ?? "0") (\($0.name))" })
        lines.add("SB", record.citationSubsets)
        for link in record.commentsCorrections {
            guard let tag = commentTags[link.refType] else { continue }
            lines.add(tag, [link.refSource, link.pmid.map { "PMID: \($0)" }].compactMap { $0 }.joined(separator: " "))
        }
        lines.add("MH", record.meshHeadings.map(heading))
        lines.add("PMC", record.pmcid)
        // A keyword that is a major topic is starred, as a major MeSH heading is.
        var keywords = record.keywords
        for position in record.majorTopicKeywords ?? [] where keywords.indices.contains(position) { keywords[position] = "*" + keywords[position] }
        if let lists = record.keywordLists, lists.reduce(0, { $0 + $1.count }) == keywords.count {
            // Each list's owner, then its keywords, as NLM writes them.
            var start = 0
            for list in lists where list.count > 0 {
                lines.add("OTO", list.owner)
                lines.add("OT", Array(keywords[start..<start + list.count]))
                start += list.count
            }
        } else if !keywords.isEmpty {
            lines.add("OTO", "NOTNLM")
            lines.add("OT", keywords)
        }
        lines.add("COIS", record.conflictOfInterest)
        people(record.investigators, investigatorTags, &lines)
        history(record, &lines)
        if record.kind == .article {
            lines.add("PST", record.publicationStatus)
            lines.add("SO", source(record))
        }
        return lines.text
    }

    /// PMID to DP: identity, status, dates, ISSNs, volume, issue (or a book's publisher),
    /// publication date.
    private static func header(_ record: PubMedRecord, _ lines: inout MedlineLines) {
        lines.add("PMID", String(record.pmid))
        lines.add("OWN", record.owner)
        if record.kind == .book {
            // A book record has no status in the file; PubMed shows "Publisher".
            lines.add("STAT", record.status ?? "Publisher")
            lines.add("DRDT", record.dateRevised.map(compact))
            lines.add("CTDT", record.contributionDate.map(compact))
            lines.add("PB", record.book?.publisher)
        } else {
            lines.add("STAT", record.status)
            lines.add("DCOM", record.dateCompleted.map(compact))
            lines.add("LR", record.dateRevised.map(compact))
        }
        if let journal = record.journal {
            lines.add("IS", journal.issn.map { "\($0) (\(journal.issnType ?? "Print"))" })
            lines.add("IS", journal.issnLinking.map { "\($0) (Linking)" })
            lines.add("VI", journal.volume)
            lines.add("IP", journal.issue)
        }
        lines.add("DP", CitationText.publicationDate(record))
    }

    /// PL to JID: the journal's country, abbreviation, title and NLM id.
    private static func journal(_ record: PubMedRecord, _ lines: inout MedlineLines) {
        if let book = record.book { lines.add("PL", book.publisherLocation) }
        guard let journal = record.journal else { return }
        lines.add("PL", journal.country)
        lines.add("TA", journal.medlineTA ?? journal.isoAbbreviation)
        lines.add("JT", journal.title)
        lines.add("JID", journal.nlmUniqueID)
    }

    /// The tags of one kind of person: authors (FAU, AU, AUID, AD; CN for a group) or
    /// investigators (FIR, IR, IRAD; IR for a group).
    struct PersonTags {
        var full: String, short: String, identifier: String?, affiliation: String?, group: String
    }

    static let authorTags = PersonTags(full: "FAU", short: "AU", identifier: "AUID", affiliation: "AD", group: "CN")
    static let investigatorTags = PersonTags(full: "FIR", short: "IR", identifier: nil, affiliation: "IRAD", group: "IR")
    /// A book's editors: no affiliation tag (NCBI writes none for them).
    static let editorTags = PersonTags(full: "FED", short: "ED", identifier: nil, affiliation: nil, group: "ED")

    /// Each person's names, ORCID and affiliations, or a group's name, in the file's order.
    private static func people(_ people: [PubMedRecord.Author], _ tags: PersonTags, _ lines: inout MedlineLines) {
        for person in people {
            if let group = person.collectiveName {
                lines.add(tags.group, group)
                continue
            }
            lines.add(tags.full, fullName(person))
            lines.add(tags.short, shortName(person))
            if let identifier = tags.identifier { lines.add(identifier, person.orcid.map { "ORCID: \($0)" }) }
            if let affiliation = tags.affiliation { lines.add(affiliation, person.affiliations) }
        }
    }

    /// "Gürpınar, Tahsin", with the suffix after the given names ("Hambrick, George W Jr").
    static func fullName(_ author: PubMedRecord.Author) -> String {
        let given = [author.foreName ?? author.initials, author.suffix].compactMap { $0 }.joined(separator: " ")
        return [author.lastName, given.isEmpty ? nil : given].compactMap { $0 }.joined(separator: ", ")
    }

    /// "Gürpınar T": last name, initials, suffix.
    static func shortName(_ author: PubMedRecord.Author) -> String {
        [author.lastName, author.initials, author.suffix].compactMap { $0 }.joined(separator: " ")
    }

    /// "R01 CA123456/CA/NCI NIH HHS/United States": id and acronym when present, then the agency
    /// and the country, always.
    static func grant(_ grant: PubMedRecord.Grant) -> String {
        ([grant.grantID, grant.acronym].compactMap { $0 } + [grant.agency ?? "", grant.country ?? ""]).joined(separator: "/")
    }

    /// "Anterior Cruciate Ligament Injuries/*diagnosis/surgery": a `*` before each major part.
    static func heading(_ heading: PubMedRecord.MeshHeading) -> String {
        (heading.majorTopic ? "*" : "") + heading.descriptor
            + heading.qualifiers.map { "/" + ($0.majorTopic ? "*" : "") + $0.name }.joined()
    }

    /// EDAT (PubMed's date), MHDA (MeSH date), CRDT (create date), as PubMed shows them and as
    /// `[edat]`, `[mhda]` and `[crdt]` search them (`PubMedRecord.pubMedDates`), then every history date.
    private static func history(_ record: PubMedRecord, _ lines: inout MedlineLines) {
        let dates = record.pubMedDates
        lines.add("EDAT", dates.entry.map(stamp))
        lines.add("MHDA", dates.mesh.map(stamp))
        lines.add("CRDT", dates.create.map(stamp))
        if record.kind == .article { lines.add("PHST", record.history.map { "\(stamp($0)) [\($0.status)]" }) }
        let shownElsewhere: Set<String> = ["pubmed", "pmc", "mid"]
        lines.add("AID", record.articleIds.filter { !shownElsewhere.contains($0.type) }.map { "\($0.value) [\($0.type)]" })
    }

    /// "2019/12/17 06:00".
    static func stamp(_ date: PubMedRecord.HistoryDate) -> String {
        "\(date.year)/\(twoDigits(date.month ?? 1))/\(twoDigits(date.day ?? 1)) \(twoDigits(date.hour ?? 0)):\(twoDigits(date.minute ?? 0))"
    }

    /// "20191215".
    static func compact(_ year: Int?, _ month: Int?, _ day: Int?) -> String {
        String(year ?? 0) + twoDigits(month ?? 1) + twoDigits(day ?? 1)
    }

    static func compact(_ date: PubMedRecord.SimpleDate) -> String { compact(date.year, date.month, date.day) }

    static func twoDigits(_ number: Int) -> String { number < 10 ? "0\(number)" : String(number) }

    /// `CommentsCorrections@RefType` → tag; `Cites` has none (PubMed does not display it).
    static let commentTags: [String: String] = [
        "CommentOn": "CON", "CommentIn": "CIN", "ErratumIn": "EIN", "ErratumFor": "EFR",
        "CorrectedandRepublishedIn": "CRI", "CorrectedandRepublishedFrom": "CRF",
        "PartialRetractionIn": "PRIN", "PartialRetractionOf": "PROF", "RepublishedIn": "RPI", "RepublishedFrom": "RPF",
        "RetractionIn": "RIN", "RetractionOf": "ROF", "UpdateIn": "UIN", "UpdateOf": "UOF",
        "SummaryForPatientsIn": "SPIN", "OriginalReportIn": "ORI", "ReprintIn": "RPI", "ReprintOf": "RPF",
        "ExpressionOfConcernIn": "ECI", "ExpressionOfConcernFor": "ECF",
    ]
}
