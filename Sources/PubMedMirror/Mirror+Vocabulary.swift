import PubMedQuery

extension Mirror {
    /// The MeSH thesaurus the query language explodes headings with, if the mirror has one.
    public func openMeshVocabulary() throws -> (any MeshVocabulary)? {
        nil
    }
}
