import PubMedIndex
import PubMedQuery
import PubMedRecords

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

    /// The codes as `SearchVectors.codePlace` keeps them: a first or last author's also as the
    /// `au_` code weighted A or B (rows written before keep `au1_`/`aul_` codes), a PMID as the
    /// row's `pmid`.
    func codes(_ tokens: [(token: String, prefix: Bool)]) -> String {
        var lexemes: [String] = []
        var pmids: [Int] = []
        var pmidConditions: [String] = []
        for (token, prefix) in tokens where Self.storable(token) {
            var bytes = token
            switch bytes.withUTF8(SearchVectors.codePlace) {
            case .kept:
                lexemes.append(Self.lexeme(token, prefix: prefix, weights: ""))
            case .leftOut:
                // Every record has a PMID: the family's prefix alone finds them all.
                if prefix, token.utf8.count == 5 { pmidConditions.append("true") }
                guard let number = Self.pmid(String(token.dropFirst(5))) else { continue }
                if prefix { pmidConditions += Self.pmidsBeginning(number) } else { pmids.append(number) }
            case .author(let weight):
                lexemes.append(Self.lexeme(token, prefix: prefix, weights: ""))
                lexemes.append(Self.lexeme("au" + token.dropFirst(3), prefix: prefix, weights: String(weight)))
            }
        }
        var parts: [String] = []
        if !lexemes.isEmpty { parts.append("codes @@ \(Self.literal(lexemes.joined(separator: " | ")))::tsquery") }
        if pmids.count == 1 { parts.append("pmid = \(pmids[0])") }
        if pmids.count > 1 { parts.append("pmid = ANY('{\(pmids.map(String.init).joined(separator: ","))}'::integer[])") }
        parts += pmidConditions
        if parts.isEmpty { return "false" }
        return parts.count == 1 ? parts[0] : "(" + parts.joined(separator: " OR ") + ")"
    }

    /// A PMID code's value (`pmid_` taken off) as a PMID, when records can have it so: digits
    /// without a leading zero, within the PMIDs' range.
    static func pmid(_ value: String) -> Int? {
        guard let first = value.utf8.first, first != UInt8(ascii: "0"), value.utf8.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }),
              let number = Int(value), PubMedRecord.identifiers.contains(number) else { return nil }
        return number
    }

    /// Every PMID whose digits begin with `number`'s: a range for each number of digits.
    static func pmidsBeginning(_ number: Int) -> [String] {
        let last = PubMedRecord.identifiers.upperBound
        var ranges = ["pmid = \(number)"]
        var low = number * 10, high = number * 10 + 9
        while low <= last {
            ranges.append("pmid BETWEEN \(low) AND \(min(high, last))")
            low *= 10
            high = high * 10 + 9
        }
        return ranges
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
