import PubMedRecords

/// A line of PostgreSQL's COPY text format, built field by field: tab between fields, `\N` for
/// NULL, backslash, tab, newline and carriage return escaped; arrays as `{"…","…"}` literals.
/// https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.2
struct CopyText {
    private(set) var bytes: [UInt8] = []
    private var fields = 0

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    private mutating func separate() {
        if fields > 0 { bytes.append(0x09) }
        fields += 1
    }

    mutating func null() {
        separate()
        bytes.append(contentsOf: [0x5C, 0x4E])
    }

    mutating func text(_ value: String?) {
        guard let value else { return null() }
        separate()
        var text = value
        text.withUTF8 { escape($0) }
    }

    /// A value a btree index covers: at most `maximumKeyBytes` of it (cut at a character's
    /// boundary). A btree entry must fit a third of a page (2,704 bytes after compression), and
    /// one longer value (a keyword holding a pasted abstract) would fail its whole file; the
    /// record's JSON and XML keep it whole, and no real heading, name or identifier comes near.
    mutating func key(_ value: String?) {
        text(value.map(Self.keyValue))
    }

    /// `value` cut to at most `maximumKeyBytes`, at a character's boundary.
    static func keyValue(_ value: String) -> String {
        guard value.utf8.count > maximumKeyBytes else { return value }
        let bytes = value.utf8
        var end = bytes.index(bytes.startIndex, offsetBy: maximumKeyBytes)
        // Back to the first byte of a character (a continuation byte is 10xxxxxx).
        while end > bytes.startIndex, bytes[end] & 0xC0 == 0x80 { end = bytes.index(before: end) }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    /// The most bytes of a value `key` writes.
    static let maximumKeyBytes = 1_000

    mutating func raw(_ value: [UInt8]) {
        separate()
        value.withUnsafeBufferPointer { escape($0) }
    }

    mutating func int(_ value: Int?) {
        guard let value else { return null() }
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(value ? 0x74 : 0x66)
    }

    /// A `text[]`: each element quoted, `"` and `\` escaped inside it (then escaped again for COPY).
    mutating func array(_ values: [String]) {
        var literal: [UInt8] = [0x7B]
        for (index, value) in values.enumerated() {
            if index > 0 { literal.append(0x2C) }
            literal.append(0x22)
            for byte in value.utf8 {
                if byte == 0x22 || byte == 0x5C { literal.append(0x5C) }
                literal.append(byte)
            }
            literal.append(0x22)
        }
        literal.append(0x7D)
        raw(literal)
    }

    /// A date from its parts, NULL unless it is a whole, valid date.
    mutating func date(year: Int?, month: Int?, day: Int?) {
        guard let year, let month, let day, Self.isDate(year: year, month: month, day: day) else { return null() }
        separate()
        bytes.append(contentsOf: "\(year)-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)".utf8)
    }

    /// Whether the parts make a whole, valid date of the years records may have.
    static func isDate(year: Int, month: Int, day: Int) -> Bool {
        PubMedRecord.years.contains(year) && (1...12).contains(month) && (1...31).contains(day) && day <= days(month: month, year: year)
    }

    private static func days(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Ends the line.
    mutating func end() {
        bytes.append(0x0A)
        fields = 0
    }

    private mutating func escape(_ value: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for (index, byte) in value.enumerated() where byte == 0x5C || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0 {
            bytes.append(contentsOf: value[start..<index])
            switch byte {
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            // PostgreSQL text cannot hold NUL; XML 1.0 cannot either, so a file never brings one.
            case 0: break
            default: bytes.append(contentsOf: [0x5C, 0x5C])
            }
            start = index + 1
        }
        bytes.append(contentsOf: value[start...])
    }
}
