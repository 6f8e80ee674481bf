import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// One PMID in versions 1 to 3 (a hand-made file valid against pubmed_250101.dtd), then an update
/// that deletes version 3 and re-sends a corrected version 2.
@Suite struct VersionedRecordTests {
    static let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("records/versions")
    static let pmid = 90000001

    @Test func versionsDeletionsAndReplacementFollowNLMsRules() async throws {
        let mirror = Mirror(root: try TestPaths.temporaryDirectory("versions"))
        let first = try await mirror.index(file: Self.folder.appendingPathComponent("pubmed99n0001.xml"))
        #expect(first.records == 3 && first.inserted == 3)
        var store = try mirror.openIndex()
        var current = try #require(try store.record(pmid: Self.pmid, version: nil))
        #expect(try current.record.version == 3)
        #expect(current.versions == [1, 2, 3])
        #expect(try current.record.doi == "10.0000/living.3")
        #expect(try store.search("twelve", limit: 5).map(\.pmid) == [Self.pmid])
        #expect(try store.search("seven", limit: 5).isEmpty, "only the current version is searchable")

        // Every version's original XML comes back exactly.
        let text = try String(contentsOf: Self.folder.appendingPathComponent("pubmed99n0001.xml"), encoding: .utf8)
        for version in 1...3 {
            let xml = String(decoding: try #require(try store.record(pmid: Self.pmid, version: version)).xml, as: UTF8.self)
            #expect(xml.hasPrefix("<PubmedArticle>") && xml.hasSuffix("</PubmedArticle>"))
            #expect(xml.contains("<PMID Version=\"\(version)\">"))
            #expect(text.contains(xml))
        }

        let second = try await mirror.index(file: Self.folder.appendingPathComponent("pubmed99n0002.xml"))
        #expect(second.records == 1 && second.replaced == 1 && second.inserted == 0)
        #expect(second.deleted == 1 && second.deletionsAbsent == 1)
        store = try mirror.openIndex()
        current = try #require(try store.record(pmid: Self.pmid, version: nil))
        #expect(try current.record.version == 2, "version 3 deleted: the next highest is current")
        #expect(try current.record.title == "Living review of hand-made records: second version, corrected.")
        #expect(try current.record.sourceFile == "pubmed99n0002.xml")
        #expect(current.versions == [1, 2])
        #expect(try store.search("withdrawn", limit: 5).map(\.pmid) == [Self.pmid])
        #expect(try store.search("twelve", limit: 5).isEmpty)

        var changes: [String] = []
        _ = try store.export(since: first.lastSeq) { item in
            switch item {
            case .record(_, let pmid, let version): changes.append("\(pmid).\(version)")
            case .deletion(let pmid, let version): changes.append("-\(pmid).\(version)")
            }
        }
        #expect(changes == ["-90000001.3", "90000001.2"])
    }
}
