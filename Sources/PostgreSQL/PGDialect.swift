import PubMedIndex
import PubMedQuery

/// `FTSQuery`'s translation written as a SQL condition over the article row's three `tsvector`s
/// (`SearchVectors`): a phrase is a `tsquery` of `<->`-joined lexemes with the weights of the
/// columns it searches (`:*` for a truncated word), a value a `codes` lexeme, a proximity search
/// every pair of words within the distance in either order (`<1>` … `<N+1>`).
/// The words are tokenized as the documents were (`Tokenizer`), so both stores find the same records.
final class PGDialect: MatchDialect {
    /// The phrases that rank, as `tsquery`s over `text_words`, for `ts_rank`.
    private(set) var rankQueries: [String] = []

    /// Whether a word can be in a document: the vectors leave out words PostgreSQL cannot hold
    /// (`SearchVectors.maxWordBytes`), and a `tsquery` of one is an error, not "no match".
    static func storable(_ token: String) -> Bool { token.utf8.count <= SearchVectors.maxWordBytes }

    func phrase(_ columns: [SearchDocument.Column], _ text: String, prefix: Bool) -> String {
        let tokens = Tokenizer.tokens(text)
        guard !tokens.isEmpty, tokens.allSatisfy(Self.storable) else { return "false" }
        return conditions(columns) { weights in
            tokens.enumerated().map { index, token in
                Self.lexeme(token, prefix: prefix && index == tokens.count - 1, weights: weights)
            }.joined(separator: " <-> ")
        }
    }

    /// The most text a proximity search's pairs may come to.
    static let maximumNearBytes = 1 << 20

    func near(_ columns: [SearchDocument.Column], _ words: [String], distance: Int) throws(QueryError) -> String {
        let tokens = words.flatMap(Tokenizer.tokens)
        guard !tokens.isEmpty, tokens.allSatisfy(Self.storable) else { return "false" }
        // Each pair at each distance is spelled out: the parser bounds that on the words it
        // counts, and a word this tokenizer cuts further (marks of some scripts) is checked here,
        // with the text that makes (each word written once for each other word and distance).
        try PubMedQuery.checkProximity(words: tokens.count, distance: distance, query: "", offset: 0)
        let bytes = 2 * (distance + 1) * (tokens.count - 1) * tokens.reduce(0) { $0 + $1.utf8.count + 8 }
        guard bytes <= Self.maximumNearBytes else {
            throw QueryError("a proximity search whose words come to \(bytes) bytes of SQL (at most \(Self.maximumNearBytes)) is too large to run: use shorter words, fewer words or a smaller N",
                             query: "", offset: 0)
        }
        if tokens.count == 1 { return phrase(columns, tokens[0], prefix: false) }
        return conditions(columns) { weights in
            var pairs: [String] = []
            for first in 0..<tokens.count {
                for second in first + 1..<tokens.count {
                    let a = Self.lexeme(tokens[first], prefix: false, weights: weights)
                    let b = Self.lexeme(tokens[second], prefix: false, weights: weights)
                    let within = (1...distance + 1).flatMap { ["\(a) <\($0)> \(b)", "\(b) <\($0)> \(a)"] }
                    pairs.append("(" + within.joined(separator: " | ") + ")")
                }
            }
            return pairs.joined(separator: " & ")
        }
    }

    func codes(_ tokens: [(token: String, prefix: Bool)]) -> String {
        let tokens = tokens.filter { Self.storable($0.token) }
        guard !tokens.isEmpty else { return "false" }
        let query = tokens.map { Self.lexeme($0.token, prefix: $0.prefix, weights: "") }.joined(separator: " | ")
        return "codes @@ \(Self.literal(query))::tsquery"
    }

    func and(_ parts: [String]) -> String { "(" + parts.joined(separator: " AND ") + ")" }
    func or(_ parts: [String]) -> String { "(" + parts.joined(separator: " OR ") + ")" }
    func not(_ left: String, _ right: String) -> String { "(\(left) AND NOT \(right))" }

    /// One condition per vector the columns are in, ORed; `query` writes the `tsquery` for the
    /// weights asked for there ("" for all of them).
    private func conditions(_ columns: [SearchDocument.Column], _ query: (String) -> String) -> String {
        var parts: [String] = []
        for vector in [SearchVectors.Vector.textWords, .peopleWords] {
            let weights = Set(columns.map(SearchVectors.place).filter { $0.vector == vector }.compactMap(\.weight))
            guard !weights.isEmpty else { continue }
            let letters = weights.count == 4 ? "" : String(weights.sorted())
            let text = query(letters)
            if vector == .textWords { rankQueries.append(text) }
            parts.append("\(vector.rawValue) @@ \(Self.literal(text))::tsquery")
        }
        return parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " OR ") + ")"
    }

    /// `'word'`, with `:*` for a prefix and the weight letters.
    static func lexeme(_ token: String, prefix: Bool, weights: String) -> String {
        let quoted = "'" + token.replacingOccurrences(of: "'", with: "''").replacingOccurrences(of: "\\", with: "\\\\") + "'"
        let suffix = (prefix ? "*" : "") + weights
        return suffix.isEmpty ? quoted : quoted + ":" + suffix
    }

    /// A SQL string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
