import Foundation

/// A search as the user typed it, parsed: full-text terms for FTS5 and a year range.
///
/// Syntax: words (`heart`), phrases (`"heart failure"`), prefixes (`cardio*`), `OR`, `NOT`, and field
/// qualifiers `title:`, `abstract:`, `author:`, `mesh:`, `journal:`, `type:`, `keyword:` before a word or
/// phrase; `year:2019` or `year:2015..2020` (either end may be left open: `year:..1990`). Terms are
/// ANDed. Every term is quoted for FTS5, so punctuation in a word never becomes FTS5 syntax.
public struct SearchQuery: Sendable, Equatable {
    /// The FTS5 MATCH expression, or nil when the query has only a year filter.
    public var match: String?
    public var years: ClosedRange<Int>?

    /// The FTS5 columns, in the order the store declares them.
    public static let columns = ["title", "abstract", "keywords", "mesh", "authors", "journal", "types"]

    static let qualifiers: [String: String] = [
        "title": "title", "abstract": "abstract", "author": "authors", "authors": "authors", "mesh": "mesh",
        "journal": "journal", "type": "types", "keyword": "keywords", "keywords": "keywords",
    ]

    public init(match: String?, years: ClosedRange<Int>?) {
        self.match = match
        self.years = years
    }

    public init(parsing text: String) throws(IndexError) {
        var parts: [String] = []
        var years: ClosedRange<Int>?
        var pendingOperator: String?
        for token in try Self.tokenize(text) {
            if token.quoted == nil, token.field == nil, ["OR", "NOT", "AND"].contains(token.word) {
                guard !parts.isEmpty else { throw .badQuery("\(token.word) needs a term before it") }
                pendingOperator = token.word
                continue
            }
            if token.field == "year" {
                years = try Self.yearRange(token.quoted ?? token.word)
                continue
            }
            var term: String
            if let phrase = token.quoted {
                term = Self.quote(phrase)
            } else {
                var word = token.word
                let prefix = word.hasSuffix("*")
                while word.hasSuffix("*") { word.removeLast() }
                guard !word.isEmpty else { throw .badQuery("a lone * is not a term") }
                term = Self.quote(word) + (prefix ? "*" : "")
            }
            if let field = token.field {
                guard let column = Self.qualifiers[field] else {
                    throw .badQuery("unknown field \(field): (use title, abstract, author, mesh, journal, type, keyword or year)")
                }
                term = "\(column) : \(term)"
            }
            if let op = pendingOperator {
                parts.append(op)
                pendingOperator = nil
            }
            parts.append(term)
        }
        if let op = pendingOperator { throw .badQuery("\(op) needs a term after it") }
        guard !parts.isEmpty || years != nil else { throw .badQuery("the query is empty") }
        self.match = parts.isEmpty ? nil : parts.joined(separator: " ")
        self.years = years
    }

    struct Token {
        var field: String?
        var word: String
        var quoted: String?
    }

    static func tokenize(_ text: String) throws(IndexError) -> [Token] {
        var tokens: [Token] = []
        var index = text.startIndex
        while index < text.endIndex {
            if text[index].isWhitespace { index = text.index(after: index); continue }
            var field: String?
            // field:value, where field is letters only
            var scan = index
            while scan < text.endIndex, text[scan].isLetter { scan = text.index(after: scan) }
            if scan > index, scan < text.endIndex, text[scan] == ":" {
                field = text[index..<scan].lowercased()
                index = text.index(after: scan)
            }
            if index < text.endIndex, text[index] == "\"" {
                let start = text.index(after: index)
                guard let end = text[start...].firstIndex(of: "\"") else { throw .badQuery("a phrase is missing its closing quote") }
                let phrase = String(text[start..<end])
                guard !phrase.trimmingCharacters(in: .whitespaces).isEmpty else { throw .badQuery("an empty phrase") }
                tokens.append(Token(field: field, word: phrase, quoted: phrase))
                index = text.index(after: end)
            } else {
                var end = index
                while end < text.endIndex, !text[end].isWhitespace { end = text.index(after: end) }
                let word = String(text[index..<end])
                guard !word.isEmpty else { throw .badQuery("\(field ?? ""): has no value") }
                tokens.append(Token(field: field, word: word, quoted: nil))
                index = end
            }
        }
        return tokens
    }

    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func yearRange(_ text: String) throws(IndexError) -> ClosedRange<Int> {
        func year(_ part: Substring, default value: Int) throws(IndexError) -> Int {
            if part.isEmpty { return value }
            guard let year = Int(part), (1000...9999).contains(year) else { throw .badQuery("year:\(text) is not a year or a range like 2015..2020") }
            return year
        }
        if let range = text.range(of: "..") {
            let low = try year(text[..<range.lowerBound], default: 0)
            let high = try year(text[range.upperBound...], default: 9999)
            guard low <= high else { throw .badQuery("year:\(text) is an empty range") }
            return low...high
        }
        let single = try year(Substring(text), default: 0)
        return single...single
    }
}

