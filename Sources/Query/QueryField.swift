/// What a term of a PubMed query searches: the field its tag names, or the text fields when it has
/// none. The tags, long and short, are PubMed's (NLM's PubMed User Guide, "Search Field
/// Descriptions and Tags"), matched without regard to case.
public enum QueryField: String, Sendable, Equatable, CaseIterable {
    /// No tag: the text fields (title, abstract, keywords, MeSH, substances, publication types,
    /// authors, journal).
    case untagged
    case allFields, titleAbstract, title, abstract, textWord
    case author, fullAuthor, firstAuthor, lastAuthor, investigator, fullInvestigator, corporateAuthor
    case affiliation, authorIdentifier
    case mesh, meshMajor, subheading, publicationType, language
    case journal, nlmUniqueID, issn, volume, issue, pagination
    case otherTerm, substance, registryNumber, grant
    case pmid, articleIdentifier, locationIdentifier, subset
    case publicationDate, entryDate, createDate, meshDate, completionDate, modificationDate
    /// `#N`: set N of a search history (E-utilities' `query_key`), which only a server that keeps
    /// one (`serve`) can resolve (`PubMedQuery.resolvingHistory`).
    case history

    /// How its values are matched.
    public enum Kind: Sendable {
        /// Words of free text: words, phrases, truncation, proximity.
        case words
        /// A whole value (a MeSH heading, an author's name, a journal): the term is the value,
        /// matched exactly, or as its beginning with `*` (author names: always).
        case value
        /// A date or a range of dates.
        case date
    }

    public var kind: Kind {
        switch self {
        case .untagged, .allFields, .titleAbstract, .title, .abstract, .textWord, .affiliation, .otherTerm, .grant, .corporateAuthor:
            .words
        case .publicationDate, .entryDate, .createDate, .meshDate, .completionDate, .modificationDate:
            .date
        default:
            .value
        }
    }

    /// PubMed's name for the field in a query translation (`"cancer"[Title/Abstract]`).
    public var displayName: String {
        switch self {
        case .untagged: "All Fields"
        case .allFields: "All Fields"
        case .titleAbstract: "Title/Abstract"
        case .title: "Title"
        case .abstract: "Abstract"
        case .textWord: "Text Word"
        case .author: "Author"
        case .fullAuthor: "Author - Full"
        case .firstAuthor: "Author - First"
        case .lastAuthor: "Author - Last"
        case .investigator: "Investigator"
        case .fullInvestigator: "Investigator - Full"
        case .corporateAuthor: "Corporate Author"
        case .affiliation: "Affiliation"
        case .authorIdentifier: "Author - Identifier"
        case .mesh: "MeSH Terms"
        case .meshMajor: "MeSH Major Topic"
        case .subheading: "MeSH Subheading"
        case .publicationType: "Publication Type"
        case .language: "Language"
        case .journal: "Journal"
        case .nlmUniqueID: "NLM Unique ID"
        case .issn: "ISSN"
        case .volume: "Volume"
        case .issue: "Issue"
        case .pagination: "Pagination"
        case .otherTerm: "Other Term"
        case .substance: "Supplementary Concept"
        case .registryNumber: "EC/RN Number"
        case .grant: "Grant Number"
        case .pmid: "PMID"
        case .articleIdentifier: "Article Identifier"
        case .locationIdentifier: "Location ID"
        case .subset: "Filter"
        case .publicationDate: "Date - Publication"
        case .entryDate: "Date - Entry"
        case .createDate: "Date - Create"
        case .meshDate: "Date - MeSH"
        case .completionDate: "Date - Completion"
        case .modificationDate: "Date - Modification"
        case .history: "History"
        }
    }

    /// Tag (lower case, without brackets) → field. Both PubMed's short and long forms, and the
    /// E-utilities' field names (einfo's `TITL`, `WORD`, `MDAT`…), which Entrez takes as tags too.
    static let tags: [String: QueryField] = {
        var table: [String: QueryField] = [:]
        func add(_ field: QueryField, _ names: String...) { for name in names { table[name] = field } }
        add(.allFields, "all", "all fields")
        add(.titleAbstract, "tiab", "title/abstract")
        add(.title, "ti", "title", "titl")
        add(.abstract, "ab", "abstract")
        add(.textWord, "tw", "text word", "text words", "word")
        add(.author, "au", "author", "auth", "author name")
        add(.fullAuthor, "fau", "full author name", "author - full", "full")
        add(.firstAuthor, "1au", "first author name", "author - first", "first author", "faut")
        add(.lastAuthor, "lastau", "last author name", "author - last", "last author", "laut")
        add(.investigator, "ir", "investigator", "invr")
        add(.fullInvestigator, "fir", "full investigator name", "investigator - full", "finv")
        add(.corporateAuthor, "cn", "corporate author", "collective name", "coln")
        add(.affiliation, "ad", "affl", "affiliation")
        add(.authorIdentifier, "auid", "author identifier", "author - identifier")
        add(.mesh, "mh", "mesh", "mesh terms", "mesh term")
        add(.meshMajor, "majr", "mesh major topic")
        add(.subheading, "sh", "mesh subheading", "subheading", "subh")
        add(.publicationType, "pt", "publication type", "ptyp")
        add(.language, "la", "language", "lang")
        add(.journal, "ta", "jour", "journal", "journal title abbreviation")
        add(.nlmUniqueID, "jid", "nlm unique id")
        add(.issn, "is", "issn")
        add(.volume, "vi", "volume", "vol")
        add(.issue, "ip", "issue", "iss")
        add(.pagination, "pg", "pagination", "page")
        add(.otherTerm, "ot", "other term", "other terms", "keyword", "keywords", "otrm")
        add(.substance, "nm", "substance name", "supplementary concept", "subs")
        add(.registryNumber, "rn", "ec/rn number", "registry number", "ecno")
        add(.grant, "gr", "grant number", "grant", "grants and funding", "grnt")
        add(.pmid, "pmid", "uid")
        add(.articleIdentifier, "aid", "article identifier")
        add(.locationIdentifier, "lid", "location id")
        add(.subset, "sb", "subset", "filter", "filt")
        add(.publicationDate, "dp", "pdat", "publication date", "date - publication")
        add(.entryDate, "edat", "entrez date", "entry date", "date - entry", "date - entrez")
        add(.createDate, "crdt", "create date", "date - create")
        add(.meshDate, "mhda", "mesh date", "date - mesh")
        add(.completionDate, "dcom", "completion date", "date - completion", "cdat")
        add(.modificationDate, "lr", "modification date", "date - modification", "date - last revision", "mdat")
        return table
    }()

    /// The fields a `[tag:~N]` proximity search may name (PubMed's).
    public var allowsProximity: Bool { self == .titleAbstract || self == .title || self == .affiliation }

    /// The fields that include the narrower headings of the MeSH trees unless written `:noexp`:
    /// MeSH headings, and publication types (`clinical trial[pt]` takes in its phases, as PubMed's).
    public var explodes: Bool { self == .mesh || self == .meshMajor || self == .publicationType }
    /// The fields that take `:noexp`: those that explode, and `[sh]` (PubMed's `therapy[sh:noexp]`;
    /// subheadings are not exploded here, so it changes nothing).
    public var takesNoexp: Bool { explodes || self == .subheading }
}
