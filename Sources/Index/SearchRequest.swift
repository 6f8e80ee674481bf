import PubMedQuery

/// A search to run: the query, its order and the page of hits wanted.
public struct SearchRequest: Sendable {
    public var query: PubMedQuery
    public var sort: SearchSort
    public var limit: Int
    public var offset: Int
    /// The MeSH thesaurus, for explosion and term mapping; without it a heading matches itself.
    public var mesh: (any MeshVocabulary)?
    /// Whether the hits are also counted, in the same snapshot as the page (`SearchResult.total`):
    /// a count and a page read apart could disagree while a file is applied between them.
    public var counting: Bool

    public init(query: PubMedQuery, sort: SearchSort = .relevance, limit: Int = 20, offset: Int = 0,
                mesh: (any MeshVocabulary)? = nil, counting: Bool = false) {
        self.query = query
        self.sort = sort
        self.limit = limit
        self.offset = offset
        self.mesh = mesh
        self.counting = counting
    }
}

/// PubMed's orders: best match (bm25 here), then newest first, first author, journal, PMID (newest
/// first); and the index's own order, the most recently indexed first, which costs nothing to sort
/// (read off the search index backwards: the E-utilities' default, PubMed's "most recent").
public enum SearchSort: String, Sendable, CaseIterable {
    case relevance
    case pubDate = "pub_date"
    case firstAuthor = "first_author"
    case journal
    case pmid
    case recent
}

/// The hits of a search, and what the user should know about how it ran.
public struct SearchResult: Sendable {
    public var hits: [SearchHit]
    public var notes: [String]
    /// How many current records match, when the request asked (`SearchRequest.counting`).
    public var total: Int?

    public init(hits: [SearchHit], notes: [String], total: Int? = nil) {
        self.hits = hits
        self.notes = notes
        self.total = total
    }
}
