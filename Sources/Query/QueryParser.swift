import Foundation

/// Reads PubMed's query language into a `PubMedQuery`:
///
///     query   := operand ( [AND | OR | NOT] operand )*     left to right; no operator means AND
///     operand := "(" query ")" [tag] | "phrase" [tag] | words [tag] | field:value
///
/// A tag applies to the words written just before it, back to the last operator, parenthesis,
/// phrase or tag, taken together (`smith j[au]`, `retracted publication[pt]`, `heart attack[tiab]`
/// as the phrase); words with no tag are each a term of their own, joined by AND. A tag after a
/// parenthesis applies to every untagged term inside. `"2020"[edat] : "3000"[edat]` is one range.
struct QueryParser {
    private let source: String
    private var tokens: [QueryToken] = []
    private var next = 0
    /// The tags of the groups being read again with the tag that follows them, innermost last.
    private var groupTags: [(text: String, range: Range<Int>)] = []

    init(_ source: String) {
        self.source = source
    }

    /// Bounds that keep a pasted or generated query from exhausting the stack (the parser and the
    /// stores' translations recurse over the tree): words, operators and tags, and parentheses
    /// one inside another. Search strategies run to a few hundred terms.
    static let maximumTokens = 10_000
    static let maximumDepth = 64

    mutating func parse() throws(QueryError) -> PubMedQuery {
        tokens = try QueryLexer.tokens(source)
        guard !tokens.isEmpty else { throw QueryError("the query is empty", query: source, offset: 0) }
        guard tokens.count <= Self.maximumTokens else {
            throw QueryError("the query has \(tokens.count) words, operators and tags; at most \(Self.maximumTokens) are read",
                             query: source, offset: tokens[Self.maximumTokens].range.lowerBound)
        }
        if let pmids = pmidList() { return PubMedQuery(root: pmids, source: source) }
        let root = try expression(depth: 0)
        if next < tokens.count {
            // Only a `)` stops an expression early.
            throw QueryError("a ) without its (", query: source, offset: tokens[next].range.lowerBound)
        }
        return PubMedQuery(root: root, source: source)
    }

    /// A query of numbers alone, side by side (`31452104 32022941`), is a list of PMIDs, any of
    /// which is found, as PubMed searches it: the way a citation list's PMIDs are pasted.
    private func pmidList() -> QueryNode? { Self.pmidList(tokens[...]) }

    private static func isTag(_ token: QueryToken) -> Bool { if case .tag = token.kind { true } else { false } }

    private static func pmidList(_ tokens: ArraySlice<QueryToken>) -> QueryNode? {
        var terms: [QueryNode] = []
        for token in tokens {
            guard case .word(let text) = token.kind, (1...9).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !text.allSatisfy({ $0 == "0" }) else { return nil }
            terms.append(.term(QueryTerm(text: text, field: .pmid, position: token.range)))
        }
        return terms.isEmpty ? nil : QueryNode.anyOf(terms)
    }

    // MARK: - Boolean structure

    private mutating func expression(depth: Int) throws(QueryError) -> QueryNode {
        var node = try operand(depth: depth, after: nil)
        while next < tokens.count {
            let token = tokens[next]
            var combine: (QueryNode, QueryNode) -> QueryNode = QueryNode.and
            switch token.kind {
            case .close:
                guard depth > 0 else { throw QueryError("a ) without its (", query: source, offset: token.range.lowerBound) }
                return node
            case .and: combine = QueryNode.and
            case .or: combine = QueryNode.or
            case .not: combine = QueryNode.not
            default:
                // Terms side by side: AND.
                node = .and(node, try operand(depth: depth, after: nil))
                continue
            }
            next += 1
            node = combine(node, try operand(depth: depth, after: token))
        }
        return node
    }

    /// One operand; `after` is the operator before it, for messages.
    private mutating func operand(depth: Int, after op: QueryToken?) throws(QueryError) -> QueryNode {
        guard next < tokens.count else {
            let offset = op?.range.lowerBound ?? source.count
            throw QueryError(op.map { "\(Self.name($0)) needs a term after it" } ?? "a term is missing", query: source, offset: offset)
        }
        let token = tokens[next]
        switch token.kind {
        case .open:
            guard depth < Self.maximumDepth else {
                throw QueryError("parentheses nested more than \(Self.maximumDepth) deep", query: source, offset: token.range.lowerBound)
            }
            next += 1
            let start = next
            // `(31452104 32022941)`: a group of numbers alone is a PMID list too (as the query
            // alone is; E-utilities' mindate and field wrap the term so).
            if let close = tokens[next...].firstIndex(where: { $0.kind == .close }), close > next,
               let pmids = Self.pmidList(tokens[next..<close]), close + 1 >= tokens.count || !Self.isTag(tokens[close + 1]) {
                next = close + 1
                return pmids
            }
            let inner = try expression(depth: depth + 1)
            guard next < tokens.count, tokens[next].kind == .close else {
                throw QueryError("a ( is never closed", query: source, offset: token.range.lowerBound)
            }
            next += 1
            guard next < tokens.count, case .tag(let text) = tokens[next].kind else { return inner }
            // `(cancer* OR "heart failure" OR smith j)[tiab]`: the tag is that of every term in the
            // group without one, as if written after each run of words and each phrase; the group is
            // read again so, keeping each term's truncation and words side by side together.
            let after = next + 1
            groupTags.append((text, tokens[next].range))
            defer { groupTags.removeLast() }
            next = start
            let tagged = try expression(depth: depth + 1)
            next = after
            return tagged
        case .and, .or, .not:
            throw QueryError("\(Self.name(token)) needs a term before it", query: source, offset: token.range.lowerBound)
        case .close:
            throw QueryError(depth > 0 ? "empty parentheses" : "a ) without its (", query: source, offset: token.range.lowerBound)
        case .tag(let tag):
            throw QueryError("the tag [\(tag)] follows no term", query: source, offset: token.range.lowerBound)
        case .colon:
            throw QueryError("a : must stand between two dates", query: source, offset: token.range.lowerBound)
        case .phrase(let text):
            next += 1
            let explicit = takeTag()
            return try dateRange(term(text, quoted: true, tag: explicit ?? groupTags.last, inherited: explicit == nil, at: token.range),
                                 depth: depth)
        case .word:
            return try words(depth: depth)
        }
    }

    /// A run of words: one term if a tag follows, else a term a word, joined by AND.
    private mutating func words(depth: Int) throws(QueryError) -> QueryNode {
        var run: [QueryToken] = []
        while next < tokens.count, case .word(let text) = tokens[next].kind {
            // A legacy `field:value` starts a run of its own.
            if !run.isEmpty && LegacySyntax.isField(text) { break }
            run.append(tokens[next])
            next += 1
            if LegacySyntax.isField(text) && text.hasSuffix(":") { break }
        }
        if let legacy = try LegacySyntax.term(run, tokens: tokens, next: &next, source: source) { return legacy }
        let texts = run.map { token -> String in if case .word(let text) = token.kind { text } else { "" } }
        let explicit = takeTag()
        if let tag = explicit ?? groupTags.last {
            let range = run[0].range.lowerBound..<run[run.count - 1].range.upperBound
            return try dateRange(term(texts.joined(separator: " "), quoted: false, tag: tag, inherited: explicit == nil, at: range), depth: depth)
        }
        var node: QueryNode?
        for (text, token) in zip(texts, run) {
            let term = QueryNode.term(try term(text, quoted: false, tag: nil, at: token.range))
            node = node.map { .and($0, term) } ?? term
        }
        return node!  // `run` has at least one word: `words()` is only called on a word.
    }

    /// `"2020"[edat] : "3000"[edat]`: a date term, a lone colon, and a date term of the same field.
    private mutating func dateRange(_ first: QueryTerm, depth: Int) throws(QueryError) -> QueryNode {
        guard let from = first.dates, next < tokens.count, tokens[next].kind == .colon else { return .term(first) }
        let colon = tokens[next]
        next += 1
        // One level deeper, so that a chain of ranges (`2000[dp]:(2001[dp]:(…`) meets the bound.
        guard depth < Self.maximumDepth else {
            throw QueryError("parentheses nested more than \(Self.maximumDepth) deep", query: source, offset: colon.range.lowerBound)
        }
        guard case .term(let second) = try operand(depth: depth + 1, after: colon), let to = second.dates, second.field == first.field else {
            throw QueryError("a date range needs a date of the same field on both sides of the :", query: source, offset: colon.range.lowerBound)
        }
        var range = first
        range.dates = DateSpan.ranged((from.first, from.last), (to.first, to.last), text: "\(from.text):\(to.text)")
        range.text = range.dates!.text  // set on the line above
        range.position = first.position.lowerBound..<second.position.upperBound
        return .term(range)
    }

    private mutating func takeTag() -> (text: String, range: Range<Int>)? {
        guard next < tokens.count, case .tag(let text) = tokens[next].kind else { return nil }
        next += 1
        return (text, tokens[next - 1].range)
    }

    // MARK: - Terms

    /// A term from its text and tag, checked.
    /// `inherited`: the tag is that of a group around the term, not written after it.
    private func term(_ raw: String, quoted: Bool, tag: (text: String, range: Range<Int>)?, inherited: Bool = false,
                      at range: Range<Int>) throws(QueryError) -> QueryTerm {
        var term = QueryTerm(text: raw.trimmingCharacters(in: .whitespaces), quoted: quoted,
                             position: range.lowerBound..<(inherited ? range.upperBound : tag?.range.upperBound ?? range.upperBound))
        guard !term.text.isEmpty else { throw QueryError("an empty phrase", query: source, offset: range.lowerBound) }
        if !quoted, term.text.hasPrefix("#"), term.text.count > 1, term.text.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) {
            // `#2`: a set of the search history (esearch's query_key), as PubMed's Advanced search
            // and E-utilities write it.
            guard tag == nil || inherited else { throw QueryError("a search history reference (\(term.text)) takes no field tag", query: source, offset: range.lowerBound) }
            guard let key = Int(term.text.dropFirst()), key > 0 else {
                throw QueryError("\(term.text) names no search history set", query: source, offset: range.lowerBound)
            }
            term.text = String(key)
            term.field = .history
            return term
        }
        if let tag { try apply(tag, to: &term) }
        if term.field.kind == .date {
            guard let dates = DateSpan.parse(term.text) else {
                throw QueryError("\"\(term.text)\" is not a date or a range of dates (write YYYY, YYYY/MM, YYYY/MM/DD, two of them with a : between, or \"last N days\", months or years)",
                                 query: source, offset: range.lowerBound)
            }
            term.dates = dates
            return term
        }
        if term.text.hasSuffix("*") {
            term.text = String(term.text.drop(while: { $0 == "*" }).reversed().drop(while: { $0 == "*" }).reversed())
            term.truncated = true
            let stem = term.text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).last.map(String.init) ?? ""
            guard stem.count >= 4 || (term.field.kind == .value && !term.text.isEmpty) else {
                throw QueryError("truncation needs at least 4 characters before the * (PubMed's rule): \"\(raw)\"",
                                 query: source, offset: range.lowerBound)
            }
        }
        if term.field == .subset && !term.truncated {
            let code = term.text.lowercased().filter { $0.isLetter || $0.isNumber }
            guard Self.subsets.contains(code) || (code.hasPrefix("jsubset") && code.count > 7) else {
                throw QueryError("\"\(term.text)\"[sb] is a PubMed filter that cannot be worked out from the records themselves; the subsets here are \(Self.subsets.sorted().joined(separator: ", ")) and jsubset + a citation subset",
                                 query: source, offset: range.lowerBound)
            }
        }
        if term.truncated && term.proximity != nil {
            throw QueryError("truncation (*) cannot be combined with a proximity search", query: source, offset: range.lowerBound)
        }
        if let distance = term.proximity {
            // PostgreSQL has no "within N": each pair of words at each distance up to N, in either
            // order, is spelled out; a bound on that keeps any proximity search one the stores run.
            try PubMedQuery.checkProximity(words: term.words.count, distance: distance, query: source, offset: range.lowerBound)
        }
        guard !term.words.isEmpty else {
            throw QueryError("\"\(raw)\" has no letters or digits to search for", query: source, offset: range.lowerBound)
        }
        return term
    }

    /// `[tiab]`, `[mh:noexp]`, `[tiab:~3]`, `[Title/Abstract]`…
    private func apply(_ tag: (text: String, range: Range<Int>), to term: inout QueryTerm) throws(QueryError) {
        var name = tag.text.lowercased().trimmingCharacters(in: .whitespaces)
        var noexp = false
        var proximity: Int?
        if let colon = name.lastIndex(of: ":") {
            let option = name[name.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if option == "noexp" {
                noexp = true
            } else if option.hasPrefix("~"), let distance = Int(option.dropFirst()), distance >= 0 {
                // A bound every store can run (PostgreSQL spells out each distance up to N).
                guard distance <= PubMedQuery.maximumProximity else {
                    throw QueryError("a proximity search takes at most :~\(PubMedQuery.maximumProximity) words between its terms", query: source, offset: tag.range.lowerBound)
                }
                proximity = distance
            } else {
                throw QueryError("unknown option :\(option) in the tag [\(tag.text)] (:noexp goes with [mh], [majr], [pt] and [sh], :~N with [tiab], [ti] and [ad])",
                                 query: source, offset: tag.range.lowerBound)
            }
            name = name[..<colon].trimmingCharacters(in: .whitespaces)
        }
        guard let field = QueryField.tags[name] else {
            throw QueryError("unknown field tag [\(tag.text)]", query: source, offset: tag.range.lowerBound)
        }
        if noexp && !field.takesNoexp {
            throw QueryError(":noexp goes only with [mh], [majr], [pt] and [sh]", query: source, offset: tag.range.lowerBound)
        }
        if proximity != nil {
            guard field.allowsProximity else {
                throw QueryError("a proximity search (:~N) goes only with [tiab], [ti] and [ad]", query: source, offset: tag.range.lowerBound)
            }
            guard term.words.count >= 2 else {
                throw QueryError("a proximity search needs two or more words in quotes, like \"gene therapy\"[tiab:~2]",
                                 query: source, offset: term.position.lowerBound)
            }
        }
        term.field = field
        term.explode = !noexp
        term.proximity = proximity
    }

    /// The `[sb]` subsets the records tell (their status, whether they have an abstract, whether
    /// they are in PMC, books), besides `jsubset` + a citation subset; and `all`, every record.
    static let subsets: Set<String> = [
        "all", "medline", "oldmedline", "pubmednotmedline", "inprocess", "indatareview", "publisher", "completed",
        "hasabstract", "pmc", "pubmedpmc", "books",
    ]

    private static func name(_ token: QueryToken) -> String {
        switch token.kind {
        case .and: "AND"
        case .or: "OR"
        case .not: "NOT"
        default: "an operator"
        }
    }
}
