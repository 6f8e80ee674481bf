import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

@Suite struct PubMedFileNameTests {
    @Test(arguments: [
        ("pubmed26n0001.xml.gz", 26, 1), ("pubmed25n1275.xml.gz", 25, 1275), ("pubmed20n0014.xml.gz", 20, 14),
        ("pubmed00n0000.xml.gz", 0, 0), ("pubmed99n9999.xml.gz", 99, 9999),
    ])
    func validNames(name: String, cycle: Int, number: Int) throws {
        let parsed = try #require(PubMedFileName(name))
        #expect(parsed.cycle == cycle)
        #expect(parsed.number == number)
        #expect(parsed.name == name)
        #expect(parsed.description == name)
        #expect(parsed.md5Name == name + ".md5")
        #expect(PubMedFileName(md5Name: name + ".md5") == parsed)
    }

    @Test func buildsPaddedNames() {
        #expect(PubMedFileName(cycle: 26, number: 1).name == "pubmed26n0001.xml.gz")
        #expect(PubMedFileName(cycle: 5, number: 42).md5Name == "pubmed05n0042.xml.gz.md5")
    }

    @Test(arguments: [
        "../pubmed26n0001.xml.gz", "pubmed26n0001.xml.gz/x", "/pubmed26n0001.xml.gz", "baseline/pubmed26n0001.xml.gz",
        "pubmed26n0001.xml.gz\n", "pubmed26n0001.xml.gz\0", "pubmed26n\t001.xml.gz", "pubmed26n0001.xml.gz\r",
        "pubmed26n001.xml.gz", "pubmed26n00001.xml.gz", "pubmed2n0001.xml.gz", "pubmed226n0001.xml.gz",
        "pubmed２６n0001.xml.gz", "pubmed26n０００１.xml.gz", "pubmed26n٠٠٠١.xml.gz",  // full-width, Arabic-Indic
        "pubmed26n0001.xml.gz.md5", "pubmed26n0001.xml", "pubmed26n0001.xml.gz ", " pubmed26n0001.xml.gz",
        "PUBMED26N0001.XML.GZ", "pubmed26N0001.xml.gz", "pubmed26n0001.XML.gz", "medline26n0001.xml.gz",
        "pubmed26n-001.xml.gz", "pubmed+6n0001.xml.gz", "pubmed26n0001_stats.html", "README.txt", "",
        "pubmed26n0001.xml.gz.partial", "pubmed26n0001.xml.gz\u{301}", "pube\u{301}d26n0001.xml.gz",
    ])
    func rejectedDataNames(name: String) {
        #expect(PubMedFileName(name) == nil)
    }

    @Test(arguments: [
        "pubmed26n0001.xml.gz", "../pubmed26n0001.xml.gz.md5", "pubmed26n0001.xml.gz.md5/x", "pubmed26n001.xml.gz.md5",
        "pubmed26n0001.xml.gz.md5\n", "pubmed26n0001.xml.gz.MD5", "pubmed26n0001.xml.gz.md5.md5",
    ])
    func rejectedMD5Names(name: String) {
        #expect(PubMedFileName(md5Name: name) == nil)
    }

    @Test func ordersByCycleThenNumber() throws {
        let last2025 = try #require(PubMedFileName("pubmed25n1275.xml.gz"))
        let first2026 = try #require(PubMedFileName("pubmed26n0001.xml.gz"))
        #expect(last2025 < first2026)
        #expect(!(first2026 < last2025))

        let shuffled = ["pubmed26n1335.xml.gz", "pubmed25n1275.xml.gz", "pubmed26n0001.xml.gz",
                        "pubmed25n0002.xml.gz", "pubmed26n0010.xml.gz", "pubmed20n1016.xml.gz"]
        let sorted = try shuffled.map { try #require(PubMedFileName($0)) }.sorted().map(\.name)
        #expect(sorted == ["pubmed20n1016.xml.gz", "pubmed25n0002.xml.gz", "pubmed25n1275.xml.gz",
                           "pubmed26n0001.xml.gz", "pubmed26n0010.xml.gz", "pubmed26n1335.xml.gz"])
    }

    @Test func equalAndHashableByValue() throws {
        let parsed = try #require(PubMedFileName("pubmed26n0001.xml.gz"))
        #expect(parsed == PubMedFileName(cycle: 26, number: 1))
        #expect(Set([parsed, PubMedFileName(cycle: 26, number: 1)]).count == 1)
    }

    @Test func baselineComesBeforeUpdates() {
        #expect(MirrorFolder.baseline < MirrorFolder.updatefiles)
        #expect(!(MirrorFolder.updatefiles < MirrorFolder.baseline))
        #expect(MirrorFolder.allCases.sorted() == [.baseline, .updatefiles])
    }
}
