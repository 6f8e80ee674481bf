import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

@Suite struct RemoteCatalogTests {
    @Test func takesOnlyPubMedFilesAndTheirMD5() {
        let names = ["pubmed26n1335.xml.gz", "pubmed26n1335.xml.gz.md5", "pubmed26n1335_stats.html", "README.txt",
                     "pubmed26n1336.xml.gz", "pubmed26n0999.xml.gz.md5", "notes.txt", "../../etc/passwd",
                     "pubmed26n1337.xml.gz\u{1B}[2J", String(repeating: "a", count: 300), "."]
        var entries = names.map { ListingEntry(name: $0, size: .exact(10)) }
        entries.append(ListingEntry(name: "old", isDirectory: true))
        let (files, ignored) = RemoteCatalog.files(in: .updatefiles, from: entries)
        #expect(files.map(\.file.name) == ["pubmed26n1335.xml.gz", "pubmed26n1336.xml.gz"])
        #expect(files[0].md5?.name == "pubmed26n1335.xml.gz.md5")
        #expect(files[1].md5 == nil)
        let reasons = Dictionary(ignored.map { ($0.printableName, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["README.txt"] == .companion)
        #expect(reasons["pubmed26n1335_stats.html"] == .companion)
        #expect(reasons["notes.txt"] == .unexpected)
        #expect(reasons["../../etc/passwd"] == .unsafe)
        #expect(reasons["pubmed26n0999.xml.gz.md5"] == .orphanMD5)
        #expect(reasons["old"] == .directory)
        // Control characters never reach a terminal or a log unescaped.
        #expect(ignored.contains { $0.reason == .unsafe && $0.printableName.contains("\\u{1b}") })
        #expect(ignored.allSatisfy { !$0.printableName.unicodeScalars.contains { $0.value == 0x1B } })
        #expect(ignored.contains { $0.reason == .unsafe && $0.printableName.hasSuffix("(300 bytes)") })
    }
}
