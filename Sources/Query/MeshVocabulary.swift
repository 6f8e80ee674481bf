/// What the query language needs of the MeSH thesaurus: PubMed searches `[mh]` and `[majr]`
/// with the narrower headings ("explosion") and maps an untagged term that is a MeSH entry term
/// to its heading. Without a thesaurus a heading matches itself only.
public protocol MeshVocabulary: Sendable {
    /// The descriptor name that a descriptor name or entry term stands for (any case); nil if none.
    func heading(for term: String) throws -> String?
    /// The heading and every descriptor under it in any of its trees, by name.
    func narrower(than heading: String) throws -> [String]
    /// The qualifier (subheading) a two-letter abbreviation stands for (`dt`: drug therapy); nil if none.
    func qualifier(abbreviated abbreviation: String) throws -> String?
}
