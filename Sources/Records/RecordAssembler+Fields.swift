/// Turning captured text into field values, and completing a record.
extension RecordAssembler {
    /// A text element whose content the assembler gathers.
    enum Field {
        case pmid, commentPMID, deletedPMID
        case year, month, day, hour, minute, season, medlineDate
        case issn, volume, issue, journalTitle, isoAbbreviation
        case articleTitle, bookTitle, vernacularTitle, bookVolume, edition, publisherName, publisherLocation
        case startPage, endPage, medlinePgn, eLocationID
        case abstractText, otherAbstractText, copyright, conflictOfInterest
        case lastName, foreName, initials, suffix, collectiveName, orcid, affiliation
        case language, publicationType, citationSubset, publicationStatus
        case country, medlineTA, nlmUniqueID, issnLinking
        case registryNumber, nameOfSubstance, refSource
        case descriptor, qualifier, keyword
        case grantID, acronym, agency, grantCountry, articleID
    }

    func beginRecord(_ kind: PubMedRecord.Kind) {
        record = PubMedRecord(pmid: 0, version: 1, kind: kind)
        inRecord = true
        sawPMID = false
        articleTitle = nil
        bookTitle = nil
        inEditors = false
        startPage = nil
        endPage = nil
        medlinePgn = nil
    }

    /// Stores the text just captured into `field`, through the function of its family.
    func finishCapture(_ field: Field) {
        switch field {
        case .pmid, .commentPMID, .deletedPMID:
            finishIdentifier(field)
        case .year, .month, .day, .hour, .minute, .season, .medlineDate:
            finishDatePart(field)
        case .issn, .volume, .issue, .journalTitle, .isoAbbreviation, .articleTitle, .bookTitle, .vernacularTitle,
             .bookVolume, .edition, .publisherName, .publisherLocation, .startPage, .endPage, .medlinePgn, .eLocationID, .abstractText, .otherAbstractText, .copyright, .conflictOfInterest, .language, .publicationType, .citationSubset, .publicationStatus:
            finishArticleText(field)
        case .lastName, .foreName, .initials, .suffix, .collectiveName, .orcid, .affiliation:
            finishAuthorPart(field)
        case .country, .medlineTA, .nlmUniqueID, .issnLinking, .registryNumber, .nameOfSubstance, .refSource, .descriptor, .qualifier, .keyword, .grantID, .acronym, .agency, .grantCountry, .articleID:
            finishListEntry(field)
        }
    }

    /// The record's PMID, a comment's, a deletion's.
    private func finishIdentifier(_ field: Field) {
        switch field {
        case .pmid:
            guard let pmid = TextBytes.integer(text.bytes) else { return fail(.invalidRecord, "a PMID that is not a number") }
            guard PubMedRecord.identifiers.contains(pmid), PubMedRecord.identifiers.contains(pendingNumber) else {
                return fail(.invalidRecord, "PMID \(pmid) version \(pendingNumber) is out of range (1 to \(PubMedRecord.identifiers.upperBound))")
            }
            record.pmid = pmid
            record.version = pendingNumber
            sawPMID = true
        case .commentPMID:
            comment.pmid = TextBytes.integer(text.bytes).flatMap { PubMedRecord.identifiers.contains($0) ? $0 : nil }
        case .deletedPMID:
            guard let pmid = TextBytes.integer(text.bytes) else {
                return fail(.invalidRecord, "a deleted PMID that is not a number")
            }
            guard PubMedRecord.identifiers.contains(pmid), PubMedRecord.identifiers.contains(pendingNumber) else {
                return fail(.invalidRecord, "deleted PMID \(pmid) version \(pendingNumber) is out of range (1 to \(PubMedRecord.identifiers.upperBound))")
            }
            items.append(.deletion(pmid: pmid, version: pendingNumber))
        default:
            break
        }
    }

    /// A part of the date being read.
    private func finishDatePart(_ field: Field) {
        switch field {
        case .year: date.year = TextBytes.integer(text.bytes)
        case .month: date.month = TextBytes.month(text.bytes)
        case .day: date.day = TextBytes.integer(text.bytes)
        case .hour: date.hour = TextBytes.integer(text.bytes)
        case .minute: date.minute = TextBytes.integer(text.bytes)
        case .season: date.season = optionalString()
        case .medlineDate: date.medlineDate = optionalString()
        default:
            break
        }
    }

    /// The journal's and the article's text: titles, pages, abstracts, languages, types.
    private func finishArticleText(_ field: Field) {
        switch field {
        case .issn:
            record.journal?.issn = optionalString()
            record.journal?.issnType = pendingFirst
        case .volume: record.journal?.volume = optionalString()
        case .issue: record.journal?.issue = optionalString()
        case .journalTitle: record.journal?.title = optionalString()
        case .isoAbbreviation: record.journal?.isoAbbreviation = optionalString()
        case .articleTitle: articleTitle = articleTitle ?? optionalString()
        case .bookTitle: bookTitle = bookTitle ?? optionalString()
        case .bookVolume: record.book?.volume = optionalString()
        case .edition: record.book?.edition = optionalString()
        case .publisherName: record.book?.publisher = optionalString()
        case .publisherLocation: record.book?.publisherLocation = optionalString()
        case .vernacularTitle: record.vernacularTitle = record.vernacularTitle ?? optionalString()
        case .startPage: startPage = optionalString()
        case .endPage: endPage = optionalString()
        case .medlinePgn: medlinePgn = optionalString()
        case .eLocationID:
            guard let value = optionalString() else { return }
            record.elocationIds.append(PubMedRecord.ELocationID(type: pendingFirst ?? "", value: value, valid: pendingFlag))
        case .abstractText:
            record.abstractSections.append(section())
        case .otherAbstractText:
            otherSections.append(section())
        case .copyright:
            record.copyright = record.copyright ?? optionalString()
        case .conflictOfInterest:
            record.conflictOfInterest = record.conflictOfInterest ?? optionalString()
        case .language:
            if let value = optionalString() { record.languages.append(value) }
        case .citationSubset:
            if let value = optionalString() { record.citationSubsets.append(value) }
        case .publicationStatus:
            record.publicationStatus = record.publicationStatus ?? optionalString()
        case .publicationType:
            guard let value = optionalString() else { return }
            record.publicationTypes.append(value)
            record.publicationTypeUIs.append(pendingFirst ?? "")
        default:
            break
        }
    }

    /// A part of the author being read.
    private func finishAuthorPart(_ field: Field) {
        switch field {
        case .lastName: author.lastName = optionalString()
        case .foreName: author.foreName = optionalString()
        case .initials: author.initials = optionalString()
        case .suffix: author.suffix = optionalString()
        case .collectiveName: author.collectiveName = optionalString()
        case .orcid: author.orcid = author.orcid ?? optionalString().map(TextBytes.bareORCID)
        case .affiliation:
            if let value = optionalString() { author.affiliations.append(value) }
        default:
            break
        }
    }

    /// A part of an entry of the citation's lists: journal info, chemical, comment, MeSH heading, keyword, grant, id.
    private func finishListEntry(_ field: Field) {
        switch field {
        case .country: journal { $0.country = optionalString() }
        case .medlineTA: journal { $0.medlineTA = optionalString() }
        case .nlmUniqueID: journal { $0.nlmUniqueID = optionalString() }
        case .issnLinking: journal { $0.issnLinking = optionalString() }
        case .registryNumber: chemical.registryNumber = optionalString()
        case .nameOfSubstance:
            chemical.name = string()
            chemical.ui = pendingFirst
        case .refSource: comment.refSource = optionalString()
        case .descriptor:
            let name = string()
            if mesh == nil {
                mesh = PubMedRecord.MeshHeading(descriptor: name, descriptorUI: pendingFirst, majorTopic: pendingFlag)
            } else {
                mesh?.descriptor = name
                mesh?.descriptorUI = pendingFirst
                mesh?.majorTopic = pendingFlag
            }
        case .qualifier:
            let qualifier = PubMedRecord.MeshQualifier(name: string(), ui: pendingFirst, majorTopic: pendingFlag)
            if mesh == nil { mesh = PubMedRecord.MeshHeading(descriptor: "") }
            mesh?.qualifiers.append(qualifier)
        case .keyword:
            if let value = optionalString() {
                if pendingFlag { record.majorTopicKeywords = (record.majorTopicKeywords ?? []) + [record.keywords.count] }
                record.keywords.append(value)
                if let last = record.keywordLists?.indices.last { record.keywordLists?[last].count += 1 }
            }
        case .grantID: grant.grantID = optionalString()
        case .acronym: grant.acronym = optionalString()
        case .agency: grant.agency = optionalString()
        case .grantCountry: grant.country = optionalString()
        case .articleID:
            guard let value = optionalString() else { return }
            let id = PubMedRecord.ArticleID(type: pendingFirst ?? "pubmed", value: value)
            // A book's ids can be listed both in BookDocument and in PubmedBookData.
            if !record.articleIds.contains(id) { record.articleIds.append(id) }
        default:
            break
        }
    }

    func endRecord() {
        inRecord = false
        guard sawPMID else {
            return fail(.invalidRecord, "a <\(record.kind == .book ? "PubmedBookArticle" : "PubmedArticle")> without a PMID")
        }
        record.title = articleTitle ?? bookTitle ?? ""
        record.book?.title = bookTitle
        record.book?.isPart = articleTitle != nil
        if let medlinePgn {
            record.pages = medlinePgn
        } else if let startPage {
            record.pages = endPage.map { "\(startPage)-\($0)" } ?? startPage
        }
        if !record.abstractSections.isEmpty { record.abstract = Self.joined(record.abstractSections) }
        // The record's year is one a date can have (a typo of six digits, or eighteen, is no year:
        // the stores sort and filter on it as a number).
        record.year = [record.pubDate?.year, record.pubDate?.medlineDate.flatMap(TextBytes.firstYear(in:))]
            .lazy.compactMap { $0 }.first.flatMap { PubMedRecord.years.contains($0) ? $0 : nil }
            ?? record.articleDates.lazy.compactMap(\.year).first { PubMedRecord.years.contains($0) }
        record.doi = record.articleIds.first { $0.type == "doi" }?.value
        record.pmcid = record.articleIds.first { $0.type == "pmc" }?.value
        // Moved out rather than copied: a copy would retain and later release every field.
        var finished = PubMedRecord(pmid: 0)
        swap(&finished, &record)
        items.append(.record(finished))
    }

    /// Sections one per line, as `LABEL: text` when labelled.
    static func joined(_ sections: [PubMedRecord.AbstractSection]) -> String {
        sections.map { section in section.label.map { "\($0): \(section.text)" } ?? section.text }
            .joined(separator: "\n")
    }

    // MARK: - Private

    private func section() -> PubMedRecord.AbstractSection {
        let label = pendingFirst.flatMap { $0.isEmpty ? nil : $0 }
        let category = pendingSecond.flatMap { $0.isEmpty ? nil : $0 }
        return PubMedRecord.AbstractSection(label: label, nlmCategory: category, text: string())
    }

    private func journal(_ update: (inout PubMedRecord.Journal) -> Void) {
        var journal = record.journal ?? PubMedRecord.Journal()
        update(&journal)
        record.journal = journal
    }

    private func string() -> String {
        text.flattened()
    }

    private func optionalString() -> String? {
        let value = text.flattened()
        return value.isEmpty ? nil : value
    }
}
