/// The query syntax of pubmed-mirror's first versions, still read as aliases of PubMed's tags:
/// `title:aspirin`, `abstract:…`, `author:"smith j"`, `mesh:"breast neoplasms"`, `journal:lancet`,
/// `type:review`, `keyword:…`, and `year:2019`, `year:2015..2020`, `year:..1990`.
enum LegacySyntax {
    static let fields: [String: QueryField] = [
        "title": .title, "abstract": .abstract, "author": .author, "authors": .author, "mesh": .mesh,
        "journal": .journal, "type": .publicationType, "keyword": .otherTerm, "keywords": .otherTerm,
        "year": .publicationDate,
    ]

    /// Whether a word starts with one of the fields and a colon.
    static func isField(_ word: String) -> Bool {
        guard let colon = word.firstIndex(of: ":") else { return false }
        return fields[word[..<colon].lowercased()] != nil
    }

    /// The term, if the run of words starts with `field:`; consumes a following phrase for `field:"…"`.
    /// Only a run of one word can be one (`title:heart failure` is `title:heart AND failure`):
    /// the rest of a longer run is left for the caller.
    static func term(_ run: [QueryToken], tokens: [QueryToken], next: inout Int, source: String) throws(QueryError) -> QueryNode? {
        guard let first = run.first, case .word(let word) = first.kind,
              let colon = word.firstIndex(of: ":"),
              let field = fields[word[..<colon].lowercased()]
        else { return nil }
        var value = String(word[word.index(after: colon)...])
        var quoted = false
        var end = first.range.upperBound
        if value.isEmpty {
            guard run.count == 1, next < tokens.count, case .phrase(let phrase) = tokens[next].kind else {
                throw QueryError("\(word) has no value", query: source, offset: first.range.lowerBound)
            }
            value = phrase
            quoted = true
            end = tokens[next].range.upperBound
            next += 1
        }
        let position = first.range.lowerBound..<end
        var term: QueryTerm
        if field == .publicationDate {
            guard let dates = years(value) else {
                throw QueryError("year:\(value) is not a year or a range like 2015..2020", query: source, offset: first.range.lowerBound)
            }
            term = QueryTerm(text: dates.text, field: field, dates: dates, position: position)
        } else {
            let truncated = value.hasSuffix("*")
            while value.hasSuffix("*") { value.removeLast() }
            guard value.contains(where: { $0.isLetter || $0.isNumber }) else {
                throw QueryError("\(word) has no value", query: source, offset: first.range.lowerBound)
            }
            term = QueryTerm(text: value, field: field, quoted: quoted, truncated: truncated, position: position)
        }
        // The rest of the run: untagged words, each a term.
        var node = QueryNode.term(term)
        for token in run.dropFirst() {
            guard case .word(let text) = token.kind else { continue }
            node = .and(node, .term(QueryTerm(text: text, position: token.range)))
        }
        return node
    }

    /// `2019`, `2015..2020`, `..1990`, `2015..`.
    private static func years(_ text: String) -> DateSpan? {
        func year(_ part: Substring, _ fallback: Int) -> Int? {
            if part.isEmpty { return fallback }
            guard part.count == 4, let year = Int(part), year >= 1000 else { return nil }
            return year
        }
        let parts = text.components(separatedBy: "..")
        guard parts.count <= 2,
              let low = year(Substring(parts[0]), 1000),
              let high = parts.count == 2 ? year(Substring(parts[1]), 9999) : year(Substring(parts[0]), 0),
              low <= high
        else { return nil }
        return DateSpan(first: low * 10_000 + 101, last: high * 10_000 + 1231, text: low == high ? "\(low)" : "\(low):\(high)")
    }
}

import Foundation
