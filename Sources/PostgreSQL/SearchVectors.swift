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

    /// PostgreSQL's bounds on a `tsvector` literal (`tsvectorin`): a word under 2,048 bytes, and
    /// at most 1 MB of words counted as written, each occurrence again; at most 256 positions a
    /// word are kept.
    static let maxWordBytes = 2_047
    static let maxWordsBytes = 1_048_575
    static let maxPositions = 256

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
        textWords = text.finished()
        peopleWords = people.finished()
        self.codes = codes.finished()
    }

    /// Writes each word as `'word':position` (and its weight letter), in text order: the server
    /// sorts the lexemes and merges each one's positions as it reads the literal, which costs it
    /// less than a dictionary of words costs here (measured: the dictionary was a quarter of the
    /// client's time).
    ///
    /// A word too long for PostgreSQL is left out (as `to_tsvector` leaves it out); a record whose
    /// words come to more than the server reads as written (a consortium's thousands of
    /// investigators with their affiliations) is written with each word once and its positions
    /// together, which the server counts once.
    private struct Builder {
        var literal: [UInt8] = []
        var next = 1
        /// The words' bytes as written, as the server counts them.
        var wordBytes = 0

        mutating func add(_ text: String, weight: Character?) {
            var started = false
            let letter: UInt8? = weight.flatMap { $0 == "D" ? nil : $0.asciiValue }
            Tokenizer.forEach(text) { token in
                if !started {
                    if next > 1 { next += SearchVectors.gap }
                    started = true
                }
                guard token.count <= SearchVectors.maxWordBytes else {
                    next += 1
                    return
                }
                wordBytes += token.count
                if !literal.isEmpty { literal.append(0x20) }
                // Tokens hold letters, digits and `_` only: nothing to escape inside the quotes.
                literal.append(0x27)
                literal.append(contentsOf: token)
                literal.append(0x27)
                literal.append(0x3A)
                appendNumber(min(next, SearchVectors.maxPosition))
                if let letter { literal.append(letter) }
                next += 1
            }
        }

        /// The literal, with each word once when written out it would be more than the server reads.
        func finished() -> [UInt8] {
            guard wordBytes > SearchVectors.maxWordsBytes else { return literal }
            // Entries are `'word':position[weight]`, space-separated; words hold no quote or space.
            var order: [ArraySlice<UInt8>] = []
            var positions: [ArraySlice<UInt8>: [ArraySlice<UInt8>]] = [:]
            for entry in literal.split(separator: 0x20) {
                guard let colon = entry.lastIndex(of: 0x3A) else { continue }
                let word = entry[entry.startIndex..<colon]
                if positions[word] == nil {
                    order.append(word)
                    positions[word] = []
                }
                if positions[word]!.count < SearchVectors.maxPositions { positions[word]!.append(entry[(colon + 1)...]) }
            }
            var merged: [UInt8] = []
            var bytes = 0
            for word in order {
                // Quotes included in `word`; beyond the bound the rest is left out.
                bytes += word.count - 2
                guard bytes <= SearchVectors.maxWordsBytes else { break }
                if !merged.isEmpty { merged.append(0x20) }
                merged.append(contentsOf: word)
                merged.append(0x3A)
                for (index, position) in positions[word]!.enumerated() {
                    if index > 0 { merged.append(0x2C) }
                    merged.append(contentsOf: position)
                }
            }
            return merged
        }

        private mutating func appendNumber(_ value: Int) {
            var digits: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
            var count = 0
            var rest = value
            withUnsafeMutableBytes(of: &digits) { buffer in
                repeat {
                    buffer[count] = UInt8(0x30 + rest % 10)
                    rest /= 10
                    count += 1
                } while rest > 0
                for index in stride(from: count - 1, through: 0, by: -1) { literal.append(buffer[index]) }
            }
        }
    }
}

/// Words as FTS5's unicode61 tokenizer (with `remove_diacritics 2` and `tokenchars '_'`) makes them.
package enum Tokenizer {
    package static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        forEach(text) { tokens.append(String(decoding: $0, as: UTF8.self)) }
        return tokens
    }

    /// Calls `body` with each token's UTF-8 bytes, in order. ASCII text (nearly all of PubMed) is
    /// split and lowercased byte by byte; a token with other characters is folded by Foundation.
    package static func forEach(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var text = text
        text.withUTF8 { bytes in
            var token: [UInt8] = []
            token.reserveCapacity(64)
            var unicode = false
            var index = 0
            func flush() {
                if unicode {
                    let folded = String(decoding: token, as: UTF8.self).lowercased().folding(options: .diacriticInsensitive, locale: nil)
                    var scalars: [UInt8] = []
                    // What folding left may hold separators again (a mark on its own): split once more.
                    for scalar in folded.unicodeScalars {
                        if isTokenScalar(scalar) {
                            scalars.append(contentsOf: String(scalar).utf8)
                        } else if !scalars.isEmpty {
                            scalars.withUnsafeBufferPointer(body)
                            scalars.removeAll()
                        }
                    }
                    if !scalars.isEmpty { scalars.withUnsafeBufferPointer(body) }
                } else if !token.isEmpty {
                    token.withUnsafeBufferPointer(body)
                }
                token.removeAll(keepingCapacity: true)
                unicode = false
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte < 0x80 {
                    let lower = byte &- 0x41 < 26 ? byte | 0x20 : byte
                    if lower &- 0x61 < 26 || lower &- 0x30 < 10 || lower == 0x5F {
                        token.append(unicode ? byte : lower)
                    } else {
                        flush()
                    }
                    index += 1
                    continue
                }
                // A multi-byte character: decoded to see whether it is part of a word.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                let end = min(index + length, bytes.count)
                let character = String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<end]), as: UTF8.self)
                if let scalar = character.unicodeScalars.first, isTokenScalar(scalar) {
                    unicode = true
                    token.append(contentsOf: bytes[index..<end])
                } else {
                    flush()
                }
                index = end
            }
            flush()
        }
    }

    /// Letters, digits, private-use characters and combining marks (which folding then removes).
    static func isTokenScalar(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 {
            let byte = UInt8(scalar.value)
            let lower = byte &- 0x41 < 26 ? byte | 0x20 : byte
            return lower &- 0x61 < 26 || lower &- 0x30 < 10 || lower == 0x5F
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .privateUse, .nonspacingMark:
            return true
        default:
            return false
        }
    }
}
