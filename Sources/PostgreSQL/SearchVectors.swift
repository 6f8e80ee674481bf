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
/// - `codes`: the value codes (`mh_neoplasms`, `dp_20200315`), unweighted (D), but for two
///   families of codes the SQLite index keeps (`codePlace`).
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

    /// PostgreSQL's bounds on a `tsvector`: a word under 2,047 bytes (`to_tsvector` leaves out
    /// longer ones, `tsvectorin` refuses them; `tsvectorrecv` takes one more), at most 1 MB of
    /// words and positions, at most 256 positions a word (`uniquePos`).
    static let maxWordBytes = 2_046
    static let maxDataBytes = 1_048_575
    static let maxPositions = 256

    package init(_ document: SearchDocument) {
        var text = Builder(), people = Builder(), codes = Builder()
        for column in SearchDocument.Column.allCases {
            let value = document.columns[column.rawValue]
            let (vector, weight) = Self.place(column)
            switch vector {
            case .textWords: text.add(value, weight: weight ?? "D")
            case .peopleWords: people.add(value, weight: weight ?? "D")
            case .codes: codes.addCodes(value)
            }
        }
        textWords = text.finished()
        peopleWords = people.finished()
        self.codes = codes.finished()
    }

    /// How a code is kept in `codes`. Most are kept as they are, unweighted (D). A search tag's
    /// codes unique to one record or nearly so make the GIN index's build slow (it keeps each
    /// distinct word in a tree while it reads the rows; on a 30,000-record file the build took
    /// 1.9 s without the 81,000 distinct codes below, 2.4 s with them), so two families that the
    /// rows answer otherwise are not codes of their own here:
    /// - the first and the last author (`au1_smith__j`, `aul_smith__j`) are that author's `au_`
    ///   code weighted A and B (`[1au]` is `'au_smith__j':A`; an author alone is both);
    /// - the PMID (`pmid_31452104`) is the row's own `pmid` column (`PGDialect.codes`).
    /// Rows written by an earlier pubmed-mirror keep those codes, which searches look for too.
    enum CodePlace: Equatable {
        case kept
        case leftOut
        /// As the `au_` code (the token without its third byte), with this weight.
        case author(weight: Character)
    }

    /// Where `token` goes; also for a query's token, which may be a family's prefix alone (`au1_`,
    /// `pmid_`: a truncated value whose code is empty).
    static func codePlace(_ token: UnsafeBufferPointer<UInt8>) -> CodePlace {
        if token.count >= 4, token[3] == UInt8(ascii: "_"), token[0] == UInt8(ascii: "a"), token[1] == UInt8(ascii: "u") {
            if token[2] == UInt8(ascii: "1") { return .author(weight: "A") }
            if token[2] == UInt8(ascii: "l") { return .author(weight: "B") }
        }
        if token.count >= 5, token[4] == UInt8(ascii: "_"), token.starts(with: "pmid".utf8) { return .leftOut }
        return .kept
    }

    /// A vector in `tsvector`'s binary form (`tsvectorrecv`), which the server takes as it is when
    /// its words come sorted and each once: the number of words, then each word with a NUL after
    /// it, its number of positions and the positions (16 bits: the weight in the top two, A = 3 …
    /// D = 0), words in PostgreSQL's order (bytes compared, the shorter first on a tie) and each
    /// one's positions rising. It is the vector the server makes of the text form (`tsvectorin`:
    /// words sorted and merged, a position kept once with its highest weight, a word's first 256
    /// kept), to the stored byte on PostgreSQL 15; the tests compare the two on every real file.
    ///
    /// A word too long for PostgreSQL is left out (as `to_tsvector` leaves it out); words past the
    /// 16,383rd position share it, with the highest of their weights (`tsvectorin` keeps the weight
    /// of whichever its sort puts first there); when a record's words and positions come to more
    /// than a vector holds (a consortium's thousands of investigators with their affiliations), the
    /// words that first appear last are left out.
    private struct Builder {
        /// Each occurrence's word, one after another.
        var words: [UInt8] = []
        var occurrences: [Occurrence] = []
        var next = 1

        struct Occurrence {
            /// The word's first eight bytes, big-endian, zeros after a shorter word: most words
            /// are ordered by it alone.
            var prefix: UInt64
            var start: Int32
            var length: Int32
            /// The position, and the weight in the top two bits.
            var entry: UInt16

            var position: UInt16 { entry & 0x3FFF }
        }

        mutating func add(_ text: String, weight: Character?) {
            var started = false
            let bits = Self.bits(weight)
            Tokenizer.forEach(text) { token in
                if !started {
                    if next > 1 { next += SearchVectors.gap }
                    started = true
                }
                append(token, bits: bits)
                next += 1
            }
        }

        /// The value codes, each where `codePlace` puts it.
        mutating func addCodes(_ text: String) {
            Tokenizer.forEach(text) { token in
                switch SearchVectors.codePlace(token) {
                case .kept: append(token, bits: 0)
                case .leftOut: break
                case .author(let weight):
                    let renamed = Array(token[0..<2]) + token[3...]
                    renamed.withUnsafeBufferPointer { append($0, bits: Self.bits(weight)) }
                }
                next += 1
            }
        }

        /// A weight's two top bits of a position.
        private static func bits(_ weight: Character?) -> UInt16 {
            switch weight {
            case "A": 3 << 14
            case "B": 2 << 14
            case "C": 1 << 14
            default: 0
            }
        }

        /// An occurrence of `token` at the next position (none for a word too long to keep).
        private mutating func append(_ token: UnsafeBufferPointer<UInt8>, bits: UInt16) {
            guard token.count <= SearchVectors.maxWordBytes else { return }
            var prefix: UInt64 = 0
            for index in 0..<8 {
                prefix = prefix << 8 | UInt64(index < token.count ? token[index] : 0)
            }
            occurrences.append(Occurrence(prefix: prefix, start: Int32(words.count), length: Int32(token.count),
                                          entry: UInt16(min(next, SearchVectors.maxPosition)) | bits))
            words.append(contentsOf: token)
        }

        /// The binary vector: occurrences sorted by word then position, each word once.
        mutating func finished() -> [UInt8] {
            words.withUnsafeBufferPointer { words in
                occurrences.sort { left, right in
                    if left.prefix != right.prefix { return left.prefix < right.prefix }
                    if left.length > 8 || right.length > 8 {
                        let order = Self.compare(words, left, right)
                        if order != 0 { return order < 0 }
                    }
                    return left.position < right.position
                }
            }
            // Each word's run of occurrences, and the bytes the server counts for it (`tsvectorrecv`).
            var runs: [Run] = []
            var total = 0
            var index = 0
            while index < occurrences.count {
                var run = Run(start: index, end: index + 1, positions: 1)
                while run.end < occurrences.count, Self.sameWord(words, occurrences[index], occurrences[run.end]) {
                    if occurrences[run.end].position != occurrences[run.end - 1].position { run.positions += 1 }
                    run.end += 1
                }
                run.positions = min(run.positions, SearchVectors.maxPositions)
                total += (Int(occurrences[index].length) + 1) / 2 * 2 + (run.positions + 1) * 4
                runs.append(run)
                index = run.end
            }
            if total > SearchVectors.maxDataBytes {
                // Leave out the words that appear last until the rest fits.
                var kept = runs.sorted { occurrences[$0.start].position < occurrences[$1.start].position }
                while total > SearchVectors.maxDataBytes, let last = kept.popLast() {
                    total -= (Int(occurrences[last.start].length) + 1) / 2 * 2 + (last.positions + 1) * 4
                }
                runs = kept.sorted { $0.start < $1.start }
            }
            var vector = CopyBinary(capacity: words.count + runs.count * 4 + occurrences.count * 2 + 4)
            vector.append32(UInt32(runs.count))
            for run in runs {
                let word = occurrences[run.start]
                vector.append(words[Int(word.start)..<Int(word.start + word.length)])
                vector.append(0)
                vector.append16(UInt16(run.positions))
                // Positions rising; one shared by several words past the last keeps the highest weight.
                var written = 0
                var entry = occurrences[run.start].entry
                for next in occurrences[(run.start + 1)..<run.end] {
                    if next.position == entry & 0x3FFF {
                        entry = max(entry, next.entry)
                        continue
                    }
                    vector.append16(entry)
                    written += 1
                    if written == run.positions { break }
                    entry = next.entry
                }
                if written < run.positions { vector.append16(entry) }
            }
            return vector.bytes
        }

        /// The occurrences `start..<end` of one word, and how many positions it keeps.
        struct Run {
            var start: Int
            var end: Int
            var positions: Int
        }

        /// Two words' order by their bytes, the shorter first when one begins the other.
        private static func compare(_ words: UnsafeBufferPointer<UInt8>, _ left: Occurrence, _ right: Occurrence) -> Int {
            let common = Int(min(left.length, right.length))
            let order = memcmp(words.baseAddress! + Int(left.start), words.baseAddress! + Int(right.start), common)
            if order != 0 { return Int(order) }
            return Int(left.length) - Int(right.length)
        }

        private static func sameWord(_ words: [UInt8], _ left: Occurrence, _ right: Occurrence) -> Bool {
            guard left.prefix == right.prefix, left.length == right.length else { return false }
            guard left.length > 8 else { return true }
            return words.withUnsafeBufferPointer { compare($0, left, right) == 0 }
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
