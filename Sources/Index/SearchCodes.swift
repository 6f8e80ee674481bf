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
        let coded = value.utf8.withContiguousStorageIfAvailable { appendASCII($0, separator: separator, to: &bytes) }
        if coded == true { return }
        for (index, word) in words(value).enumerated() {
            if index > 0, let separator { bytes.append(separator) }
            bytes.append(contentsOf: word.utf8)
        }
    }

    /// The ASCII path of `append`: false, with nothing appended, when the value is not ASCII.
    private static func appendASCII(_ value: UnsafeBufferPointer<UInt8>, separator: UInt8?, to bytes: inout [UInt8]) -> Bool {
        let start = bytes.count
        bytes.reserveCapacity(start + value.count)
        var pending = false
        for byte in value {
            guard byte < 0x80 else {
                bytes.removeSubrange(start...)
                return false
            }
            let lower = byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
            if lower &- UInt8(ascii: "a") < 26 || lower &- UInt8(ascii: "0") < 10 {
                if pending, let separator, bytes.count > start { bytes.append(separator) }
                pending = false
                bytes.append(lower)
            } else {
                pending = true
            }
        }
        return true
    }

    /// A fingerprint of how values that are not ASCII are coded: by Foundation's folding and
    /// Unicode's classes of letters and digits, which a Swift or Foundation upgrade may change.
    /// The search index is contentless, so removing a record's codes hands FTS5 the codes made
    /// again by the running binary; codes made otherwise than those indexed would leave stale
    /// entries behind (or damage the index). The index keeps the fingerprint it was built with
    /// (`meta.codeFolding`), and a binary that folds otherwise does not write to it.
    static let foldingFingerprint: Int64 = {
        let samples = [
            "Søren Ørsted", "Łukasz Świątek", "İnan Işık", "Straße", "Æsir Œuvre", "ﬁnance ﬀ", "Ångström", "Çelik Şahin",
            "Dvořák Ďurovič", "Ñandú", "Þór Ðuríður", "Ελληνικά Ωμέγα", "Кириллица Ёж", "日本語", "한국어", "Nguyễn Đức",
            "Ǆemal ǅ", "µ Ω K Å", "Ⅻ ½ ² ٣ ௫", "𝔄𝔅 𝟘", "ﾊﾝｶｸ ＡＢＣ", "Ａ１", "Ĳssel", "ʼapostrophe", "e\u{301}cole", "ı i̇",
        ]
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for sample in samples {
            for byte in (code(sample) + "\n").utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
        }
        return Int64(bitPattern: hash)
    }()

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
        guard PubMedRecord.years.contains(year) else { return "" }
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

/// The codes of one record, gathered in order, written straight into the column's text: a record
/// has about sixty, and making each a `String` first cost more than the rest of its indexing.
struct SearchCodes {
    /// The tokens, separated by spaces, as the codes column's text.
    private(set) var bytes: [UInt8] = []

    private static let space = UInt8(ascii: " "), underscore = UInt8(ascii: "_")

    init() { bytes.reserveCapacity(2048) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// A token whose code is already made.
    mutating func add(_ prefix: SearchCode.Prefix, _ code: String) {
        token(prefix) { $0.append(contentsOf: code.utf8) }
    }

    /// A token of a value's code.
    mutating func add(_ prefix: SearchCode.Prefix, value: String) {
        token(prefix) { SearchCode.append(value, separator: Self.underscore, to: &$0) }
    }

    /// Writes one token: the prefix, `_` and what `code` appends. A token whose code is empty (or
    /// `__`, a person without a name) is taken back.
    private mutating func token(_ prefix: SearchCode.Prefix, _ code: (inout [UInt8]) -> Void) {
        let mark = bytes.count
        if mark > 0 { bytes.append(Self.space) }
        bytes.append(contentsOf: prefix.rawValue.utf8)
        bytes.append(Self.underscore)
        let start = bytes.count
        code(&bytes)
        let length = bytes.count - start
        guard length > 0, length != 2 || bytes[start] != Self.underscore || bytes[start + 1] != Self.underscore else {
            bytes.removeSubrange(mark...)
            return
        }
    }

    /// A person's token: last name, `__`, then initials or fore names (`smith__ja`, `smith__john_a`).
    private mutating func person(_ prefix: SearchCode.Prefix, last: String, given: String?) {
        token(prefix) { bytes in
            SearchCode.append(last, separator: Self.underscore, to: &bytes)
            bytes.append(Self.underscore)
            bytes.append(Self.underscore)
            if let given { SearchCode.append(given, separator: Self.underscore, to: &bytes) }
        }
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
        // Each name coded once, into buffers kept across headings.
        var descriptor: [UInt8] = [], qualifier: [UInt8] = []
        descriptor.reserveCapacity(128)
        qualifier.reserveCapacity(64)
        for heading in record.meshHeadings {
            descriptor.removeAll(keepingCapacity: true)
            SearchCode.append(heading.descriptor, separator: Self.underscore, to: &descriptor)
            let major = heading.majorTopic || heading.qualifiers.contains(where: \.majorTopic)
            token(.mesh) { $0.append(contentsOf: descriptor) }
            if major { token(.major) { $0.append(contentsOf: descriptor) } }
            for each in heading.qualifiers {
                qualifier.removeAll(keepingCapacity: true)
                SearchCode.append(each.name, separator: Self.underscore, to: &qualifier)
                func pair(_ bytes: inout [UInt8]) {
                    bytes.append(contentsOf: descriptor)
                    bytes.append(Self.underscore)
                    bytes.append(Self.underscore)
                    bytes.append(contentsOf: qualifier)
                }
                token(.mesh, pair)
                if heading.majorTopic || each.majorTopic { token(.major, pair) }
                token(.subheading) { $0.append(contentsOf: qualifier) }
            }
        }
    }

    private mutating func addPeople(_ record: PubMedRecord) {
        let people = record.authors.filter { $0.lastName != nil }
        for (index, author) in people.enumerated() {
            let last = author.lastName ?? ""
            person(.author, last: last, given: author.initials)
            person(.fullAuthor, last: last, given: author.foreName)
            if index == 0 { person(.firstAuthor, last: last, given: author.initials) }
            if index == people.count - 1 { person(.lastAuthor, last: last, given: author.initials) }
        }
        for person in record.authors + record.investigators {
            if let orcid = person.orcid { add(.orcid, value: orcid) }
        }
        for investigator in record.investigators where investigator.lastName != nil {
            person(.investigator, last: investigator.lastName ?? "", given: investigator.initials)
            person(.fullInvestigator, last: investigator.lastName ?? "", given: investigator.foreName)
        }
    }

    private mutating func addJournal(_ record: PubMedRecord) {
        guard let journal = record.journal else { return }
        // Each name's code once (the abbreviation and the title are often the same words).
        var written: [[UInt8]] = []
        for name in [journal.medlineTA, journal.isoAbbreviation, journal.title, journal.issn, journal.issnLinking] {
            guard let name else { continue }
            var code: [UInt8] = []
            SearchCode.append(name, separator: Self.underscore, to: &code)
            guard !written.contains(code) else { continue }
            written.append(code)
            token(.journal) { $0.append(contentsOf: code) }
        }
        if let id = journal.nlmUniqueID { add(.journalID, value: id) }
        if let volume = journal.volume { add(.volume, value: volume) }
        if let issue = journal.issue { add(.issue, value: issue) }
        if let first = record.pages?.split(separator: "-").first { add(.page, value: String(first)) }
    }

    private mutating func addDates(_ record: PubMedRecord) {
        var published: [DateCode] = []
        if let date = record.pubDate, let year = date.firstYear,
           let code = DateCode(year: year, month: date.firstMonth, day: date.day) {
            published.append(code)
        }
        for date in record.articleDates {
            if let year = date.year, let code = DateCode(year: year, month: date.month, day: date.day) { published.append(code) }
        }
        // A record without a date of its own but with a year (records made elsewhere) has that year.
        // (A date whose year is out of range counts as one: the record has a date, not a usable one.)
        let hasOwn = record.pubDate?.firstYear != nil || record.articleDates.contains { $0.year != nil }
        if !hasOwn, let year = record.year, let code = DateCode(year: year, month: nil, day: nil) { published.append(code) }
        addDates(.publicationDate, published)
        let (create, entry, mesh) = record.pubMedDates
        for (prefix, event) in [(SearchCode.Prefix.createDate, create), (.entryDate, entry), (.meshDate, mesh)] {
            if let event { addDates(prefix, [DateCode(year: event.year, month: event.month, day: event.day)].compactMap { $0 }) }
        }
        if let date = record.dateCompleted {
            addDates(.completionDate, [DateCode(year: date.year, month: date.month, day: date.day)].compactMap { $0 })
        }
        if let date = record.dateRevised {
            addDates(.modificationDate, [DateCode(year: date.year, month: date.month, day: date.day)].compactMap { $0 })
        }
    }

    /// Each date as precise as it is known, and its year alone besides (`dp_19790715 dp_1979`), so
    /// that a range of whole years is a few exact tokens (`DateCover`) rather than prefixes whose
    /// every posting FTS5 must merge first (1975:1979[dp] on 1.2 million records: 92 ms that way).
    private mutating func addDates(_ prefix: SearchCode.Prefix, _ dates: [DateCode]) {
        var tokens = dates
        for date in dates where date.digits > 4 { tokens.append(date.year) }
        tokens.sort()
        var previous: DateCode?
        for date in tokens where date != previous {
            previous = date
            token(prefix) { bytes in
                var value = date.value, digit = bytes.count + date.digits
                bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: date.digits))
                while value > 0 {
                    digit -= 1
                    bytes[digit] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
        }
    }

    /// What `all[sb]` finds, the subsets of which each record has one: a citation's status (an
    /// attribute the DTD requires, of seven values: MEDLINE and OLDMEDLINE both give `medline`) or a
    /// book's own subset. A citation without the attribute, or with a status the DTD does not name
    /// yet, has none of them and is not found (a code of its own would change what the index holds,
    /// which needs the full-text index rebuilt).
    static let everyRecordSubsets = ["medline", "pubmednotmedline", "inprocess", "indatareview", "publisher", "completed", "books"]

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

/// A date as precise as it is known, as a number of 4, 6 or 8 digits (`YYYY`, `YYYYMM`,
/// `YYYYMMDD`); nil for a year outside 1000–9999. `SearchCode.date` as a number, and the
/// article table's sort date (`padded`).
struct DateCode: Comparable {
    var value: Int
    var digits: Int

    init?(year: Int, month: Int?, day: Int?) {
        guard PubMedRecord.years.contains(year) else { return nil }
        guard let month, (1...12).contains(month) else { (value, digits) = (year, 4); return }
        guard let day, (1...31).contains(day) else { (value, digits) = (year * 100 + month, 6); return }
        (value, digits) = (year * 10000 + month * 100 + day, 8)
    }

    init(value: Int, digits: Int) { (self.value, self.digits) = (value, digits) }

    var year: DateCode { DateCode(value: value / (digits == 8 ? 10000 : digits == 6 ? 100 : 1), digits: 4) }

    /// As eight digits, what is not known as zeros (`19790700`).
    var padded: Int { digits == 4 ? value * 10000 : digits == 6 ? value * 100 : value }

    /// The order of the codes' text: a code before the longer ones it begins.
    static func < (a: DateCode, b: DateCode) -> Bool {
        (a.padded, a.digits) < (b.padded, b.digits)
    }
}
