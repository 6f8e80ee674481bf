import PubMedRecords

/// A JSON string literal written as the stored records' strings are: the one JSON escaper for
/// JSON the project writes by hand (the server's answers too).
public enum JSONString {
    /// `value` with its quotes, `"` and `\` escaped, control characters as `\n` or `\u00XX`.
    public static func quoted(_ value: String) -> String { RecordJSONWriter.quoted(value) }
}

/// Writes a `PubMedRecord` as JSON bytes, exactly as `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes` would (a test compares the two on every record of the real files), at a
/// fraction of the cost: no intermediate values, no dictionaries, one growing byte buffer.
///
/// Written by hand from the model's fields, with their keys in byte order; keep it in step with
/// `PubMedRecord` (the equality test fails when a field is added to one and not the other).
package struct RecordJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    package static func encode(_ record: PubMedRecord) -> [UInt8] {
        var writer = RecordJSONWriter()
        writer.write(record)
        return writer.bytes
    }

    mutating func write(_ value: PubMedRecord) {
        var first = true
        if let v = value.abstract { key("abstract", &first); string(v) }
        key("abstractSections", &first); array(value.abstractSections) { $0.write($1) }
        key("articleDates", &first); array(value.articleDates) { $0.write($1) }
        key("articleIds", &first); array(value.articleIds) { $0.write($1) }
        key("authors", &first); array(value.authors) { $0.write($1) }
        if let v = value.book { key("book", &first); write(v) }
        key("chemicals", &first); array(value.chemicals) { $0.write($1) }
        key("citationSubsets", &first); strings(value.citationSubsets)
        key("commentsCorrections", &first); array(value.commentsCorrections) { $0.write($1) }
        if let v = value.conflictOfInterest { key("conflictOfInterest", &first); string(v) }
        if let v = value.contributionDate { key("contributionDate", &first); write(v) }
        if let v = value.copyright { key("copyright", &first); string(v) }
        if let v = value.dateCompleted { key("dateCompleted", &first); write(v) }
        if let v = value.dateRevised { key("dateRevised", &first); write(v) }
        if let v = value.doi { key("doi", &first); string(v) }
        key("elocationIds", &first); array(value.elocationIds) { $0.write($1) }
        key("grants", &first); array(value.grants) { $0.write($1) }
        key("history", &first); array(value.history) { $0.write($1) }
        key("investigators", &first); array(value.investigators) { $0.write($1) }
        if let v = value.journal { key("journal", &first); write(v) }
        if let v = value.keywordLists { key("keywordLists", &first); array(v) { $0.write($1) } }
        key("keywords", &first); strings(value.keywords)
        key("kind", &first); string(value.kind.rawValue)
        key("languages", &first); strings(value.languages)
        if let v = value.majorTopicKeywords { key("majorTopicKeywords", &first); array(v) { $0.int($1) } }
        key("meshHeadings", &first); array(value.meshHeadings) { $0.write($1) }
        key("otherAbstracts", &first); array(value.otherAbstracts) { $0.write($1) }
        if let v = value.owner { key("owner", &first); string(v) }
        if let v = value.pages { key("pages", &first); string(v) }
        if let v = value.pmcid { key("pmcid", &first); string(v) }
        key("pmid", &first); int(value.pmid)
        if let v = value.pubDate { key("pubDate", &first); write(v) }
        if let v = value.publicationStatus { key("publicationStatus", &first); string(v) }
        key("publicationTypeUIs", &first); strings(value.publicationTypeUIs)
        key("publicationTypes", &first); strings(value.publicationTypes)
        if let v = value.sourceFile { key("sourceFile", &first); string(v) }
        if let v = value.status { key("status", &first); string(v) }
        key("title", &first); string(value.title)
        if let v = value.vernacularTitle { key("vernacularTitle", &first); string(v) }
        key("version", &first); int(value.version)
        if let v = value.year { key("year", &first); int(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.AbstractSection) {
        var first = true
        if let v = value.label { key("label", &first); string(v) }
        if let v = value.nlmCategory { key("nlmCategory", &first); string(v) }
        key("text", &first); string(value.text)
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.OtherAbstract) {
        var first = true
        if let v = value.language { key("language", &first); string(v) }
        key("text", &first); string(value.text)
        if let v = value.type { key("type", &first); string(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.Author) {
        var first = true
        key("affiliations", &first); strings(value.affiliations)
        if let v = value.collectiveName { key("collectiveName", &first); string(v) }
        if let v = value.foreName { key("foreName", &first); string(v) }
        if let v = value.initials { key("initials", &first); string(v) }
        if let v = value.lastName { key("lastName", &first); string(v) }
        if let v = value.orcid { key("orcid", &first); string(v) }
        if let v = value.suffix { key("suffix", &first); string(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.Book) {
        var first = true
        if let v = value.edition { key("edition", &first); string(v) }
        key("editors", &first); array(value.editors) { $0.write($1) }
        key("isPart", &first); bool(value.isPart)
        if let v = value.publisher { key("publisher", &first); string(v) }
        if let v = value.publisherLocation { key("publisherLocation", &first); string(v) }
        if let v = value.title { key("title", &first); string(v) }
        if let v = value.volume { key("volume", &first); string(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.Journal) {
        var first = true
        if let v = value.country { key("country", &first); string(v) }
        if let v = value.isoAbbreviation { key("isoAbbreviation", &first); string(v) }
        if let v = value.issn { key("issn", &first); string(v) }
        if let v = value.issnLinking { key("issnLinking", &first); string(v) }
        if let v = value.issnType { key("issnType", &first); string(v) }
        if let v = value.issue { key("issue", &first); string(v) }
        if let v = value.medlineTA { key("medlineTA", &first); string(v) }
        if let v = value.nlmUniqueID { key("nlmUniqueID", &first); string(v) }
        if let v = value.title { key("title", &first); string(v) }
        if let v = value.volume { key("volume", &first); string(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.PubDate) {
        var first = true
        if let v = value.day { key("day", &first); int(v) }
        if let v = value.medlineDate { key("medlineDate", &first); string(v) }
        if let v = value.month { key("month", &first); int(v) }
        if let v = value.season { key("season", &first); string(v) }
        if let v = value.year { key("year", &first); int(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.ArticleDate) {
        var first = true
        if let v = value.dateType { key("dateType", &first); string(v) }
        if let v = value.day { key("day", &first); int(v) }
        if let v = value.month { key("month", &first); int(v) }
        if let v = value.year { key("year", &first); int(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.ELocationID) {
        var first = true
        key("type", &first); string(value.type)
        key("valid", &first); bool(value.valid)
        key("value", &first); string(value.value)
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.ArticleID) {
        var first = true
        key("type", &first); string(value.type)
        key("value", &first); string(value.value)
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.MeshHeading) {
        var first = true
        key("descriptor", &first); string(value.descriptor)
        if let v = value.descriptorUI { key("descriptorUI", &first); string(v) }
        key("majorTopic", &first); bool(value.majorTopic)
        key("qualifiers", &first); array(value.qualifiers) { $0.write($1) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.MeshQualifier) {
        var first = true
        key("majorTopic", &first); bool(value.majorTopic)
        key("name", &first); string(value.name)
        if let v = value.ui { key("ui", &first); string(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.Chemical) {
        var first = true
        key("name", &first); string(value.name)
        if let v = value.registryNumber { key("registryNumber", &first); string(v) }
        if let v = value.ui { key("ui", &first); string(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.KeywordList) {
        var first = true
        key("count", &first); int(value.count)
        key("owner", &first); string(value.owner)
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.Grant) {
        var first = true
        if let v = value.acronym { key("acronym", &first); string(v) }
        if let v = value.agency { key("agency", &first); string(v) }
        if let v = value.country { key("country", &first); string(v) }
        if let v = value.grantID { key("grantID", &first); string(v) }
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.CommentCorrection) {
        var first = true
        if let v = value.pmid { key("pmid", &first); int(v) }
        if let v = value.refSource { key("refSource", &first); string(v) }
        key("refType", &first); string(value.refType)
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.HistoryDate) {
        var first = true
        if let v = value.day { key("day", &first); int(v) }
        if let v = value.hour { key("hour", &first); int(v) }
        if let v = value.minute { key("minute", &first); int(v) }
        if let v = value.month { key("month", &first); int(v) }
        key("status", &first); string(value.status)
        key("year", &first); int(value.year)
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func write(_ value: PubMedRecord.SimpleDate) {
        var first = true
        if let v = value.day { key("day", &first); int(v) }
        if let v = value.month { key("month", &first); int(v) }
        key("year", &first); int(value.year)
        if first { bytes.append(UInt8(ascii: "{")) }
        bytes.append(UInt8(ascii: "}"))
    }

    // MARK: Pieces

    /// `{` or `,`, then `"name":`.
    private mutating func key(_ name: StaticString, _ first: inout Bool) {
        bytes.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
        first = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func int(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func bool(_ value: Bool) {
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    private mutating func strings(_ values: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            string(value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func array<T>(_ values: [T], _ element: (inout RecordJSONWriter, T) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            element(&self, value)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// `value` as a JSON string literal, quotes included (`JSONString.quoted`).
    static func quoted(_ value: String) -> String {
        var writer = RecordJSONWriter(capacity: value.utf8.count + 2)
        writer.string(value)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`-style or `\u00XX`, everything
    /// else (slashes, non-ASCII) as is.
    private mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var utf8 = value.utf8
        let done: Void? = utf8.withContiguousStorageIfAvailable { buffer in append(escaping: buffer) }
        if done == nil {
            var copy = value
            copy.makeContiguousUTF8()
            utf8 = copy.utf8
            _ = utf8.withContiguousStorageIfAvailable { buffer in append(escaping: buffer) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(escaping buffer: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for index in 0..<buffer.count {
            let byte = buffer[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<index]))
            start = index + 1
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            default:
                bytes.append(contentsOf: Array("u00".utf8))
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<buffer.count]))
    }
}
