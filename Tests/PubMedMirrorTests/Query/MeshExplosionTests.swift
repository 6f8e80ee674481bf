import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedMeSH
@testable import PubMedMirror
@testable import PubMedQuery
@testable import PubMedRecords

/// `[mh]` and `[majr]` with the thesaurus built from the test MeSH file (real descriptors and tree
/// numbers): narrower headings included unless `:noexp`, subheadings kept, and untagged words that
/// name a heading or an entry term mapped to it, as PubMed does.
@Suite struct MeshExplosionTests {
    /// PMID → its headings (descriptor, major, qualifiers with their major flags).
    static let records: [(Int, String, [PubMedRecord.MeshHeading])] = [
        (1, "Screening of the breast", [heading("Breast Neoplasms")]),
        (2, "A glandular tumour treated", [heading("Adenocarcinoma", qualifiers: [("drug therapy", true)])]),
        (3, "Infarction after exercise", [heading("Myocardial Infarction", major: true)]),
        (4, "Scaling plaques", [heading("Psoriasis")]),
        (5, "Tumours in general", [heading("Neoplasms")]),
        (6, "Heart attack risk in the young", []),
        (7, "Mouth and gums", [heading("Periodontal Diseases")]),
        // Indexed under a heading's earlier name, which the thesaurus (a newer MeSH year) keeps as
        // an entry term of the heading now: the records keep it until the next baseline.
        (8, "Indexed in an earlier year", [heading("Heart Attack")]),
    ]

    /// PMID → its publication types (records 1–8 are journal articles).
    static let types: [Int: [String]] = [
        1: ["Randomized Controlled Trial"], 2: ["Clinical Trial"], 3: ["Controlled Clinical Trial", "Review"],
    ]

    static func heading(_ name: String, major: Bool = false, qualifiers: [(String, Bool)] = []) -> PubMedRecord.MeshHeading {
        PubMedRecord.MeshHeading(descriptor: name, majorTopic: major,
                                 qualifiers: qualifiers.map { PubMedRecord.MeshQualifier(name: $0.0, majorTopic: $0.1) })
    }

    static func store() throws -> SQLiteRecordStore {
        let store = try RecordStoreTests.store()
        try RecordStoreTests.apply(store, "f1", records.map { pmid, title, mesh in
            var record = RecordStoreTests.record(pmid, title: title)
            record.meshHeadings = mesh
            record.publicationTypes = types[pmid] ?? ["Journal Article"]
            return .record(record, xml: RecordStoreTests.xml(pmid, 1))
        })
        return store
    }

    static func thesaurus() throws -> MeshThesaurus {
        let path = try TestPaths.temporaryDirectory("mesh-explosion").appendingPathComponent("mesh.sqlite")
        _ = try MeshThesaurusBuilder.build(from: try MeshFixture.url(), to: path)
        return try MeshThesaurus.open(at: path.path)
    }

    static func pmids(_ store: SQLiteRecordStore, _ query: String, mesh: (any MeshVocabulary)?) throws -> (pmids: [Int], notes: [String]) {
        let result = try store.search(SearchRequest(query: PubMedQuery(parsing: query), sort: .pmid, limit: 100, mesh: mesh), withJSON: false)
        return (result.hits.map(\.pmid).sorted(), result.notes)
    }

    @Test(arguments: [
        ("neoplasms[mh]", [1, 2, 5], [5]),
        ("neoplasms[mh:noexp]", [5], [5]),
        ("\"neoplasms by site\"[mh]", [1], []),
        // Breast Neoplasms is also under Skin Diseases (C17.800.090.500), as in MeSH itself.
        ("skin diseases[mh]", [1, 4], []),
        ("\"neoplasms/drug therapy\"[mh]", [2], []),
        // A subheading's two-letter abbreviation, as NLM's guide writes them; read with the thesaurus.
        ("neoplasms/dt[mh]", [2], []),
        ("\"adenocarcinoma/DT\"[majr]", [2], []),
        ("dt[sh]", [2], []),
        ("\"drug therapy\"[sh]", [2], [2]),
        ("neoplasms[majr]", [2], []),
        ("\"myocardial infarction\"[majr]", [3], [3]),
        ("neoplasms[mh] NOT breast neoplasms[mh]", [2, 5], [5]),
        // An entry term names its heading in [mh] too, and is searched as written as well (an
        // earlier name of the heading, in records indexed before it was renamed).
        ("heart attack[mh]", [3, 8], [8]),
        // Publication types take in the narrower ones, as PubMed's [pt]; :noexp does not.
        ("clinical trial[pt]", [1, 2, 3], [2]),
        ("controlled clinical trial[pt]", [1, 3], [3]),
        ("clinical trial[pt:noexp]", [2], [2]),
        ("review[pt]", [3], [3]),
        ("heart attack[mh:noexp]", [3, 8], [8]),
        ("\"heart attack/drug therapy\"[mh]", [], []),
        // Automatic term mapping: untagged words that together name an entry term also find the heading;
        // a quoted phrase is not mapped, as in PubMed.
        ("heart attack", [3, 6, 8], [6, 8]),
        ("\"heart attack\"", [6, 8], [6, 8]),
        ("tumours OR periodontal diseases", [5, 7], [5, 7]),
    ])
    func explodesWithTheThesaurusAndNotWithout(query: String, with: [Int], without: [Int]) throws {
        let store = try Self.store()
        let thesaurus = try Self.thesaurus()
        #expect(try Self.pmids(store, query, mesh: thesaurus).pmids == with, "\(query) with the thesaurus")
        let plain = try Self.pmids(store, query, mesh: nil)
        #expect(plain.pmids == without, "\(query) without")
        let explodes = query.contains("[mh]") || query.contains("[majr]") || query.contains("[pt]")
        #expect(plain.notes.contains(FTSQuery.noThesaurus) == explodes, "\(query): \(plain.notes)")
    }

    /// Without the thesaurus (or with one built before abbreviations were kept), an abbreviation
    /// is searched as written, and the note says why it may find nothing.
    @Test func aSubheadingAbbreviationWithoutTheThesaurusIsNoted() throws {
        let store = try Self.store()
        let plain = try Self.pmids(store, "dt[sh]", mesh: nil)
        #expect(plain.pmids.isEmpty)
        #expect(plain.notes.contains { $0.contains("the subheading abbreviation \"dt\" is read with NLM's MeSH thesaurus") }, "\(plain.notes)")
        #expect(try PubMedQuery(parsing: "dt[sh]").usesThesaurus)
        #expect(try Self.thesaurus().qualifier(abbreviated: "Bl") == "blood")
    }

    @Test func theMirrorOpensTheThesaurusItBuilt() async throws {
        let root = try TestPaths.temporaryDirectory("mirror-vocabulary")
        let mirror = Mirror(root: root)
        #expect(try mirror.openMeshVocabulary() == nil)
        _ = try MeshThesaurusBuilder.build(from: try MeshFixture.url(), to: MirrorLayout(root: root).meshThesaurus)
        let vocabulary = try #require(try mirror.openMeshVocabulary())
        #expect(try vocabulary.heading(for: "HEART ATTACK") == "Myocardial Infarction")
    }
}
