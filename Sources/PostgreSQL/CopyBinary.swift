import PubMedRecords

/// Fields of a row in PostgreSQL's binary COPY format, each its length (big-endian 32 bits, -1 for
/// NULL) then its value in the type's binary form (`typsend`/`typreceive`).
/// https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.4
///
/// The `article` rows go this way: the server then reads each value as it is, where the text
/// format made it find the fields' ends, undo escapes and parse every value, the word vectors
/// above all. Loading one 30,000-record file's rows took the server 2.1 s against 4.3 s in the
/// text format (Docs/benchmarks.md). The child tables' small rows gained nothing measurable and
/// stay in `CopyText`.
struct CopyBinary {
    private(set) var bytes: [UInt8] = []
    /// The fields written so far (a row's count, for `row(fields:)`).
    private(set) var fields = 0

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// What a binary COPY's data starts with: the signature, no flags, no header extension.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
    /// What it ends with: a field count of -1.
    static let trailer: [UInt8] = [0xFF, 0xFF]

    /// Starts a row of `fields` fields.
    mutating func row(fields: Int) {
        append16(UInt16(fields))
    }

    mutating func null() {
        fields += 1
        append32(UInt32(bitPattern: -1))
    }

    /// An `integer`; NULL for nil, and for a value beyond 32 bits, which none of the columns written
    /// so reaches (PMIDs, versions, years and dates are checked where they are read).
    mutating func int32(_ value: Int?) {
        guard let value, let narrow = Int32(exactly: value) else { return null() }
        fields += 1
        append32(4)
        append32(UInt32(bitPattern: narrow))
    }

    mutating func int64(_ value: Int64) {
        fields += 1
        append32(8)
        append32(UInt32(truncatingIfNeeded: value >> 32))
        append32(UInt32(truncatingIfNeeded: value))
    }

    mutating func bool(_ value: Bool) {
        fields += 1
        append32(1)
        bytes.append(value ? 1 : 0)
    }

    /// A `text` value (also `json`, whose binary form is its text). PostgreSQL's text cannot hold
    /// NUL, which `CopyText` leaves out too; XML 1.0 cannot hold it either.
    mutating func text(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { raw($0) }
    }

    /// A value a btree index covers, cut as `CopyText.key` cuts it.
    mutating func key(_ value: String?) {
        text(value.map(CopyText.keyValue))
    }

    mutating func raw(_ value: [UInt8]) {
        value.withUnsafeBufferPointer { raw($0) }
    }

    mutating func raw(_ value: UnsafeBufferPointer<UInt8>) {
        fields += 1
        guard value.contains(0) else {
            append32(UInt32(value.count))
            bytes.append(contentsOf: value)
            return
        }
        let kept = value.filter { $0 != 0 }
        append32(UInt32(kept.count))
        bytes.append(contentsOf: kept)
    }

    /// A value already in its type's binary form (a `tsvector` from `SearchVectors`).
    mutating func binary(_ value: [UInt8]) {
        fields += 1
        append32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A one-dimensional `text[]` (`array_recv`): dimensions, a has-NULLs flag, the element type's
    /// OID, then the length and lower bound of the dimension, then each element as a field. An
    /// empty array has no dimension.
    mutating func textArray(_ values: [String]) {
        var array = CopyBinary()
        array.append32(values.isEmpty ? 0 : 1)
        array.append32(0)
        array.append32(Self.textOID)
        if !values.isEmpty {
            array.append32(UInt32(values.count))
            array.append32(1)
            for value in values { array.text(value) }
        }
        binary(array.bytes)
    }

    /// The OID of type `text` (pg_type.dat), which `array_recv` checks against the column's.
    static let textOID: UInt32 = 25

    /// A date from its parts (`date_recv`: days from 2000-01-01), NULL unless it is a whole, valid
    /// date, as `CopyText.date` decides.
    mutating func date(year: Int?, month: Int?, day: Int?) {
        guard let year, let month, let day, CopyText.isDate(year: year, month: month, day: day) else { return null() }
        fields += 1
        append32(4)
        append32(UInt32(bitPattern: Int32(Self.days(year: year, month: month, day: day) - Self.days(year: 2000, month: 1, day: 1))))
    }

    /// Days from 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's
    /// `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// Empties the buffer, keeping its memory, to write the next rows.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        fields = 0
    }

    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func append(_ slice: ArraySlice<UInt8>) {
        bytes.append(contentsOf: slice)
    }

    mutating func append16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func append32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }
}
