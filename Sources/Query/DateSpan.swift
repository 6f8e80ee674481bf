/// A span of days from a query's date term: `2020` is the whole year, `2020/03` the month,
/// `2020/03/15` the day, `2015:2020` the years 2015 to 2020, `2020/01/01:2020/06/30` the first half of 2020.
///
/// Days are `YYYYMMDD` integers, so spans compare as numbers; months are taken as 31 days long
/// (a span only ever needs to contain the real days).
public struct DateSpan: Sendable, Equatable, CustomStringConvertible {
    public var first: Int
    public var last: Int
    /// As written, for the query translation.
    public var text: String

    public init(first: Int, last: Int, text: String) {
        self.first = first
        self.last = last
        self.text = text
    }

    public var description: String { text }

    /// One date as PubMed writes it (`YYYY`, `YYYY/MM`, `YYYY/MM/DD`; `-` or `.` may separate the
    /// parts), as the span of days it covers; nil if it is not one.
    static func single(_ text: String) -> (first: Int, last: Int)? {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "-" || $0 == "." })
        guard (1...3).contains(parts.count),
              parts[0].count == 4, let year = Int(parts[0]), year >= 1000
        else { return nil }
        if parts.count == 1 { return (year * 10_000 + 101, year * 10_000 + 1231) }
        guard parts[1].count <= 2, let month = Int(parts[1]), (1...12).contains(month) else { return nil }
        if parts.count == 2 { return (year * 10_000 + month * 100 + 1, year * 10_000 + month * 100 + 31) }
        guard parts[2].count <= 2, let day = Int(parts[2]), (1...days(year: year, month: month)).contains(day) else { return nil }
        let date = year * 10_000 + month * 100 + day
        return (date, date)
    }

    /// `last N days|months|years` (any case, singular or plural), counted back from `today` (UTC).
    private static func relative(_ text: String, today: Date) -> DateSpan? {
        let words = text.lowercased().split(whereSeparator: \.isWhitespace)
        guard words.count == 3, words[0] == "last", let count = Int(words[1]), (1...10_000).contains(count) else { return nil }
        let component: Calendar.Component
        switch words[2] {
        case "day", "days": component = .day
        case "month", "months": component = .month
        case "year", "years": component = .year
        default: return nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let start = calendar.date(byAdding: component, value: -count, to: today) else { return nil }
        let parts = calendar.dateComponents([.era, .year, .month, .day], from: start)
        // Before the common era the calendar counts years down again (`last 5000 years`).
        guard parts.era == 1, let year = parts.year, let month = parts.month, let day = parts.day, year >= 1000 else { return nil }
        return DateSpan(first: year * 10_000 + month * 100 + day, last: 3000_12_31, text: words.joined(separator: " "))
    }

    /// From the start of `from` to the end of `to`; written the other way round (`2020:2015`),
    /// the same dates, as the range cannot mean nothing.
    static func ranged(_ from: (first: Int, last: Int), _ to: (first: Int, last: Int), text: String) -> DateSpan {
        to.last < from.first ? DateSpan(first: to.first, last: from.last, text: text) : DateSpan(first: from.first, last: to.last, text: text)
    }

    /// The days of a month, leap years included.
    public static func days(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// A date, a range `A:B`, or a period back from `today` (`last 30 days`, `last 6 months`,
    /// `last 5 years`: from that day through the year 3000, as PubMed's date filters run, so that
    /// issues dated ahead are in); nil if the text is none of them.
    static func parse(_ text: String, today: Date = Date()) -> DateSpan? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let relative = relative(trimmed, today: today) { return relative }
        if let colon = trimmed.firstIndex(of: ":") {
            let low = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
            let high = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            guard let from = single(low), let to = single(high) else { return nil }
            return ranged(from, to, text: "\(low):\(high)")
        }
        guard let day = single(trimmed) else { return nil }
        return DateSpan(first: day.first, last: day.last, text: trimmed)
    }
}

import Foundation
