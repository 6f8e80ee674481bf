/// A search in PubMed's query language, parsed: a tree of terms joined by `AND`, `OR` and `NOT`.
///
/// PubMed processes Boolean operators left to right, all with the same precedence
/// (`a OR b AND c` is `(a OR b) AND c`), and so does the tree `QueryParser` builds. Pure data: the
/// stores translate it into their own engine's terms.
public indirect enum QueryNode: Sendable, Equatable {
    case term(QueryTerm)
    case and(QueryNode, QueryNode)
    case or(QueryNode, QueryNode)
    /// The left side without the right (PubMed's `NOT` is binary).
    case not(QueryNode, QueryNode)

    /// Every term, left to right.
    public var terms: [QueryTerm] {
        switch self {
        case .term(let term): [term]
        case .and(let left, let right), .or(let left, let right), .not(let left, let right): left.terms + right.terms
        }
    }

    /// Any of `nodes` (at least one), as a balanced tree of ORs: thousands of PMIDs (a history
    /// set) nest only as deep as their logarithm, where a chain would recurse once a PMID.
    public static func anyOf(_ nodes: [QueryNode]) -> QueryNode {
        precondition(!nodes.isEmpty, "anyOf needs a node")
        var level = nodes
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { index in
                index + 1 < level.count ? .or(level[index], level[index + 1]) : level[index]
            }
        }
        return level[0]
    }

    /// The same tree with every term changed by `transform`.
    public func mapTerms<E: Error>(_ transform: (QueryTerm) throws(E) -> QueryNode) throws(E) -> QueryNode {
        switch self {
        case .term(let term): try transform(term)
        case .and(let left, let right): .and(try left.mapTerms(transform), try right.mapTerms(transform))
        case .or(let left, let right): .or(try left.mapTerms(transform), try right.mapTerms(transform))
        case .not(let left, let right): .not(try left.mapTerms(transform), try right.mapTerms(transform))
        }
    }
}

extension PubMedQuery {
    /// The most words a proximity search (`[tiab:~N]`) may allow between its terms: fewer than
    /// the positions between one field and the next in the PostgreSQL store's word vectors
    /// (`SearchVectors.gap`), so that there too a proximity search never spans two fields.
    public static let maximumProximity = 99
    /// The most word pairs times distances a proximity search may ask for (2 words within 99:
    /// 200; 8 words within 10: 616), since PostgreSQL's translation spells each out.
    public static let maximumProximityAlternatives = 5_000

    /// Refuses a proximity search of `words` words within `distance` past that bound: the parser
    /// on the words it counts, PostgreSQL's translation on the tokens it writes.
    public static func checkProximity(words: Int, distance: Int, query: String, offset: Int) throws(QueryError) {
        let alternatives = words * (words - 1) * (distance + 1)
        guard alternatives <= maximumProximityAlternatives else {
            throw QueryError("a proximity search of \(words) words within \(distance) is too large to run (\(alternatives) word pairs and distances; at most \(maximumProximityAlternatives)): use fewer words or a smaller N",
                             query: query, offset: offset)
        }
    }
}

/// One term: words or a value, in a field.
public struct QueryTerm: Sendable, Equatable {
    /// The term as written, without its quotes, tag or trailing `*`.
    public var text: String
    public var field: QueryField
    /// Written in double quotes.
    public var quoted: Bool
    /// Written with a trailing `*`: the last word (or the value) is a beginning.
    public var truncated: Bool
    /// `[mh]` and `[majr]` include the narrower headings unless written `[mh:noexp]`.
    public var explode: Bool
    /// `[tiab:~N]`: the words within N words of each other, in any order.
    public var proximity: Int?
    /// For date fields: the dates the term stands for.
    public var dates: DateSpan?
    /// Where the term stands in the query (0-based character offsets), for messages.
    public var position: Range<Int>

    public init(text: String, field: QueryField = .untagged, quoted: Bool = false, truncated: Bool = false,
                explode: Bool = true, proximity: Int? = nil, dates: DateSpan? = nil, position: Range<Int> = 0..<0) {
        self.text = text
        self.field = field
        self.quoted = quoted
        self.truncated = truncated
        self.explode = explode
        self.proximity = proximity
        self.dates = dates
        self.position = position
    }

    /// The words of the term as the stores' tokenizers cut them: runs of letters, digits and `_`.
    public var words: [String] {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
    }
}

/// A parsed query, and how it reads back.
public struct PubMedQuery: Sendable, Equatable {
    public var root: QueryNode
    /// The query as the user wrote it.
    public var source: String

    public init(root: QueryNode, source: String) {
        self.root = root
        self.source = source
    }

    /// Parses PubMed's query language (and the older `field:value` aliases).
    public init(parsing text: String) throws(QueryError) {
        var parser = QueryParser(text)
        self = try parser.parse()
    }

    /// Whether a MeSH thesaurus changes what the query finds: it names a heading (`[mh]`, `[majr]`),
    /// or has untagged words, which may name one. Otherwise there is no need to open it.
    public var usesThesaurus: Bool {
        root.terms.contains { term in
            (term.field.explodes && !term.truncated) || (term.field == .untagged && !term.quoted && !term.truncated)
                || (term.field == .subheading && term.text.trimmingCharacters(in: .whitespaces).count == 2)
        }
    }

    /// The query as it was understood, in PubMed's own "query translation" style: every term with
    /// its field, every Boolean step in parentheses.
    public var translation: String { Self.translate(root, top: true) }

    private static func translate(_ node: QueryNode, top: Bool) -> String {
        let text: String
        switch node {
        case .term(let term):
            return term.translation
        case .and(let left, let right):
            text = "\(translate(left, top: false)) AND \(translate(right, top: false))"
        case .or(let left, let right):
            text = "\(translate(left, top: false)) OR \(translate(right, top: false))"
        case .not(let left, let right):
            text = "\(translate(left, top: false)) NOT \(translate(right, top: false))"
        }
        return top ? text : "(\(text))"
    }
}

extension PubMedQuery {
    /// `#N AND …` (a history set as one of the query's top-level conjuncts, named nowhere else):
    /// the set, and the rest of the query (nil when the set stands alone).
    public var historyConjunct: (key: Int, rest: PubMedQuery?)? {
        var operands: [QueryNode] = []
        var pending = [root]
        while let node = pending.popLast() {
            if case .and(let left, let right) = node { pending += [right, left] } else { operands.append(node) }
        }
        let sets = operands.enumerated().compactMap { index, node -> (Int, Int)? in
            if case .term(let term) = node, term.field == .history, let key = Int(term.text) { (index, key) } else { nil }
        }
        guard let (index, key) = sets.first,
              root.terms.filter({ $0.field == .history && $0.text == String(key) }).count == 1 else { return nil }
        operands.remove(at: index)
        guard let first = operands.first else { return (key, nil) }
        return (key, PubMedQuery(root: operands.dropFirst().reduce(first, QueryNode.and), source: source))
    }

    /// The search history sets the query names (`#1 AND cancer`), in order of appearance.
    public var historyReferences: [Int] {
        var seen: Set<Int> = []
        return root.terms.filter { $0.field == .history }.compactMap { Int($0.text) }.filter { seen.insert($0).inserted }
    }

    /// The query with each history reference replaced by the PMIDs of its set (any of them), as
    /// `sets` gives them; an empty set finds nothing.
    public func resolvingHistory<E: Error>(_ sets: (Int) throws(E) -> [Int]) throws(E) -> PubMedQuery {
        let root = try self.root.mapTerms { (term: QueryTerm) throws(E) -> QueryNode in
            guard term.field == .history, let key = Int(term.text) else { return .term(term) }
            let pmids = try sets(key).map { QueryNode.term(QueryTerm(text: String($0), field: .pmid, position: term.position)) }
            // PMID 0 is no record's: the set that is empty finds nothing.
            return pmids.isEmpty ? .term(QueryTerm(text: "0", field: .pmid, position: term.position)) : QueryNode.anyOf(pmids)
        }
        return PubMedQuery(root: root, source: source)
    }
}

extension QueryTerm {
    /// `"heart failure"[Title/Abstract]`, `2015:2020[Date - Publication]`, `"neoplasms"[MeSH Terms:noexp]`, `#1`.
    public var translation: String {
        if field == .history { return "#\(text)" }
        if let dates {
            return "\(dates.description)[\(field.displayName)]"
        }
        let body = "\"\(text)\(truncated ? "*" : "")\""
        var tag = field.displayName
        if field.takesNoexp && !explode { tag += ":noexp" }
        if let proximity { tag += ":~\(proximity)" }
        return "\(body)[\(tag)]"
    }
}
