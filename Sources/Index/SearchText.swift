import PubMedRecords
/// The text of one record, column by column, as the full-text index holds it.
struct SearchText: Sendable, Equatable {
    var title: String
    var abstract: String
    var keywords: String
    var mesh: String
    var authors: String
    var journal: String
    var types: String

    init(_ record: PubMedRecord) {
        title = [record.title, record.vernacularTitle].compactMap { $0 }.joined(separator: " ")
        abstract = ([record.abstract] + record.otherAbstracts.map(\.text)).compactMap { $0 }.joined(separator: "\n")
        keywords = record.keywords.joined(separator: "; ")
        mesh = record.meshHeadings.flatMap { [$0.descriptor] + $0.qualifiers.map(\.name) }.joined(separator: "; ")
        authors = record.authors.map { author in
            author.collectiveName ?? [author.lastName, author.foreName, author.initials].compactMap { $0 }.joined(separator: " ")
        }.joined(separator: "; ")
        journal = [record.journal?.title, record.journal?.isoAbbreviation, record.journal?.medlineTA]
            .compactMap { $0 }.joined(separator: "; ")
        types = record.publicationTypes.joined(separator: "; ")
    }
}

extension SearchText {
    /// The search text of a record straight from its stored JSON (the shape `RecordJSONWriter`
    /// writes), reading only the fields the text is made of: the same text as decoding the whole
    /// record would give (a test holds the two equal on every real record), at a fraction of the
    /// cost. The index writer needs it for every stored record an update file replaces (FTS5 is
    /// told to remove exactly the text it indexed); Foundation's JSONDecoder took about 70 µs a
    /// record there, most of an update file's time. Nil when the bytes are not such a record.
    init?(json: [UInt8]) {
        var title: String?, vernacular: String?, abstract: String?
        var otherAbstracts: [String] = [], keywords: [String] = [], mesh: [String] = [], authors: [String] = []
        var journal: [String] = [], types: [String] = []
        let found: Bool = json.withUnsafeBufferPointer { buffer in
            var reader = JSONReader(buffer)
            return (try? reader.object { reader, key in
                switch key {
                case "title": title = try reader.string()
                case "vernacularTitle": vernacular = try reader.string()
                case "abstract": abstract = try reader.string()
                case "otherAbstracts":
                    try reader.array { reader in
                        try reader.object { reader, key in
                            if key == "text" { otherAbstracts.append(try reader.string()) } else { try reader.skip() }
                        }
                    }
                case "keywords": try reader.array { reader in keywords.append(try reader.string()) }
                case "publicationTypes": try reader.array { reader in types.append(try reader.string()) }
                case "meshHeadings": try reader.array { reader in mesh += try Self.meshTerms(&reader) }
                case "authors": try reader.array { reader in authors.append(try Self.authorName(&reader)) }
                case "journal": journal = try Self.journalNames(&reader)
                default:
                    try reader.skip()
                }
            }) != nil
        }
        guard found, let title else { return nil }
        self.title = [title, vernacular].compactMap { $0 }.joined(separator: " ")
        self.abstract = ([abstract] + otherAbstracts.map { Optional($0) }).compactMap { $0 }.joined(separator: "\n")
        self.keywords = keywords.joined(separator: "; ")
        self.mesh = mesh.joined(separator: "; ")
        self.authors = authors.joined(separator: "; ")
        self.journal = journal.joined(separator: "; ")
        self.types = types.joined(separator: "; ")
    }

    /// A MeSH heading's descriptor, then its qualifiers.
    private static func meshTerms(_ reader: inout JSONReader) throws -> [String] {
        var descriptor = "", qualifiers: [String] = []
        try reader.object { reader, key in
            switch key {
            case "descriptor": descriptor = try reader.string()
            case "qualifiers":
                try reader.array { reader in
                    try reader.object { reader, key in
                        if key == "name" { qualifiers.append(try reader.string()) } else { try reader.skip() }
                    }
                }
            default: try reader.skip()
            }
        }
        return [descriptor] + qualifiers
    }

    /// An author as the search text names them: the collective name, or last, fore names and initials.
    private static func authorName(_ reader: inout JSONReader) throws -> String {
        var collective: String?, last: String?, fore: String?, initials: String?
        try reader.object { reader, key in
            switch key {
            case "collectiveName": collective = try reader.string()
            case "lastName": last = try reader.string()
            case "foreName": fore = try reader.string()
            case "initials": initials = try reader.string()
            default: try reader.skip()
            }
        }
        return collective ?? [last, fore, initials].compactMap { $0 }.joined(separator: " ")
    }

    /// The journal's title, ISO abbreviation and MEDLINE abbreviation, those it has.
    private static func journalNames(_ reader: inout JSONReader) throws -> [String] {
        var parts: [String: String] = [:]
        try reader.object { reader, key in
            if key == "title" || key == "isoAbbreviation" || key == "medlineTA" { parts[key] = try reader.string() } else { try reader.skip() }
        }
        return [parts["title"], parts["isoAbbreviation"], parts["medlineTA"]].compactMap { $0 }
    }
}
