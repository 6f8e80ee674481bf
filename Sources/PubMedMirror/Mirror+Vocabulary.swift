import PubMedMeSH
import PubMedQuery

/// The thesaurus is what the query language asks of MeSH: the two stages know nothing of each other,
/// and meet here.
extension MeshThesaurus: MeshVocabulary {}

extension Mirror {
    /// The MeSH thesaurus the query language explodes headings with, if `mesh` has built one.
    public func openMeshVocabulary() throws(MeshError) -> (any MeshVocabulary)? {
        try openMeSH()
    }
}
