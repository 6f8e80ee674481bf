/// The tokens of a PubMed query, with where each starts and ends (0-based character offsets).
struct QueryToken: Equatable {
    enum Kind: Equatable {
        case open, close
        /// `AND`, `OR` or `NOT`, in upper case.
        case and, or, not
        /// A word: a run of characters that are not white space, parentheses, quotes or brackets.
        case word(String)
        /// A double-quoted phrase, without its quotes.
        case phrase(String)
        /// A field tag, without its brackets.
        case tag(String)
        /// A lone `:` between two date terms (`"2020"[edat] : "3000"[edat]`).
        case colon
    }

    var kind: Kind
    var range: Range<Int>
}

/// Splits a query into tokens; an unclosed quote or bracket is an error at its opening.
enum QueryLexer {
    static func tokens(_ query: String) throws(QueryError) -> [QueryToken] {
        let characters = Array(query)
        var tokens: [QueryToken] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case _ where character.isWhitespace:
                index += 1
            case "(":
                tokens.append(QueryToken(kind: .open, range: index..<index + 1))
                index += 1
            case ")":
                tokens.append(QueryToken(kind: .close, range: index..<index + 1))
                index += 1
            case "\"", "“", "”":
                guard let end = characters[(index + 1)...].firstIndex(where: { $0 == "\"" || $0 == "”" || $0 == "“" }) else {
                    throw QueryError("a phrase is missing its closing quote", query: query, offset: index)
                }
                tokens.append(QueryToken(kind: .phrase(String(characters[(index + 1)..<end])), range: index..<end + 1))
                index = end + 1
            case "[":
                guard let end = characters[(index + 1)...].firstIndex(of: "]") else {
                    throw QueryError("a field tag is missing its closing ]", query: query, offset: index)
                }
                tokens.append(QueryToken(kind: .tag(String(characters[(index + 1)..<end])), range: index..<end + 1))
                index = end + 1
            case "]":
                throw QueryError("a ] without its [", query: query, offset: index)
            case ":" where tokens.last.map({ if case .tag = $0.kind { true } else { false } }) == true:
                // `2020[dp]:2021[dp]`: the colon right after a tag joins two dates.
                tokens.append(QueryToken(kind: .colon, range: index..<index + 1))
                index += 1
            default:
                var end = index
                while end < characters.count {
                    // An operator glued to a group (`NOT(mice)`, `AND(copd)`) ends before it.
                    if characters[end] == "(", ["AND", "OR", "NOT"].contains(String(characters[index..<end])) { break }
                    if characters[end] == "(", end > index, let close = Self.innerParenthesis(characters, from: end) {
                        // `10.1016/S0140-6736(20)30183-5`: parentheses inside a word, with no space
                        // in them, are part of it (DOIs and PIIs have them).
                        end = close + 1
                        continue
                    }
                    if Self.endsWord(characters[end]) { break }
                    end += 1
                }
                let word = String(characters[index..<end])
                let kind: QueryToken.Kind = switch word {
                case "AND": .and
                case "OR": .or
                case "NOT": .not
                case ":": .colon
                default: .word(word)
                }
                tokens.append(QueryToken(kind: kind, range: index..<end))
                index = end
            }
        }
        return tokens
    }

    /// The `)` closing the `(` at `open` before any white space, quote or bracket, if there is one.
    private static func innerParenthesis(_ characters: [Character], from open: Int) -> Int? {
        var index = open + 1
        while index < characters.count {
            switch characters[index] {
            case ")": return index > open + 1 ? index : nil
            case _ where characters[index].isWhitespace || "(\"“”[]".contains(characters[index]): return nil
            default: index += 1
            }
        }
        return nil
    }

    private static func endsWord(_ character: Character) -> Bool {
        character.isWhitespace || "()\"“”[]".contains(character)
    }
}
