import Foundation

/// Parses the three kinds of folder listing an FTP server sends: `LIST` (Unix `ls -l` style, or the
/// DOS style of IIS), `MLSD` (RFC 3659 facts) and `NLST` (bare names).
///
/// Every parser is total: a line it does not understand is skipped, never reported and never fatal,
/// because a listing is untrusted input and one odd line must not hide the rest. Names are returned
/// as the server gave them; deciding which names are safe to store is the caller's job
/// (`PubMedFileName`).
public enum FTPListingParser {
    /// Parses `LIST` output: Unix style as vsftpd, pure-ftpd, proftpd and NCBI send it, or DOS style.
    ///
    /// - Parameter now: the current time, used to give a year to `Mon DD HH:MM` stamps, which have
    ///   none: the year that puts the stamp at most about a day after `now` (servers may sit in a zone
    ///   ahead of ours).
    public static func parseList(_ text: String, now: Date) -> [ListingEntry] {
        let interval = now.timeIntervalSince1970
        // Clamped so that no Date, however absurd, can trap the conversion.
        let nowSeconds = interval.isFinite ? Int64(min(max(interval, -1e15), 1e15).rounded(.down)) : 0
        var entries: [ListingEntry] = []
        for line in lines(of: text) {
            let fields = ListingFields(line, limit: 12)
            guard let first = fields.first else { continue }
            let entry: ListingEntry?
            if let lead = first.utf8.first, ListingDate.isDigit(lead) {
                entry = parseDOSLine(fields)
            } else {
                entry = parseUnixLine(fields, nowSeconds: nowSeconds)
            }
            if let entry, !isDotEntry(entry.name) { entries.append(entry) }
        }
        return entries
    }

    /// Parses `MLSD` output (RFC 3659 §7): `fact=value;…; name` per line.
    ///
    /// Fact names and the `type` value are case-insensitive; `type=cdir` and `type=pdir` (the folder
    /// itself and its parent) are skipped. `modify` is UTC by definition, so stamps have
    /// `.second` precision; a fraction of a second is dropped.
    public static func parseMLSD(_ text: String) -> [ListingEntry] {
        var entries: [ListingEntry] = []
        for line in lines(of: text) {
            // The facts end at the first space; everything after it is the name, spaces included.
            guard let space = line.utf8.firstIndex(of: UInt8(ascii: " ")) else { continue }
            let name = String(line[line.utf8.index(after: space)...])
            guard !name.isEmpty, !isDotEntry(name) else { continue }
            var entry = ListingEntry(name: name)
            var skip = false
            var isLink = false
            for fact in line[..<space].split(separator: ";") {
                guard let equals = fact.firstIndex(of: "=") else { continue }
                let key = fact[..<equals].lowercased()
                let value = fact[fact.index(after: equals)...]
                switch key {
                case "type":
                    let type = value.lowercased()
                    switch type {
                    case "dir": entry.isDirectory = true
                    case "cdir", "pdir": skip = true
                    default:
                        // proftpd's `OS.Unix=symlink`, RFC 3659's `OS.unix=slink:target`: as in LIST,
                        // the size is the link's own, not that of the file it leads to.
                        isLink = type.hasPrefix("os.unix=slink") || type.hasPrefix("os.unix=symlink")
                    }
                case "size":
                    entry.size = ListingDate.integer(value).map(SizeHint.exact)
                case "modify":
                    entry.modified = parseMLSDTime(value)
                default:
                    break
                }
            }
            if isLink { entry.size = nil }
            if !skip { entries.append(entry) }
        }
        return entries
    }

    /// Parses `NLST` output: one name a line, LF or CRLF. Blank lines, `.` and `..` are skipped;
    /// every other name is kept exactly as sent (less the line end).
    public static func parseNameList(_ text: String) -> [ListingEntry] {
        lines(of: text).compactMap { line in
            guard !line.allSatisfy({ $0 == " " || $0 == "\t" }), !isDotEntry(line) else { return nil }
            return ListingEntry(name: String(line))
        }
    }

    // MARK: - LIST, Unix style

    /// `-rw-r--r--    1 ftp      ftp      16654749 Dec 16  2019 pubmed20n0014.xml.gz`
    ///
    /// Owner and group columns vary (absent, numeric, containing digits), so the line is anchored on
    /// the first `SIZE MONTH DAY TIME-OR-YEAR` run of fields rather than on column numbers.
    private static func parseUnixLine(_ fields: ListingFields, nowSeconds: Int64) -> ListingEntry? {
        let mode = fields[0]
        guard mode.utf8.count >= 10, let kind = mode.first, "-dl".contains(kind) else { return nil }
        guard fields.count >= 5 else { return nil }
        for month in 2 ..< fields.count - 2 {
            guard let monthNumber = ListingDate.month(fields[month]),
                  let day = ListingDate.integer(fields[month + 1]).map(Int.init), (1...31).contains(day),
                  let bytes = ListingDate.integer(fields[month - 1])
            else { continue }
            let stamp = fields[month + 2]
            let modified: RemoteTimestamp?
            if let year = ListingDate.year(stamp) {
                modified = ListingDate.seconds(year: year, month: monthNumber, day: day)
                    .map { RemoteTimestamp(seconds: $0, precision: .day) }
            } else if let time = ListingDate.clock(stamp) {
                modified = guessYear(month: monthNumber, day: day, time: time, nowSeconds: nowSeconds)
            } else {
                continue
            }
            guard let modified else { return nil }  // a date that does not exist, such as Feb 30
            // `ls` puts exactly one space between the time and the name; the name may hold more.
            var name = fields.rest(after: month + 2)
            guard !name.isEmpty else { return nil }
            var size: SizeHint? = .exact(bytes)
            if kind == "l" {
                // `name -> target`: LIST gives the link's own size (the length of the target path),
                // which says nothing about the file a download would fetch.
                if let arrow = name.range(of: " -> ") { name = name[..<arrow.lowerBound] }
                size = nil
                guard !name.isEmpty else { return nil }
            }
            return ListingEntry(name: String(name), size: size, modified: modified, isDirectory: kind == "d")
        }
        return nil
    }

    /// A `Mon DD HH:MM` stamp lies within the last six months, in the server's year: take the latest
    /// year that does not put it more than a day ahead of `now`.
    private static func guessYear(
        month: Int, day: Int, time: ListingDate.Clock, nowSeconds: Int64
    ) -> RemoteTimestamp? {
        let nowYear = ListingDate.year(ofSeconds: nowSeconds)
        // Eight years back always reaches a leap year, for a `Feb 29` stamp.
        for year in stride(from: nowYear + 1, through: nowYear - 8, by: -1) {
            guard let seconds = ListingDate.seconds(year: year, month: month, day: day,
                                                    hour: time.hour, minute: time.minute, second: time.second)
            else { continue }
            if seconds <= nowSeconds + 86_400 {
                return RemoteTimestamp(seconds: seconds, precision: time.precision)
            }
        }
        return nil
    }

    // MARK: - LIST, DOS style

    /// `01-10-25  02:05PM  16654749 pubmed25n1275.xml.gz` or `… <DIR>  sub` (IIS and others).
    private static func parseDOSLine(_ fields: ListingFields) -> ListingEntry? {
        guard fields.count >= 4,
              let date = ListingDate.dosDate(fields[0]),
              let time = ListingDate.dosTime(fields[1]),
              let seconds = ListingDate.seconds(year: date.year, month: date.month, day: date.day,
                                                hour: time.hour, minute: time.minute)
        else { return nil }
        let sizeField = fields[2]
        let isDirectory = sizeField.uppercased() == "<DIR>"
        var size: SizeHint?
        if !isDirectory {
            guard let bytes = ListingDate.integer(sizeField) else { return nil }
            size = .exact(bytes)
        }
        // DOS style pads the name column with spaces after `<DIR>`, so leading blanks are not kept.
        let name = fields.rest(after: 2).drop(while: { $0 == " " || $0 == "\t" })
        guard !name.isEmpty else { return nil }
        return ListingEntry(name: String(name), size: size,
                            modified: RemoteTimestamp(seconds: seconds, precision: .minute),
                            isDirectory: isDirectory)
    }

    // MARK: - MLSD

    /// `YYYYMMDDHHMMSS` with an optional `.sss` fraction, UTC.
    private static func parseMLSDTime(_ value: Substring) -> RemoteTimestamp? {
        let whole = value.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let digits = Array(whole.utf8)
        guard digits.count == 14, digits.allSatisfy(ListingDate.isDigit) else { return nil }
        func number(_ range: Range<Int>) -> Int {
            digits[range].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
        return ListingDate.seconds(year: number(0..<4), month: number(4..<6), day: number(6..<8),
                                   hour: number(8..<10), minute: number(10..<12), second: number(12..<14))
            .map { RemoteTimestamp(seconds: $0, precision: .second) }
    }

    // MARK: - Lines

    /// The lines of `text`, split at LF only (never at other Unicode line breaks, which a file name
    /// may contain), each without its trailing CR.
    private static func lines(of text: String) -> [Substring] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map { slice in
            var line = Substring(slice)
            if line.utf8.last == UInt8(ascii: "\r") { line = Substring(line.utf8.dropLast()) }
            return line
        }.filter { !$0.isEmpty }
    }

    private static func isDotEntry<S: StringProtocol>(_ name: S) -> Bool {
        name == "." || name == ".."
    }
}

/// The first few blank-separated fields of a listing line, remembering where each one ends so that
/// the rest of the line (a name that may hold spaces) can be cut out unchanged.
struct ListingFields {
    private let line: Substring
    private var ranges: [Range<Substring.Index>] = []

    init(_ line: Substring, limit: Int) {
        self.line = line
        let utf8 = line.utf8
        var index = utf8.startIndex
        while ranges.count < limit {
            while index < utf8.endIndex, Self.isBlank(utf8[index]) { index = utf8.index(after: index) }
            guard index < utf8.endIndex else { break }
            let start = index
            while index < utf8.endIndex, !Self.isBlank(utf8[index]) { index = utf8.index(after: index) }
            ranges.append(start ..< index)
        }
    }

    var count: Int { ranges.count }
    var first: Substring? { ranges.first.map { line[$0] } }

    subscript(position: Int) -> Substring { line[ranges[position]] }

    /// Everything after field `position` and the single blank that follows it.
    func rest(after position: Int) -> Substring {
        let utf8 = line.utf8
        let end = ranges[position].upperBound
        guard end < utf8.endIndex else { return line[end...] }
        return line[utf8.index(after: end)...]
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}

/// Date arithmetic shared by the listing parsers: proleptic Gregorian calendar, UTC, whole seconds.
///
/// Pure integer arithmetic rather than `Calendar`, so parsing stays cheap for listings of thousands
/// of rows and needs no shared calendar object across threads.
enum ListingDate {
    struct Clock {
        var hour: Int
        var minute: Int
        var second: Int
        var precision: RemoteTimestamp.Precision
    }

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"]

    /// `Jan` … `Dec`, any case; 1…12.
    static func month<S: StringProtocol>(_ text: S) -> Int? {
        guard text.utf8.count == 3 else { return nil }
        return monthNames.firstIndex(of: text.lowercased()).map { $0 + 1 }
    }

    /// A non-negative decimal made only of ASCII digits that fits in an `Int64`.
    static func integer<S: StringProtocol>(_ text: S) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy(isDigit) else { return nil }
        return text.utf8.reduce(0) { $0 * 10 + Int64($1 - UInt8(ascii: "0")) }
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// A four-digit year.
    static func year<S: StringProtocol>(_ text: S) -> Int? {
        guard text.utf8.count == 4, let value = integer(text) else { return nil }
        return Int(value)
    }

    /// `HH:MM` (minute precision) or `HH:MM:SS` (second precision), 24-hour clock.
    static func clock<S: StringProtocol>(_ text: S) -> Clock? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3,
              parts[0].utf8.count <= 2, parts.dropFirst().allSatisfy({ $0.utf8.count == 2 })
        else { return nil }
        let numbers = parts.compactMap { integer($0).map(Int.init) }
        guard numbers.count == parts.count, numbers[0] < 24, numbers[1] < 60 else { return nil }
        let second = numbers.count == 3 ? numbers[2] : 0
        guard second < 60 else { return nil }
        return Clock(hour: numbers[0], minute: numbers[1], second: second,
                     precision: numbers.count == 3 ? .second : .minute)
    }

    /// DOS style `MM-DD-YY` or `MM-DD-YYYY`; two-digit years 70–99 are 19xx, 00–69 are 20xx.
    static func dosDate<S: StringProtocol>(_ text: S) -> (year: Int, month: Int, day: Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].utf8.count == 2, parts[1].utf8.count == 2,
              parts[2].utf8.count == 2 || parts[2].utf8.count == 4,
              let month = integer(parts[0]), let day = integer(parts[1]), let rawYear = integer(parts[2])
        else { return nil }
        var year = Int(rawYear)
        if parts[2].utf8.count == 2 { year += year < 70 ? 2000 : 1900 }
        return (year, Int(month), Int(day))
    }

    /// DOS style `02:05PM` (12-hour) or `14:05` (24-hour).
    static func dosTime<S: StringProtocol>(_ text: S) -> (hour: Int, minute: Int)? {
        let upper = text.uppercased()
        var clockText = Substring(upper)
        var meridiem: String?
        if upper.hasSuffix("AM") || upper.hasSuffix("PM") {
            meridiem = String(upper.suffix(2))
            clockText = upper.dropLast(2)
        }
        guard let clock = clock(clockText), clock.precision == .minute else { return nil }
        guard let meridiem else { return (clock.hour, clock.minute) }
        guard (1...12).contains(clock.hour) else { return nil }
        let hour = clock.hour % 12 + (meridiem == "PM" ? 12 : 0)
        return (hour, clock.minute)
    }

    /// Unix seconds of a UTC wall-clock time; nil for a date that does not exist (Feb 30, month 13)
    /// or a year outside 1000…9999.
    static func seconds(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) -> Int64? {
        guard (1000...9999).contains(year), (1...12).contains(month),
              (1...daysInMonth(year: year, month: month)).contains(day),
              (0..<24).contains(hour), (0..<60).contains(minute), (0..<60).contains(second)
        else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return Int64(days) * 86_400 + Int64(hour * 3_600 + minute * 60 + second)
    }

    /// The UTC calendar year that `seconds` falls in.
    static func year(ofSeconds seconds: Int64) -> Int {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        // Shift to an era-based calendar that starts on 0000-03-01, so leap days fall at year end.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153  // 0 = March … 11 = February
        let year = yearOfEra + era * 400 + (shiftedMonth >= 10 ? 1 : 0)
        return Int(year)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// Days from 1970-01-01 to the given date, counting years from March so February's length only
    /// matters at the end of a counted year.
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
