/// One PubMed citation (`PubmedArticle`) or book record (`PubmedBookArticle`), with the fields
/// people search and display.
///
/// Its `Codable` form is the public JSON shape: property names are part of the interface. Absent
/// values are `nil` and left out of the JSON; lists are always present, possibly empty. Text fields
/// are flattened: inline markup (`<i>`, `<sup>`, MathML…) is dropped but all of its text is kept,
/// runs of white space become one space, and the ends are trimmed.
public struct PubMedRecord: Codable, Sendable, Equatable {
    /// PMIDs and versions a record may have: positive, and within a 32-bit integer (the stores
    /// keep them so, PostgreSQL as `integer`; PMIDs have 8 digits today).
    public static let identifiers = 1...Int(Int32.max)
    /// Years a record's year, and any date the stores code or sort on, may have (the four digits
    /// dates are written with).
    public static let years = 1000...9999

    public enum Kind: String, Codable, Sendable { case article, book }

    public var pmid: Int
    /// `PMID@Version` (1 when absent). PMID.version identifies the record; the highest version is current.
    public var version: Int
    public var kind: Kind
    /// `MedlineCitation@Status` (MEDLINE, PubMed-not-MEDLINE, In-Process…); `nil` for books.
    public var status: String?
    /// `ArticleTitle` (for books `BookDocument/ArticleTitle`, else `Book/BookTitle`); empty when absent.
    public var title: String
    public var vernacularTitle: String?
    /// Every `AbstractText`, one per line, as `LABEL: text` when the section has a label.
    public var abstract: String?
    public var abstractSections: [AbstractSection]
    public var otherAbstracts: [OtherAbstract]
    /// Authors in file order; investigators and book editors are not included.
    public var authors: [Author]
    public var journal: Journal?
    /// For a book record, the book (`BookDocument/Book`): the whole book, or the one the record is a
    /// part of (a chapter, such as a GeneReviews entry); nil for articles (and for book records
    /// stored by an earlier version, which did not keep it).
    public var book: Book?
    public var pubDate: PubDate?
    /// The publication year: `PubDate/Year`, else the first four-digit year in `MedlineDate`,
    /// else the year of the first `ArticleDate`; only one of `years`.
    public var year: Int?
    public var articleDates: [ArticleDate]
    /// `Pagination/MedlinePgn`, else `StartPage-EndPage` (or `StartPage` alone).
    public var pages: String?
    public var elocationIds: [ELocationID]
    /// The record's own ids (`PubmedData/ArticleIdList`; for books `BookDocument/ArticleIdList` then
    /// `PubmedBookData/ArticleIdList`), never the cited papers' ids from `ReferenceList`.
    public var articleIds: [ArticleID]
    /// The first `articleIds` entry of type `doi`.
    public var doi: String?
    /// The first `articleIds` entry of type `pmc` (e.g. `PMC6904971`).
    public var pmcid: String?
    /// ISO 639-2 codes as in the file (`eng`, `fre`…).
    public var languages: [String]
    public var publicationTypes: [String]
    /// `PublicationType@UI`, in the same order as `publicationTypes` (empty string when missing).
    public var publicationTypeUIs: [String]
    public var meshHeadings: [MeshHeading]
    /// Every `Keyword` of every `KeywordList`, in file order.
    public var keywords: [String]
    /// Each `KeywordList`'s `Owner` (NOTNLM: the author's; NLM, PIP, KIE, NASA…) and how many of
    /// `keywords`, in order, are its; nil for a record without keyword lists (and in records stored
    /// by an earlier version, which did not keep them).
    public var keywordLists: [KeywordList]?
    /// The positions in `keywords` (from 0) of those marked as major topics (`MajorTopicYN="Y"`, as
    /// NLM marks some of its own lists' keywords); nil when none is (and in records stored by an
    /// earlier version, which did not keep the mark).
    public var majorTopicKeywords: [Int]?
    public var chemicals: [Chemical]
    public var grants: [Grant]
    public var commentsCorrections: [CommentCorrection]
    public var dateCompleted: SimpleDate?
    public var dateRevised: SimpleDate?
    /// `BookDocument/ContributionDate`: when a book's part was contributed; nil for articles (and
    /// in records stored by an earlier version, which did not keep it).
    public var contributionDate: SimpleDate?
    /// `Abstract/CopyrightInformation` ("Copyright © 2019 Elsevier B.V. All rights reserved.");
    /// nil when the record has none (and in records stored by an earlier version).
    public var copyright: String?
    /// `MedlineCitation/CoiStatement`, the authors' conflict of interest statement; nil when the
    /// record has none (and in records stored by an earlier version).
    public var conflictOfInterest: String?
    /// `MedlineCitation@Owner` (NLM, NASA, PIP, KIE, NOTNLM, HMD…); `nil` for books.
    public var owner: String?
    /// `MedlineCitation/CitationSubset` codes (IM, AIM, N, D, E, K, OM, QIS, QO, R, S, T, X…).
    public var citationSubsets: [String]
    /// `InvestigatorList/Investigator`: people credited on the study who are not authors.
    public var investigators: [Author]
    /// `PubmedData/History/PubMedPubDate` (for books `PubmedBookData/History`), in file order:
    /// received, accepted, `entrez` (PubMed's create date), `pubmed` (its Entrez date), `medline`
    /// (its MeSH date)…
    public var history: [HistoryDate]
    /// `PubmedData/PublicationStatus`: ppublish, epublish or aheadofprint.
    public var publicationStatus: String?
    /// The file the record was read from; set by the indexer, `nil` from the parser.
    public var sourceFile: String?

    public init(pmid: Int, version: Int = 1, kind: Kind = .article) {
        self.pmid = pmid
        self.version = version
        self.kind = kind
        self.title = ""
        self.abstractSections = []
        self.otherAbstracts = []
        self.authors = []
        self.articleDates = []
        self.elocationIds = []
        self.articleIds = []
        self.languages = []
        self.publicationTypes = []
        self.publicationTypeUIs = []
        self.meshHeadings = []
        self.keywords = []
        self.chemicals = []
        self.grants = []
        self.commentsCorrections = []
        self.citationSubsets = []
        self.investigators = []
        self.history = []
    }
}

extension PubMedRecord {
    /// One `AbstractText`: a section of a structured abstract, or the whole of an unstructured one.
    public struct AbstractSection: Codable, Sendable, Equatable {
        /// `Label`, as printed (`Introduction`, `METHODS`…).
        public var label: String?
        /// `NlmCategory`: BACKGROUND, OBJECTIVE, METHODS, RESULTS, CONCLUSIONS or UNASSIGNED.
        public var nlmCategory: String?
        public var text: String

        public init(label: String? = nil, nlmCategory: String? = nil, text: String) {
            self.label = label
            self.nlmCategory = nlmCategory
            self.text = text
        }
    }

    /// An `OtherAbstract`: an abstract in another language or from another source.
    public struct OtherAbstract: Codable, Sendable, Equatable {
        /// `Type` (AAMC, KIE, PIP, NASA, Publisher…).
        public var type: String?
        /// `Language` (`eng` when absent, the DTD's default).
        public var language: String?
        /// Its `AbstractText`s joined like `PubMedRecord.abstract`.
        public var text: String

        public init(type: String? = nil, language: String? = nil, text: String) {
            self.type = type
            self.language = language
            self.text = text
        }
    }

    /// A person (`LastName`, `ForeName`…) or a group (`CollectiveName`).
    public struct Author: Codable, Sendable, Equatable {
        public var lastName: String?
        public var foreName: String?
        public var initials: String?
        public var suffix: String?
        public var collectiveName: String?
        /// The bare ORCID iD (`0000-0002-1825-0097`): an `https://orcid.org/` prefix or a trailing
        /// slash in the file is removed.
        public var orcid: String?
        public var affiliations: [String]

        public init(lastName: String? = nil, foreName: String? = nil, initials: String? = nil,
                    suffix: String? = nil, collectiveName: String? = nil, orcid: String? = nil,
                    affiliations: [String] = []) {
            self.lastName = lastName
            self.foreName = foreName
            self.initials = initials
            self.suffix = suffix
            self.collectiveName = collectiveName
            self.orcid = orcid
            self.affiliations = affiliations
        }
    }

    /// `Article/Journal` together with `MedlineJournalInfo`.
    public struct Journal: Codable, Sendable, Equatable {
        public var title: String?
        public var isoAbbreviation: String?
        public var medlineTA: String?
        public var nlmUniqueID: String?
        public var country: String?
        public var issn: String?
        /// `ISSN@IssnType`: `Print` or `Electronic`.
        public var issnType: String?
        public var issnLinking: String?
        public var volume: String?
        public var issue: String?

        public init(title: String? = nil, isoAbbreviation: String? = nil, medlineTA: String? = nil,
                    nlmUniqueID: String? = nil, country: String? = nil, issn: String? = nil,
                    issnType: String? = nil, issnLinking: String? = nil, volume: String? = nil,
                    issue: String? = nil) {
            self.title = title
            self.isoAbbreviation = isoAbbreviation
            self.medlineTA = medlineTA
            self.nlmUniqueID = nlmUniqueID
            self.country = country
            self.issn = issn
            self.issnType = issnType
            self.issnLinking = issnLinking
            self.volume = volume
            self.issue = issue
        }
    }

    /// `PubDate`: Year [Month [Day] | Season], or a free-text `MedlineDate` ("1979 Jul-Sep").
    public struct PubDate: Codable, Sendable, Equatable {
        public var year: Int?
        /// 1–12, from "Mar" or "03".
        public var month: Int?
        public var day: Int?
        public var season: String?
        public var medlineDate: String?

        public init(year: Int? = nil, month: Int? = nil, day: Int? = nil, season: String? = nil,
                    medlineDate: String? = nil) {
            self.year = year
            self.month = month
            self.day = day
            self.season = season
            self.medlineDate = medlineDate
        }
    }

    /// `Article/ArticleDate` (the electronic publication date).
    public struct ArticleDate: Codable, Sendable, Equatable {
        /// `DateType` (`Electronic`, the DTD's fixed value, when absent).
        public var dateType: String?
        public var year: Int?
        public var month: Int?
        public var day: Int?

        public init(dateType: String? = nil, year: Int? = nil, month: Int? = nil, day: Int? = nil) {
            self.dateType = dateType
            self.year = year
            self.month = month
            self.day = day
        }
    }

    /// `ELocationID`: an electronic location (a DOI or a publisher item id).
    public struct ELocationID: Codable, Sendable, Equatable {
        /// `EIdType`: `doi` or `pii`.
        public var type: String
        public var value: String
        /// `ValidYN` (true when absent, the DTD's default).
        public var valid: Bool

        public init(type: String, value: String, valid: Bool = true) {
            self.type = type
            self.value = value
            self.valid = valid
        }
    }

    /// `ArticleId`: one of the record's own identifiers.
    public struct ArticleID: Codable, Sendable, Equatable {
        /// `IdType` (doi, pmc, pii, pubmed, mid, bookaccession…; `pubmed` when absent, the DTD's default).
        public var type: String
        public var value: String

        public init(type: String, value: String) {
            self.type = type
            self.value = value
        }
    }

    /// `MeshHeading`: a MeSH descriptor with its qualifiers.
    public struct MeshHeading: Codable, Sendable, Equatable {
        public var descriptor: String
        public var descriptorUI: String?
        /// `DescriptorName@MajorTopicYN == "Y"`.
        public var majorTopic: Bool
        public var qualifiers: [MeshQualifier]

        public init(descriptor: String, descriptorUI: String? = nil, majorTopic: Bool = false,
                    qualifiers: [MeshQualifier] = []) {
            self.descriptor = descriptor
            self.descriptorUI = descriptorUI
            self.majorTopic = majorTopic
            self.qualifiers = qualifiers
        }
    }

    /// `QualifierName` of a MeSH heading.
    public struct MeshQualifier: Codable, Sendable, Equatable {
        public var name: String
        public var ui: String?
        public var majorTopic: Bool

        public init(name: String, ui: String? = nil, majorTopic: Bool = false) {
            self.name = name
            self.ui = ui
            self.majorTopic = majorTopic
        }
    }

    /// `ChemicalList/Chemical`.
    public struct Chemical: Codable, Sendable, Equatable {
        /// `NameOfSubstance`.
        public var name: String
        /// `RegistryNumber` (CAS number, UNII, EC number, or `0`).
        public var registryNumber: String?
        /// `NameOfSubstance@UI`.
        public var ui: String?

        public init(name: String, registryNumber: String? = nil, ui: String? = nil) {
            self.name = name
            self.registryNumber = registryNumber
            self.ui = ui
        }
    }

    /// `BookDocument/Book`: its title, publisher and editors, and whether the record is a part of it.
    public struct Book: Codable, Sendable, Equatable {
        /// `BookTitle`.
        public var title: String?
        /// True when the record is a part of the book (a chapter: `BookDocument` has an
        /// `ArticleTitle` of its own, the record's title), false when it is the whole book.
        public var isPart: Bool
        public var publisher: String?
        public var publisherLocation: String?
        /// `Book/AuthorList[@Type="editors"]`.
        public var editors: [Author]
        public var volume: String?
        public var edition: String?

        public init(title: String? = nil, isPart: Bool = false, publisher: String? = nil, publisherLocation: String? = nil,
                    editors: [Author] = [], volume: String? = nil, edition: String? = nil) {
            self.title = title
            self.isPart = isPart
            self.publisher = publisher
            self.publisherLocation = publisherLocation
            self.editors = editors
            self.volume = volume
            self.edition = edition
        }
    }

    /// A `KeywordList`: its owner (`NLM` when the attribute is absent, as the DTD says) and its
    /// number of keywords.
    public struct KeywordList: Codable, Sendable, Equatable {
        public var owner: String
        public var count: Int

        public init(owner: String, count: Int) {
            self.owner = owner
            self.count = count
        }
    }

    /// `GrantList/Grant`.
    public struct Grant: Codable, Sendable, Equatable {
        public var grantID: String?
        public var acronym: String?
        public var agency: String?
        public var country: String?

        public init(grantID: String? = nil, acronym: String? = nil, agency: String? = nil, country: String? = nil) {
            self.grantID = grantID
            self.acronym = acronym
            self.agency = agency
            self.country = country
        }
    }

    /// `CommentsCorrectionsList/CommentsCorrections`: a link to a comment, erratum, retraction…
    public struct CommentCorrection: Codable, Sendable, Equatable {
        /// `RefType` (CommentIn, ErratumIn, RetractionIn, RetractionOf…).
        public var refType: String
        public var refSource: String?
        /// The PMID of the other record, when it is in PubMed.
        public var pmid: Int?

        public init(refType: String, refSource: String? = nil, pmid: Int? = nil) {
            self.refType = refType
            self.refSource = refSource
            self.pmid = pmid
        }
    }

    /// `PubMedPubDate`: a date in the record's history, with its `PubStatus`.
    public struct HistoryDate: Codable, Sendable, Equatable {
        /// `PubStatus`: received, accepted, revised, epublish, ppublish, aheadofprint, ecollection,
        /// pmc, pmcr, pmc-release, entrez, pubmed, medline, medliner, retracted.
        public var status: String
        public var year: Int
        public var month: Int?
        public var day: Int?
        public var hour: Int?
        public var minute: Int?

        public init(status: String, year: Int, month: Int? = nil, day: Int? = nil, hour: Int? = nil, minute: Int? = nil) {
            self.status = status
            self.year = year
            self.month = month
            self.day = day
            self.hour = hour
            self.minute = minute
        }
    }

    /// `DateCompleted` / `DateRevised`. Month and day are always present in NCBI's files; they are
    /// optional here so that a record lacking one still keeps its year.
    public struct SimpleDate: Codable, Sendable, Equatable {
        public var year: Int
        public var month: Int?
        public var day: Int?

        public init(year: Int, month: Int? = nil, day: Int? = nil) {
            self.year = year
            self.month = month
            self.day = day
        }
    }
}

extension PubMedRecord {
    /// PubMed's create date (CRDT, `[crdt]`: the `entrez` history date), entry date (EDAT, `[edat]`:
    /// the `pubmed` one) and MeSH date (MHDA, `[mhda]`: the `medline` one), each the one before when
    /// the record lacks it, as PubMed shows them: records not yet indexed for MEDLINE, and the files
    /// of some years, have `entrez` alone.
    public var pubMedDates: (create: HistoryDate?, entry: HistoryDate?, mesh: HistoryDate?) {
        func date(_ status: String) -> HistoryDate? { history.first { $0.status == status } }
        let create = date("entrez")
        let entry = date("pubmed") ?? create
        return (create, entry, date("medline") ?? entry)
    }
}

extension PubMedRecord.PubDate {
    /// The year, or the first four-digit year of a `MedlineDate` ("1998 Dec-1999 Jan" → 1998).
    public var firstYear: Int? {
        year ?? medlineDate.flatMap(TextBytes.firstYear(in:))
    }

    /// The month, or the month a `MedlineDate` starts with ("1979 Jul-Sep" → 7); nil for a season.
    public var firstMonth: Int? {
        if year != nil { return month }
        guard let words = medlineDate?.split(separator: " "), words.count >= 2 else { return nil }
        return TextBytes.month(Array(words[1].utf8))
    }
}
