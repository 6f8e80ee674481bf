import Foundation
import PubMedRecords

/// How a value becomes a code: its words (runs of letters and digits), lowercased, accents
/// removed, joined by `_`. The tokenizer leaves such a token as it is.
enum SearchCode {
    static func code(_ value: String) -> String {
        var bytes: [UInt8] = []
        append(value, separator: UInt8(ascii: "_"), to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the code of `value` (its words joined by `separator`, or run together without one).
    /// An ASCII value (nearly every one) is coded in one pass over its bytes; Foundation's folding,
    /// which costs microseconds a call, and a record has about a hundred codes, is only for others.
    static func append(_ value: String, separator: UInt8?, to bytes: inout [UInt8]) {
        let start = bytes.count
        var pending = false
        for byte in value.utf8 {
            guard byte < 0x80 else {
                bytes.removeSubrange(start...)
                let words = words(value)
                for (index, word) in words.enumerated() {
                    if index > 0, let separator { bytes.append(separator) }
                    bytes.append(contentsOf: word.utf8)
                }
                return
            }
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            if (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || (lower >= UInt8(ascii: "0") && lower <= UInt8(ascii: "9")) {
                if pending, let separator, bytes.count > start { bytes.append(separator) }
                pending = false
                bytes.append(lower)
            } else {
                pending = true
            }
        }
    }

    static func words(_ value: String) -> [String] {
        value.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .split(whereSeparator: { !($0.isLetter || $0.isNumber) })
            .map(String.init)
    }

    /// A person as `[au]` finds them: last name, `__`, initials (`smith__ja`).
    static func author(last: String, initials: String?) -> String {
        code(last) + "__" + code(initials ?? "")
    }

    /// A person as `[fau]` finds them: last name, `__`, fore names (`smith__john_a`).
    static func fullName(last: String, fore: String?) -> String {
        code(last) + "__" + code(fore ?? "")
    }

    /// A subset as `[sb]` names it: letters and digits only (`pubmednotmedline`).
    static func subset(_ value: String) -> String {
        var bytes: [UInt8] = []
        append(value, separator: nil, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A date as precise as it is known: `YYYY`, `YYYYMM` or `YYYYMMDD`.
    static func date(year: Int, month: Int?, day: Int?) -> String {
        guard (1000...9999).contains(year) else { return "" }
        var text = String(year)
        guard let month, (1...12).contains(month) else { return text }
        text += month < 10 ? "0\(month)" : "\(month)"
        guard let day, (1...31).contains(day) else { return text }
        text += day < 10 ? "0\(day)" : "\(day)"
        return text
    }

    /// `2020/03/15`-style prefixes of the tags.
    enum Prefix: String {
        case mesh = "mh", major = "majr", subheading = "sh", author = "au", fullAuthor = "fau"
        case firstAuthor = "au1", lastAuthor = "aul"
        case investigator = "ir", fullInvestigator = "fir", orcid = "auid"
        case publicationType = "pt", language = "la", journal = "ta", journalID = "jid"
        case volume = "vi", issue = "ip", page = "pg", substance = "nm", registryNumber = "rn"
        case pmid, articleID = "aid", locationID = "lid", subset = "sb"
        case publicationDate = "dp", entryDate = "edat", createDate = "crdt", meshDate = "mhda"
        case completionDate = "dcom", modificationDate = "lr"
    }
}

/// The codes of one record, gathered in order.
struct SearchCodes {
    /// The tokens, separated by spaces, as the codes column's text.
    private(set) var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(2048) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// A token whose code is already made.
    mutating func add(_ prefix: SearchCode.Prefix, _ code: String) {
        guard !code.isEmpty, code != "__" else { return }
        start(prefix)
        bytes.append(contentsOf: code.utf8)
    }

    /// A token of a value's code, written straight into the text.
    mutating func add(_ prefix: SearchCode.Prefix, value: String) {
        let mark = bytes.count
        start(prefix)
        let codeStart = bytes.count
        SearchCode.append(value, separator: UInt8(ascii: "_"), to: &bytes)
        if bytes.count == codeStart { bytes.removeSubrange(mark...) }
    }

    private mutating func start(_ prefix: SearchCode.Prefix) {
        if !bytes.isEmpty { bytes.append(UInt8(ascii: " ")) }
        bytes.append(contentsOf: prefix.rawValue.utf8)
        bytes.append(UInt8(ascii: "_"))
    }

    mutating func add(_ record: PubMedRecord) {
        addMeSH(record)
        addPeople(record)
        addJournal(record)
        addDates(record)
        for type in record.publicationTypes { add(.publicationType, value: type) }
        for language in record.languages {
            add(.language, value: language)
        }
        for chemical in record.chemicals {
            add(.substance, value: chemical.name)
            if let number = chemical.registryNumber, number != "0" { add(.registryNumber, value: number) }
        }
        add(.pmid, String(record.pmid))
        // The record's own PMID is also an article id; [aid] finds it through the pmid code.
        for id in record.articleIds where id.type != "pubmed" { add(.articleID, value: id.value) }
        for id in record.elocationIds { add(.locationID, value: id.value) }
        for subset in Self.subsets(record) { add(.subset, subset) }
    }

    private mutating func addMeSH(_ record: PubMedRecord) {
        for heading in record.meshHeadings {
            let descriptor = SearchCode.code(heading.descriptor)
            let major = heading.majorTopic || heading.qualifiers.contains(where: \.majorTopic)
            add(.mesh, descriptor)
            if major { add(.major, descriptor) }
            for qualifier in heading.qualifiers {
                let pair = descriptor + "__" + SearchCode.code(qualifier.name)
                add(.mesh, pair)
                if heading.majorTopic || qualifier.majorTopic { add(.major, pair) }
                add(.subheading, value: qualifier.name)
            }
        }
    }

    private mutating func addPeople(_ record: PubMedRecord) {
        let people = record.authors.filter { $0.lastName != nil }
        for (index, author) in people.enumerated() {
            let short = SearchCode.author(last: author.lastName ?? "", initials: author.initials)
            let full = SearchCode.fullName(last: author.lastName ?? "", fore: author.foreName)
            add(.author, short)
            add(.fullAuthor, full)
            if index == 0 { add(.firstAuthor, short) }
            if index == people.count - 1 { add(.lastAuthor, short) }
        }
        for person in record.authors + record.investigators {
            if let orcid = person.orcid { add(.orcid, value: orcid) }
        }
        for investigator in record.investigators where investigator.lastName != nil {
            add(.investigator, SearchCode.author(last: investigator.lastName ?? "", initials: investigator.initials))
            add(.fullInvestigator, SearchCode.fullName(last: investigator.lastName ?? "", fore: investigator.foreName))
        }
    }

    private mutating func addJournal(_ record: PubMedRecord) {
        guard let journal = record.journal else { return }
        var names: Set<String> = []
        for name in [journal.medlineTA, journal.isoAbbreviation, journal.title, journal.issn, journal.issnLinking].compactMap({ $0 }) {
            let code = SearchCode.code(name)
            if names.insert(code).inserted { add(.journal, code) }
        }
        if let id = journal.nlmUniqueID { add(.journalID, value: id) }
        if let volume = journal.volume { add(.volume, value: volume) }
        if let issue = journal.issue { add(.issue, value: issue) }
        if let first = record.pages?.split(separator: "-").first { add(.page, value: String(first)) }
    }

    private mutating func addDates(_ record: PubMedRecord) {
        var published: [String] = []
        if let date = record.pubDate {
            if let year = date.firstYear {
                published.append(SearchCode.date(year: year, month: date.firstMonth, day: date.day))
            }
        }
        for date in record.articleDates {
            if let year = date.year { published.append(SearchCode.date(year: year, month: date.month, day: date.day)) }
        }
        // A record without a date of its own but with a year (records made elsewhere) has that year.
        if published.isEmpty, let year = record.year { published.append(SearchCode.date(year: year, month: nil, day: nil)) }
        addDates(.publicationDate, published)
        // PubMed's create date is the `entrez` history date; its entry date the `pubmed` one, and its
        // MeSH date the `medline` one, each falling back on the one before when the record lacks it
        // (records not yet indexed for MEDLINE, and the files of some years, have `entrez` alone).
        func history(_ status: String) -> PubMedRecord.HistoryDate? { record.history.first { $0.status == status } }
        let create = history("entrez")
        let entry = history("pubmed") ?? create
        let mesh = history("medline") ?? entry
        for (prefix, event) in [(SearchCode.Prefix.createDate, create), (.entryDate, entry), (.meshDate, mesh)] {
            if let event { addDates(prefix, [SearchCode.date(year: event.year, month: event.month, day: event.day)]) }
        }
        if let date = record.dateCompleted { addDates(.completionDate, [SearchCode.date(year: date.year, month: date.month, day: date.day)]) }
        if let date = record.dateRevised { addDates(.modificationDate, [SearchCode.date(year: date.year, month: date.month, day: date.day)]) }
    }

    /// Each date as precise as it is known, and its year alone besides (`dp_19790715 dp_1979`), so
    /// that a range of whole years is a few exact tokens (`DateCover`) rather than prefixes whose
    /// every posting FTS5 must merge first (1975:1979[dp] on 1.2 million records: 92 ms that way).
    private mutating func addDates(_ prefix: SearchCode.Prefix, _ dates: [String]) {
        var tokens = Set(dates.filter { !$0.isEmpty })
        for date in tokens where date.count > 4 { tokens.insert(String(date.prefix(4))) }
        for token in tokens.sorted() { add(prefix, token) }
    }

    /// The `[sb]` subsets the record itself tells: its status, its citation subsets, whether it has
    /// an abstract, whether it is in PMC.
    static func subsets(_ record: PubMedRecord) -> [String] {
        var subsets: [String] = []
        switch record.status {
        case "MEDLINE", "OLDMEDLINE": subsets.append("medline")
        case .some(let status): subsets.append(SearchCode.subset(status))
        case nil: break
        }
        if let status = record.status, status == "OLDMEDLINE" { subsets.append("oldmedline") }
        for subset in record.citationSubsets { subsets.append("jsubset" + SearchCode.subset(subset)) }
        if record.abstract != nil { subsets.append("hasabstract") }
        if record.pmcid != nil { subsets.append(contentsOf: ["pmc", "pubmedpmc"]) }
        if record.kind == .book { subsets.append("books") }
        return subsets
    }
}
