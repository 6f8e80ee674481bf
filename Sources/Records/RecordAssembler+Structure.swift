/// Which elements the assembler tracks, skips or reads as text, decided from the element and its
/// parent (the DTD's structure: `PubmedArticle/MedlineCitation/Article/Journal/…`).
extension RecordAssembler {
    enum Decision {
        /// Keep the element on the stack: some of its descendants are wanted.
        case track
        /// Ignore the element and everything inside it.
        case skip
        /// Gather all the text inside the element into `field`.
        case capture(Field)
    }

    func decide(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .pubmedArticle, .pubmedBookArticle:
            if inRecord {
                fail(.invalidRecord, "a <\(tag.name)> element inside another record")
                return .skip
            }
            guard parent == .pubmedArticleSet else {
                fail(.invalidRecord, "a <\(tag.name)> element inside <\(parent.name)>")
                return .skip
            }
            beginRecord(tag == .pubmedBookArticle ? .book : .article)
            return .track
        case .deleteCitation:
            // Anywhere else its deletions would be skipped while the file counts as applied.
            guard parent == .pubmedArticleSet else {
                fail(.invalidRecord, "a <DeleteCitation> element inside <\(parent.name)>")
                return .skip
            }
            return .track
        case .pmid:
            switch parent {
            case .medlineCitation, .bookDocument:
                guard !sawPMID else { return .skip }
                guard let version = version(attributes) else { return .skip }
                pendingNumber = version
                return .capture(.pmid)
            case .commentsCorrections:
                return .capture(.commentPMID)
            case .deleteCitation:
                guard let version = version(attributes) else { return .skip }
                pendingNumber = version
                return .capture(.deletedPMID)
            default:
                return .skip
            }
        default:
            break
        }
        guard inRecord else { return .skip }
        return decideInRecord(tag, parent: parent, attributes: attributes)
    }

    /// A tag of a record is read by the function of its family.
    private func decideInRecord(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .medlineCitation, .pubmedData, .bookDocument, .pubmedBookData, .article, .book, .publisher, .journal, .journalIssue, .pagination, .abstract, .otherAbstract, .history:
            return decideContainer(tag, parent: parent, attributes: attributes)
        case .pubDate, .dateCompleted, .dateRevised, .contributionDate, .articleDate, .pubMedPubDate, .year, .month, .day, .hour, .minute, .season, .medlineDate:
            return decideDate(tag, parent: parent, attributes: attributes)
        case .authorList, .author, .investigatorList, .investigator, .affiliationInfo, .lastName, .foreName, .initials, .suffix, .collectiveName, .identifier, .affiliation:
            return decidePerson(tag, parent: parent, attributes: attributes)
        case .publicationTypeList, .medlineJournalInfo, .chemicalList, .commentsCorrectionsList, .meshHeadingList, .keywordList, .grantList, .articleIdList, .chemical, .commentsCorrections, .meshHeading, .grant:
            return decideList(tag, parent: parent, attributes: attributes)
        default:
            return decideText(tag, parent: parent, attributes: attributes)
        }
    }

    /// The containers of a record: citation, article or book, journal and issue, pagination, abstracts.
    private func decideContainer(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .medlineCitation:
            guard parent == .pubmedArticle else { return .skip }
            record.status = attributes.value("Status")
            record.owner = attributes.value("Owner")
            return .track
        case .pubmedData, .bookDocument, .pubmedBookData:
            return parent == .pubmedArticle || parent == .pubmedBookArticle ? .track : .skip
        case .article:
            return parent == .medlineCitation ? .track : .skip
        case .book:
            guard parent == .bookDocument else { return .skip }
            if record.book == nil { record.book = PubMedRecord.Book() }
            return .track
        case .publisher:
            return parent == .book ? .track : .skip
        case .journal:
            guard parent == .article else { return .skip }
            if record.journal == nil { record.journal = PubMedRecord.Journal() }
            return .track
        case .journalIssue:
            return parent == .journal ? .track : .skip
        case .pagination, .abstract:
            return parent == .article || parent == .bookDocument ? .track : .skip
        case .history:
            return parent == .pubmedData || parent == .pubmedBookData ? .track : .skip
        case .otherAbstract:
            guard parent == .medlineCitation || parent == .bookDocument else { return .skip }
            otherAbstract = PubMedRecord.OtherAbstract(type: attributes.value("Type"),
                                                       language: attributes.value("Language") ?? "eng", text: "")
            otherSections.removeAll()
            return .track
        default:
            return .skip
        }
    }

    /// Publication, completion, revision and electronic dates, and their parts.
    private func decideDate(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .pubDate:
            guard parent == .journalIssue || parent == .book else { return .skip }
            date = DateParts()
            return .track
        case .dateCompleted, .dateRevised:
            guard parent == .medlineCitation || parent == .bookDocument else { return .skip }
            date = DateParts()
            return .track
        case .contributionDate:
            guard parent == .bookDocument else { return .skip }
            date = DateParts()
            return .track
        case .articleDate:
            guard parent == .article else { return .skip }
            date = DateParts()
            date.type = attributes.value("DateType") ?? "Electronic"
            return .track
        case .pubMedPubDate:
            guard parent == .history else { return .skip }
            date = DateParts()
            date.type = attributes.value("PubStatus")
            return .track
        case .hour, .minute:
            guard parent == .pubMedPubDate else { return .skip }
            return .capture(tag == .hour ? .hour : .minute)
        case .year, .month, .day, .season, .medlineDate:
            switch parent {
            case .pubDate, .articleDate, .dateCompleted, .dateRevised, .contributionDate, .pubMedPubDate:
                switch tag {
                case .year: return .capture(.year)
                case .month: return .capture(.month)
                case .day: return .capture(.day)
                case .season: return .capture(.season)
                default: return .capture(.medlineDate)
                }
            default:
                return .skip
            }
        default:
            return .skip
        }
    }

    /// Author lists and authors: names, ORCID, affiliations.
    private func decidePerson(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .authorList:
            // Article authors; for books the chapter's authors, and the book's editors apart.
            let type = attributes.value("Type")
            switch parent {
            case .article: return .track
            case .bookDocument: return type == "editors" ? .skip : .track
            case .book:
                inEditors = type == "editors"
                return type == "authors" || type == "editors" ? .track : .skip
            default: return .skip
            }
        case .author:
            guard parent == .authorList else { return .skip }
            author = PubMedRecord.Author()
            return .track
        case .investigatorList:
            return parent == .medlineCitation ? .track : .skip
        case .investigator:
            guard parent == .investigatorList else { return .skip }
            author = PubMedRecord.Author()
            return .track
        case .affiliationInfo:
            return parent == .author || parent == .investigator ? .track : .skip
        case .lastName, .foreName, .initials, .suffix, .collectiveName:
            guard parent == .author || parent == .investigator else { return .skip }
            switch tag {
            case .lastName: return .capture(.lastName)
            case .foreName: return .capture(.foreName)
            case .initials: return .capture(.initials)
            case .suffix: return .capture(.suffix)
            default: return .capture(.collectiveName)
            }
        case .identifier:
            guard parent == .author || parent == .investigator, attributes.value("Source")?.lowercased() == "orcid" else { return .skip }
            return .capture(.orcid)
        case .affiliation:
            return parent == .affiliationInfo ? .capture(.affiliation) : .skip
        default:
            return .skip
        }
    }

    /// The lists of a citation (types, MeSH, chemicals, keywords, grants, ids, comments) and their entries.
    private func decideList(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .publicationTypeList, .medlineJournalInfo, .chemicalList, .commentsCorrectionsList, .meshHeadingList:
            return parent == .article || parent == .medlineCitation ? .track : .skip
        case .keywordList:
            guard parent == .medlineCitation || parent == .bookDocument else { return .skip }
            let owner = attributes.bytes("Owner").map { String(decoding: $0, as: UTF8.self) } ?? "NLM"
            record.keywordLists = (record.keywordLists ?? []) + [PubMedRecord.KeywordList(owner: owner.isEmpty ? "NLM" : owner, count: 0)]
            return .track
        case .grantList:
            return parent == .article || parent == .bookDocument ? .track : .skip
        case .articleIdList:
            // The record's own ids only: never `Reference/ArticleIdList` (the cited papers').
            return parent == .pubmedData || parent == .pubmedBookData || parent == .bookDocument ? .track : .skip
        case .chemical:
            guard parent == .chemicalList else { return .skip }
            chemical = PubMedRecord.Chemical(name: "")
            return .track
        case .commentsCorrections:
            guard parent == .commentsCorrectionsList else { return .skip }
            comment = PubMedRecord.CommentCorrection(refType: attributes.value("RefType") ?? "")
            return .track
        case .meshHeading:
            guard parent == .meshHeadingList else { return .skip }
            mesh = nil
            return .track
        case .grant:
            guard parent == .grantList else { return .skip }
            grant = PubMedRecord.Grant()
            return .track

        default:
            return .skip
        }
    }

    /// The text fields of the article and the journal; the lists' entries have their own.
    private func decideText(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .issn:
            guard parent == .journal else { return .skip }
            pendingFirst = attributes.value("IssnType")
            return .capture(.issn)
        case .volume:
            return parent == .journalIssue ? .capture(.volume) : parent == .book ? .capture(.bookVolume) : .skip
        case .edition:
            return parent == .book ? .capture(.edition) : .skip
        case .publisherName, .publisherLocation:
            guard parent == .publisher else { return .skip }
            return .capture(tag == .publisherName ? .publisherName : .publisherLocation)
        case .issue:
            return parent == .journalIssue ? .capture(.issue) : .skip
        case .title:
            return parent == .journal ? .capture(.journalTitle) : .skip
        case .isoAbbreviation:
            return parent == .journal ? .capture(.isoAbbreviation) : .skip
        case .articleTitle:
            return parent == .article || parent == .bookDocument ? .capture(.articleTitle) : .skip
        case .bookTitle:
            return parent == .book ? .capture(.bookTitle) : .skip
        case .vernacularTitle:
            return parent == .article || parent == .bookDocument ? .capture(.vernacularTitle) : .skip
        case .startPage, .endPage, .medlinePgn:
            guard parent == .pagination else { return .skip }
            return .capture(tag == .startPage ? .startPage : tag == .endPage ? .endPage : .medlinePgn)
        case .eLocationID:
            guard parent == .article || parent == .book else { return .skip }
            pendingFirst = attributes.value("EIdType")
            pendingFlag = attributes.flag("ValidYN", default: true)
            return .capture(.eLocationID)
        case .abstractText:
            guard parent == .abstract || parent == .otherAbstract else { return .skip }
            pendingFirst = attributes.value("Label")
            pendingSecond = attributes.value("NlmCategory")
            return .capture(parent == .abstract ? .abstractText : .otherAbstractText)
        case .copyrightInformation:
            return parent == .abstract ? .capture(.copyright) : .skip
        case .coiStatement:
            return parent == .medlineCitation ? .capture(.conflictOfInterest) : .skip
        case .language:
            return parent == .article || parent == .bookDocument ? .capture(.language) : .skip
        case .citationSubset:
            return parent == .medlineCitation ? .capture(.citationSubset) : .skip
        case .publicationStatus:
            return parent == .pubmedData || parent == .pubmedBookData ? .capture(.publicationStatus) : .skip
        case .publicationType, .country, .medlineTA, .nlmUniqueID, .issnLinking, .registryNumber, .nameOfSubstance, .refSource, .descriptorName, .qualifierName, .keyword, .grantID, .acronym, .agency, .articleId:
            return decideEntryText(tag, parent: parent, attributes: attributes)
        default:
            return .skip
        }
    }

    /// The text fields of the lists' entries: publication types, journal info, chemicals, comments, MeSH, keywords, grants, ids.
    private func decideEntryText(_ tag: ElementTag, parent: ElementTag, attributes: XMLAttributes) -> Decision {
        switch tag {
        case .publicationType:
            guard parent == .publicationTypeList || parent == .bookDocument else { return .skip }
            pendingFirst = attributes.value("UI")
            return .capture(.publicationType)
        case .country:
            if parent == .medlineJournalInfo { return .capture(.country) }
            return parent == .grant ? .capture(.grantCountry) : .skip
        case .medlineTA:
            return parent == .medlineJournalInfo ? .capture(.medlineTA) : .skip
        case .nlmUniqueID:
            return parent == .medlineJournalInfo ? .capture(.nlmUniqueID) : .skip
        case .issnLinking:
            return parent == .medlineJournalInfo ? .capture(.issnLinking) : .skip
        case .registryNumber:
            return parent == .chemical ? .capture(.registryNumber) : .skip
        case .nameOfSubstance:
            guard parent == .chemical else { return .skip }
            pendingFirst = attributes.value("UI")
            return .capture(.nameOfSubstance)
        case .refSource:
            return parent == .commentsCorrections ? .capture(.refSource) : .skip
        case .descriptorName, .qualifierName:
            guard parent == .meshHeading else { return .skip }
            pendingFirst = attributes.value("UI")
            pendingFlag = attributes.flag("MajorTopicYN", default: false)
            return .capture(tag == .descriptorName ? .descriptor : .qualifier)
        case .keyword:
            guard parent == .keywordList else { return .skip }
            pendingFlag = attributes.flag("MajorTopicYN", default: false)
            return .capture(.keyword)
        case .grantID:
            return parent == .grant ? .capture(.grantID) : .skip
        case .acronym:
            return parent == .grant ? .capture(.acronym) : .skip
        case .agency:
            return parent == .grant ? .capture(.agency) : .skip
        case .articleId:
            guard parent == .articleIdList else { return .skip }
            pendingFirst = attributes.value("IdType") ?? "pubmed"
            return .capture(.articleID)
        default:
            return .skip
        }
    }

    /// Called when a tracked element ends.
    func finish(_ tag: ElementTag) {
        switch tag {
        case .pubmedArticle, .pubmedBookArticle:
            endRecord()
        case .pubDate:
            record.pubDate = PubMedRecord.PubDate(year: date.year, month: date.month, day: date.day,
                                                  season: date.season, medlineDate: date.medlineDate)
        case .articleDate:
            record.articleDates.append(PubMedRecord.ArticleDate(dateType: date.type, year: date.year,
                                                                month: date.month, day: date.day))
        case .dateCompleted, .dateRevised, .contributionDate:
            guard let year = date.year else { return }
            let value = PubMedRecord.SimpleDate(year: year, month: date.month, day: date.day)
            switch tag {
            case .dateCompleted: record.dateCompleted = value
            case .dateRevised: record.dateRevised = value
            default: record.contributionDate = value
            }
        case .otherAbstract:
            otherAbstract.text = Self.joined(otherSections)
            record.otherAbstracts.append(otherAbstract)
        case .author:
            if inEditors { record.book?.editors.append(author) } else { record.authors.append(author) }
        case .authorList:
            inEditors = false
        case .investigator:
            record.investigators.append(author)
        case .pubMedPubDate:
            guard let year = date.year, let status = date.type else { return }
            record.history.append(PubMedRecord.HistoryDate(status: status, year: year, month: date.month, day: date.day,
                                                           hour: date.hour, minute: date.minute))
        case .chemical:
            record.chemicals.append(chemical)
        case .commentsCorrections:
            record.commentsCorrections.append(comment)
        case .meshHeading:
            if let mesh { record.meshHeadings.append(mesh) }
        case .grant:
            record.grants.append(grant)
        default:
            break
        }
    }

    /// A PMID's `Version` (1 when it has none); nil, with the file failed, when it is not a number:
    /// read as 1 it would replace or delete version 1.
    private func version(_ attributes: XMLAttributes) -> Int? {
        guard let raw = attributes.bytes("Version") else { return 1 }
        guard let version = TextBytes.integer(raw) else {
            fail(.invalidRecord, "the PMID's Version \"\(String(decoding: raw, as: UTF8.self))\" is not a number")
            return nil
        }
        return version
    }
}
