/// The PubMed elements the record assembler acts on. Every other element is `.other`, and its
/// whole subtree is skipped (or, inside a text field, read as inline markup).
enum ElementTag: UInt8, CaseIterable, Sendable {
    case other
    // File structure
    case pubmedArticleSet, medlineCitationSet, pubmedArticle, pubmedBookArticle, deleteCitation
    case medlineCitation, pubmedData, bookDocument, pubmedBookData, book, pmid
    // Dates
    case dateCompleted, dateRevised, contributionDate, pubDate, articleDate, year, month, day, season, medlineDate
    // Article and journal
    case article, journal, issn, journalIssue, volume, issue, title, isoAbbreviation
    case articleTitle, bookTitle, vernacularTitle, pagination, startPage, endPage, medlinePgn
    case eLocationID, abstract, abstractText, copyrightInformation, otherAbstract, language, coiStatement
    case publicationTypeList, publicationType
    case medlineJournalInfo, country, medlineTA, nlmUniqueID, issnLinking
    case publisher, publisherName, publisherLocation, edition
    // People
    case authorList, author, lastName, foreName, initials, suffix, collectiveName, identifier
    case affiliationInfo, affiliation
    // Indexing
    case chemicalList, chemical, registryNumber, nameOfSubstance
    case commentsCorrectionsList, commentsCorrections, refSource
    case meshHeadingList, meshHeading, descriptorName, qualifierName
    case keywordList, keyword, grantList, grant, grantID, acronym, agency
    case articleIdList, articleId
    case citationSubset, investigatorList, investigator, history, pubMedPubDate, hour, minute, publicationStatus

    /// The element's name in the file; empty for `.other`.
    var name: String {
        switch self {
        case .other: ""
        case .pmid: "PMID"
        case .issn: "ISSN"
        case .isoAbbreviation: "ISOAbbreviation"
        case .eLocationID: "ELocationID"
        case .medlineTA: "MedlineTA"
        case .nlmUniqueID: "NlmUniqueID"
        case .issnLinking: "ISSNLinking"
        case .grantID: "GrantID"
        default:
            // Every other name is the case name with its first letter in upper case.
            String(describing: self).prefix(1).uppercased() + String(describing: self).dropFirst()
        }
    }

    /// Name → tag, for the slow path (a name seen for the first time).
    static let byName: [String: ElementTag] = {
        var table: [String: ElementTag] = [:]
        for tag in allCases where tag != .other { table[tag.name] = tag }
        return table
    }()
}

/// Maps libxml2's interned element-name pointers to tags, so that recognising an element costs a
/// hash of one pointer instead of a string comparison.
///
/// libxml2 interns every element name in its parser context's dictionary: the same name always
/// arrives as the same pointer, and the string lives as long as the context. Only pointers the
/// dictionary owns are cached (`isInterned`), so a cached pointer can never be reused for another
/// name. Owned by one parser; not thread-safe.
final class ElementNameTable {
    private static let capacity = 1024  // a power of two
    private static let maximumEntries = 700  // keep probe chains short
    private let keys: UnsafeMutablePointer<UInt>
    private let values: UnsafeMutablePointer<ElementTag>
    private var count = 0
    private let isInterned: (UnsafePointer<UInt8>) -> Bool
    /// The interned pointers of `PubmedArticle` and `PubmedBookArticle`, to notice a record start
    /// even inside a skipped subtree.
    private(set) var recordNames: (UnsafePointer<UInt8>?, UnsafePointer<UInt8>?) = (nil, nil)

    /// `interned` holds the dictionary's pointer for each known name; `isInterned` says whether the
    /// dictionary owns a pointer.
    init(interned: [(UnsafePointer<UInt8>, ElementTag)], isInterned: @escaping (UnsafePointer<UInt8>) -> Bool) {
        keys = .allocate(capacity: Self.capacity)
        keys.initialize(repeating: 0, count: Self.capacity)
        values = .allocate(capacity: Self.capacity)
        values.initialize(repeating: .other, count: Self.capacity)
        self.isInterned = isInterned
        for (pointer, tag) in interned {
            insert(pointer, tag)
            if tag == .pubmedArticle { recordNames.0 = pointer }
            if tag == .pubmedBookArticle { recordNames.1 = pointer }
        }
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// The tag for a NUL-terminated element name.
    @inline(__always)
    func tag(for name: UnsafePointer<UInt8>) -> ElementTag {
        let key = UInt(bitPattern: name)
        var slot = Self.slot(key)
        while true {
            let found = keys[slot]
            if found == key { return values[slot] }
            if found == 0 { return resolve(name) }
            slot = (slot + 1) & (Self.capacity - 1)
        }
    }

    /// Whether `name` is `PubmedArticle` or `PubmedBookArticle`.
    @inline(__always)
    func isRecordName(_ name: UnsafePointer<UInt8>) -> Bool {
        if name == recordNames.0 || name == recordNames.1 { return true }
        if recordNames.0 != nil { return false }
        let tag = tag(for: name)
        return tag == .pubmedArticle || tag == .pubmedBookArticle
    }

    private func resolve(_ name: UnsafePointer<UInt8>) -> ElementTag {
        let tag = ElementTag.byName[String(cString: name)] ?? .other
        if count < Self.maximumEntries && isInterned(name) { insert(name, tag) }
        return tag
    }

    private func insert(_ name: UnsafePointer<UInt8>, _ tag: ElementTag) {
        let key = UInt(bitPattern: name)
        var slot = Self.slot(key)
        while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & (Self.capacity - 1) }
        if keys[slot] == 0 { count += 1 }
        keys[slot] = key
        values[slot] = tag
    }

    @inline(__always)
    private static func slot(_ key: UInt) -> Int {
        Int(truncatingIfNeeded: ((key >> 3) &* 0x9E37_79B9_7F4A_7C15) >> 54) & (capacity - 1)
    }
}
