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
                case "meshHeadings":
                    try reader.array { reader in
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
                        mesh.append(descriptor)
                        mesh += qualifiers
                    }
                case "authors":
                    try reader.array { reader in
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
                        authors.append(collective ?? [last, fore, initials].compactMap { $0 }.joined(separator: " "))
                    }
                case "journal":
                    var parts: [String: String] = [:]
                    try reader.object { reader, key in
                        if key == "title" || key == "isoAbbreviation" || key == "medlineTA" { parts[key] = try reader.string() } else { try reader.skip() }
                    }
                    journal = [parts["title"], parts["isoAbbreviation"], parts["medlineTA"]].compactMap { $0 }
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
}

/// Reads JSON text front to back, for callers that know the shape they expect: objects key by key,
/// arrays element by element, anything else skipped. Strings are unescaped (all of RFC 8259's
/// escapes, surrogate pairs included). Throws at the first byte that is not valid JSON there.
struct JSONReader {
    struct Malformed: Error {}

    private let bytes: UnsafeBufferPointer<UInt8>
    private var at = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Calls `member` with each key of the object here; `member` must read or skip its value.
    mutating func object(_ member: (inout JSONReader, String) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") { at += 1; return }
        while true {
            let key = try string()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            let next = try take()
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { throw Malformed() }
        }
    }

    /// Calls `element` for each element of the array here; `element` must read or skip it.
    mutating func array(_ element: (inout JSONReader) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") { at += 1; return }
        while true {
            try element(&self)
            let next = try take()
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { throw Malformed() }
        }
    }

    mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = at
        // The common case: no escape, the bytes as they are.
        while at < bytes.count, bytes[at] != UInt8(ascii: "\""), bytes[at] != UInt8(ascii: "\\") { at += 1 }
        guard at < bytes.count else { throw Malformed() }
        if bytes[at] == UInt8(ascii: "\"") {
            defer { at += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        }
        var text = Array(bytes[start..<at])
        while true {
            guard at < bytes.count else { throw Malformed() }
            let byte = bytes[at]
            at += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                let escape = try take(raw: true)
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), at + 1 < bytes.count,
                       bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                        at += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw Malformed() }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    // A lone surrogate is not a character: U+FFFD, as a decoder would give.
                    text.append(contentsOf: String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default:
                    throw Malformed()
                }
            default:
                text.append(byte)
            }
        }
    }

    /// Skips the value here, whatever it is.
    mutating func skip() throws {
        switch try peek() {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "{"): try object { reader, _ in try reader.skip() }
        case UInt8(ascii: "["): try array { reader in try reader.skip() }
        default:
            // A number, true, false or null: up to the next structural byte.
            let start = at
            while at < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
            guard at > start else { throw Malformed() }
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard at + 4 <= bytes.count else { throw Malformed() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[at]
            at += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Malformed()
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try take() == byte else { throw Malformed() }
    }

    /// The next byte that is not white space (or, `raw`, the next byte), consumed.
    private mutating func take(raw: Bool = false) throws -> UInt8 {
        if !raw { skipSpace() }
        guard at < bytes.count else { throw Malformed() }
        defer { at += 1 }
        return bytes[at]
    }

    private mutating func peek() throws -> UInt8 {
        skipSpace()
        guard at < bytes.count else { throw Malformed() }
        return bytes[at]
    }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[at]) { at += 1 }
    }
}
