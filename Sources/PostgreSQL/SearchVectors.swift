import Foundation
import PubMedIndex

/// A record's search document (`SearchDocument`, the same one the SQLite store indexes) as three
/// PostgreSQL `tsvector`s, tokenized here, not by the server, so that both stores find the same
/// words: FTS5's unicode61 rules (letters, digits, private-use characters and `_` make tokens;
/// lowercased, diacritics removed). Each FTS5 column is a weight of one vector:
///
/// - `text_words`: A title, B abstract, C other terms (keywords), D MeSH words and publication
///   types and substances;
/// - `people_words`: A authors' names and journal names, B corporate authors, C affiliations, D grants;
/// - `codes`: the value codes (`mh_neoplasms`, `dp_20200315`), unweighted.
///
/// Within a vector each column's positions start `gap` after the last one's, so that a phrase or a
/// proximity search never spans two columns, as in FTS5.
package struct SearchVectors: Sendable, Equatable {
    package var textWords: [UInt8]
    package var peopleWords: [UInt8]
    package var codes: [UInt8]

    /// Positions between one column and the next in a vector: more than any proximity asked for.
    static let gap = 100
    /// PostgreSQL's largest position; words beyond it share it (phrases there may not match).
    static let maxPosition = 16383

    /// Which vector and weight hold each FTS5 column.
    package enum Vector: String, Sendable { case textWords = "text_words", peopleWords = "people_words", codes }

    package static func place(_ column: SearchDocument.Column) -> (vector: Vector, weight: Character?) {
        switch column {
        case .title: (.textWords, "A")
        case .abstract: (.textWords, "B")
        case .keywords: (.textWords, "C")
        case .meshWords, .otherText: (.textWords, "D")
        case .authorWords, .journalWords: (.peopleWords, "A")
        case .corporateAuthor: (.peopleWords, "B")
        case .affiliation: (.peopleWords, "C")
        case .grant: (.peopleWords, "D")
        case .codes: (.codes, nil)
        }
    }

    package init(_ document: SearchDocument) {
        var text = Builder(), people = Builder(), codes = Builder()
        for column in SearchDocument.Column.allCases {
            let value = document.columns[column.rawValue]
            let (vector, weight) = Self.place(column)
            switch vector {
            case .textWords: text.add(value, weight: weight ?? "D")
            case .peopleWords: people.add(value, weight: weight ?? "D")
            case .codes: codes.add(value, weight: nil)
            }
        }
        textWords = text.literal
        peopleWords = people.literal
        self.codes = codes.literal
    }

    /// Gathers lexemes with their positions and weights, then writes the `tsvector` literal.
    private struct Builder {
        var positions: [String: [Int]] = [:]
        var order: [String] = []
        var weights: [String: [Character?]] = [:]
        var next = 1

        mutating func add(_ text: String, weight: Character?) {
            let tokens = Tokenizer.tokens(text)
            guard !tokens.isEmpty else { return }
            if next > 1 { next += SearchVectors.gap }
            for token in tokens {
                let position = min(next, SearchVectors.maxPosition)
                if positions[token] == nil { order.append(token) }
                positions[token, default: []].append(position)
                weights[token, default: []].append(weight)
                next += 1
            }
        }

        var literal: [UInt8] {
            var bytes: [UInt8] = []
            for (index, token) in order.enumerated() {
                if index > 0 { bytes.append(0x20) }
                // Tokens hold letters, digits and `_` only: nothing to escape inside the quotes.
                bytes.append(0x27)
                bytes.append(contentsOf: token.utf8)
                bytes.append(0x27)
                bytes.append(0x3A)
                let weights = weights[token]!
                // At most 256 positions a lexeme are kept by PostgreSQL: the first ones.
                for (count, position) in positions[token]!.prefix(256).enumerated() {
                    if count > 0 { bytes.append(0x2C) }
                    bytes.append(contentsOf: String(position).utf8)
                    if let weight = weights[count], weight != "D" { bytes.append(contentsOf: String(weight).utf8) }
                }
            }
            return bytes
        }
    }
}

/// Words as FTS5's unicode61 tokenizer (with `remove_diacritics 2` and `tokenchars '_'`) makes them.
package enum Tokenizer {
    package static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current: [UInt8] = []
        var unicode = false
        var pending = ""
        func flush() {
            if unicode {
                let folded = pending.lowercased().folding(options: .diacriticInsensitive, locale: nil)
                if !folded.isEmpty { tokens.append(folded) }
                pending = ""
                unicode = false
            } else if !current.isEmpty {
                tokens.append(String(decoding: current, as: UTF8.self))
            }
            current.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x80 {
                let byte = UInt8(value)
                let lower = byte &- 0x41 < 26 ? byte | 0x20 : byte
                if lower &- 0x61 < 26 || lower &- 0x30 < 10 || lower == 0x5F {
                    if unicode { pending.unicodeScalars.append(Unicode.Scalar(lower)) } else { current.append(lower) }
                } else {
                    flush()
                }
                continue
            }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber, .privateUse, .nonspacingMark:
                if !unicode {
                    pending = String(decoding: current, as: UTF8.self)
                    current.removeAll(keepingCapacity: true)
                    unicode = true
                }
                pending.unicodeScalars.append(scalar)
            default:
                flush()
            }
        }
        flush()
        return tokens
    }
}
