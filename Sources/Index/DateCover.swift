import PubMedQuery

/// The date codes that together find every date in a span of days, and only those: whole years as
/// the year's own code (`2020`, which every date of that year carries besides its precise code),
/// whole months as the prefix `YYYYMM`, single days as `YYYYMMDD`; more than `maximumYears` whole
/// years as prefixes of decades, centuries and millennia instead. A record's date is coded as
/// precisely as the record gives it (`2020`, `202003`, `20200315`), so a date known only to the
/// year is in a span only if the whole year is (`2020[dp]` finds it; `2020/03[dp]` does not).
enum DateCover {
    /// A code and whether it is a prefix (`*`) or a whole token.
    struct Code: Equatable {
        var text: String
        var prefix: Bool
    }

    /// Whole years up to this many are each one exact token (an OR of exact tokens is read lazily;
    /// a prefix's postings are all merged before the query starts).
    static let maximumYears = 200

    static func codes(first: Int, last: Int) -> [Code] {
        guard first <= last else { return [] }
        // A year (4 digits) is a whole token, which every date of that year carries; a day (8) is one
        // too; millennia, centuries, decades (1–3) and months (6) are prefixes.
        return prefixes(first: first, last: last).map { Code(text: $0, prefix: $0.count != 4 && $0.count != 8) }
    }

    static func prefixes(first: Int, last: Int) -> [String] {
        guard first <= last else { return [] }
        let firstYear = first / 10_000, lastYear = last / 10_000
        var prefixes: [String] = []
        var wholeYears: [Int] = []
        for year in firstYear...lastYear {
            let start = max(first, year * 10_000 + 101), end = min(last, year * 10_000 + 1231)
            if start == year * 10_000 + 101 && end >= year * 10_000 + 1231 {
                wholeYears.append(year)
                continue
            }
            prefixes += yearParts(year, from: start, to: end)
        }
        return (wholeYears.count > maximumYears ? compress(wholeYears) : wholeYears.map(String.init)) + prefixes
    }

    /// The months and days of one year between two days of it.
    private static func yearParts(_ year: Int, from start: Int, to end: Int) -> [String] {
        var parts: [String] = []
        for month in (start / 100 % 100)...(end / 100 % 100) {
            let length = DateSpan.days(year: year, month: month)
            let monthStart = year * 10_000 + month * 100
            let low = max(start, monthStart + 1), high = min(end, monthStart + length)
            guard low <= high else { continue }
            if low == monthStart + 1 && high == monthStart + length {
                parts.append(String(monthStart / 100))
            } else {
                parts += (low...high).map(String.init)
            }
        }
        return parts
    }

    /// Runs of whole years as the shortest prefixes: 2020…2029 is `202`, 2100…2999 is `21`…`29`.
    private static func compress(_ years: [Int]) -> [String] {
        var prefixes: [String] = []
        var index = 0
        while index < years.count {
            let year = years[index]
            var size = 1000
            while size > 1 {
                let end = year + size - 1
                if year % size == 0, index + size - 1 < years.count, years[index + size - 1] == end { break }
                size /= 10
            }
            prefixes.append(String(year / size))
            index += size
        }
        return prefixes
    }
}
