import Foundation
import Testing

/// `show` and `export` in the citation formats, through the built binary, on a mirror of the
/// larger 2020 samples.
@Suite(.heavyweight) struct CLICitationTests {
    @Test func showPrintsEachCitationFormat() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("cli-show-citations")
        let medline = try await CLI.run(["show", "--mirror", mirror, "31839728", "--format", "medline"])
        #expect(medline.status == 0, "\(medline.stderr)")
        #expect(medline.stdout.hasPrefix("PMID- 31839728\nOWN - NLM\nSTAT- In-Process\n"))
        #expect(medline.stdout.hasSuffix("SO  - Biochem Med (Zagreb). 2020 Feb 15;30(1):011001. doi: 10.11613/BM.2020.011001. \n      Epub 2019 Dec 15.\n"))
        let ris = try await CLI.run(["show", "--mirror", mirror, "31839728", "31839962", "--format", "ris"])
        #expect(ris.stdout.hasPrefix("TY  - JOUR\n") && ris.stdout.components(separatedBy: "ER  - \n").count == 3)
        #expect(ris.stdout.contains("ER  - \n\nTY  - JOUR\n"))
        let bibtex = try await CLI.run(["show", "--mirror", mirror, "31839962", "--format", "bibtex"])
        #expect(bibtex.stdout.hasPrefix("@article{pmid31839962,\n") && bibtex.stdout.contains(" and {Bowell Group}"))

        // Two records and a PMID not in the index: exit 8, and the output is still one array.
        let csl = try await CLI.run(["show", "--mirror", mirror, "31839728", "1", "31839962", "--format", "csl-json"])
        #expect(csl.status == 8)
        #expect(csl.stderr.contains("PMID 1 is not in the index"))
        let items = try #require(try JSONSerialization.jsonObject(with: Data(csl.stdout.utf8)) as? [[String: Any]])
        #expect(items.compactMap { $0["id"] as? String } == ["pmid31839728", "pmid31839962"])
        let none = try await CLI.run(["show", "--mirror", mirror, "1", "--format", "csl-json"])
        #expect(none.status == 8 && none.stdout == "[\n]\n")
    }

    @Test func exportWritesEveryCurrentRecordInEachCitationFormat() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("cli-export-citations")
        let csl = try await CLI.run(["export", "--mirror", mirror, "--format", "csl-json"])
        #expect(csl.status == 0, "\(csl.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(csl.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == 1126)
        let medline = try await CLI.run(["export", "--mirror", mirror, "--format", "medline"])
        #expect(medline.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("PMID- ") }.count == 1126)
        #expect(medline.stdout.components(separatedBy: "\n\nPMID- ").count == 1126)
        let ris = try await CLI.run(["export", "--mirror", mirror, "--format", "ris"])
        #expect(ris.stdout.components(separatedBy: "\n").filter { $0 == "ER  - " }.count == 1126)

        // Deletions have no citation: counted, not printed.
        let out = try TestPaths.temporaryDirectory("citations-out").appendingPathComponent("recent.bib").path
        let recent = try await CLI.run(["export", "--mirror", mirror, "--since", "1300", "--format", "bibtex", "--output", out])
        #expect(recent.status == 0, "\(recent.stderr)")
        let bib = try String(contentsOfFile: out, encoding: .utf8)
        let entries = bib.components(separatedBy: "\n").filter { $0.hasPrefix("@article{") || $0.hasPrefix("@book{") }.count
        #expect(recent.stderr.contains("exported \(entries) records and "))
        #expect(!bib.contains("deleted"))
    }
}
