import Foundation
import Testing
@testable import PubMedCitations
@testable import PubMedRecords

/// RIS, BibTeX and CSL-JSON of real records (the larger 2020 baseline sample and the book
/// record); `CitationReaderTests` has real readers of each format read a whole file.
@Suite(.heavyweight) struct CitationFormatsTests {
    static func baseline(_ pmid: Int) throws -> PubMedRecord { try MedlineFormatTests.baseline(pmid) }

    @Test func risOfAnArticle() throws {
        let lines = RISFormat.render(try Self.baseline(31839728)).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.filter { !$0.hasPrefix("AB  - ") } == [
            "TY  - JOUR",
            "TI  - High anion gap metabolic acidosis caused by D-lactate: mind the time of blood collection.",
            "AU  - Weemaes, Matthias", "AU  - Hiele, Martin", "AU  - Vermeersch, Pieter",
            "PY  - 2020", "DA  - 2020/02/15", "JF  - Biochemia medica", "JO  - Biochem Med (Zagreb)", "VL  - 30", "IS  - 1",
            "SP  - 011001", "SN  - 1846-7482", "DO  - 10.11613/BM.2020.011001", "AN  - 31839728", "C2  - PMC6904971",
            "UR  - https://pubmed.ncbi.nlm.nih.gov/31839728/",
            "KW  - D-lactate", "KW  - D-lactic acidosis", "KW  - case report", "KW  - high anion gap acidosis", "KW  - preanalytical phase",
            "LA  - eng", "ER  - ", "",
        ])
        #expect(lines.filter { $0.hasPrefix("AB  - Introduction: D-lactic acidosis is an uncommon cause") }.count == 1)
    }

    @Test func risOfABookAndAGroup() throws {
        let book = RISFormat.render(try MedlineFormatTests.book())
        #expect(book.hasPrefix("TY  - CHAP\nTI  - Hereditary Motor and Sensory Neuropathy"))
        #expect(book.contains("AU  - Dupré, Nicolas\nT2  - GeneReviews®\nA2  - Adam, Margaret P\n"))
        #expect(book.contains("A2  - Amemiya, Anne\nPB  - University of Washington, Seattle\nCY  - Seattle (WA)\n"))
        var whole = try MedlineFormatTests.book()
        whole.book?.isPart = false
        #expect(RISFormat.render(whole).hasPrefix("TY  - BOOK\n") && !RISFormat.render(whole).contains("T2  - "))
        #expect(book.contains("UR  - https://www.ncbi.nlm.nih.gov/books/NBK1372/\n"))
        #expect(RISFormat.render(try Self.baseline(31839962)).contains("AU  - Bowell Group\n"))
        // MEDLINE's shortened last page is written out in full.
        #expect(CitationText.pageRange("123-9")! == ("123", "129"))
        #expect(CitationText.pageRange("e1234")! == ("e1234", nil))
        #expect(CitationText.pageRange("S12-S19")! == ("S12", "S19"))
        // A prefix is kept on the shortened last page (PMIDs 402819, 421625), and every range of a
        // list is kept where a format holds a list (399797, 414035).
        #expect(CitationText.pageRange("H173-90")! == ("H173", "H190"))
        #expect(CitationText.pageRange("Suppl 2:28-9")! == ("Suppl 2:28", "Suppl 2:29"))
        #expect(CitationText.fullPages("21-2, 24") == "21-22, 24")
        #expect(CitationText.fullPages("ix-xii, 1-312", dash: "--") == "ix--xii, 1--312")
        #expect(CitationText.fullPages("1182-1191") == "1182-1191")
        // Page values with no page in them (a lone comma crashed every citation format, and serve).
        for empty in [",", ",,", ""] { #expect(CitationText.pageRange(empty) == nil, "\(empty)") }
        #expect(CitationText.pageRange(" , 12")! == ("12", nil))
        var record = try Self.baseline(31839728)
        record.pages = ","
        for format in CitationFormat.allCases { _ = format.render(record) }
    }

    /// Words whose case a BibTeX style must not change are braced; the others are left to it.
    @Test func bibTeXProtectsTheCaseOfAcronyms() throws {
        var record = try Self.baseline(31839728)
        record.title = "HIV and mRNA in COVID-19: a pH study of 100% of Cases"
        #expect(BibTeXFormat.render(record).contains("  title = {{HIV} and {mRNA} in {COVID-19:} a {pH} study of 100\\% of Cases},\n"))
        // A word that begins with an escape is braced twice (one brace group opening with a
        // backslash would be a "special character", whose letters styles still change).
        record.title = "#MeToo and $NADPH levels"
        #expect(BibTeXFormat.render(record).contains("  title = {{{\\#MeToo}} and {{\\$NADPH}} levels},\n"))
    }

    @Test func bibTeXOfAnArticleAndABook() throws {
        let article = BibTeXFormat.render(try Self.baseline(31839728))
        #expect(article.hasPrefix("@article{pmid31839728,\n  author = {Weemaes, Matthias and Hiele, Martin and Vermeersch, Pieter},\n"))
        #expect(article.contains("\n  year = {2020},\n  month = feb,\n  pages = {011001},\n  doi = {10.11613/BM.2020.011001},\n"))
        #expect(article.hasSuffix("  url = {https://pubmed.ncbi.nlm.nih.gov/31839728/},\n}\n"))
        let book = BibTeXFormat.render(try MedlineFormatTests.book())
        #expect(book.hasPrefix("@incollection{pmid20301546,\n  author = {Gauvreau, Claudie and Brisson, Jean-Denis and Dupré, Nicolas},\n"))
        #expect(book.contains("\n  booktitle = {{GeneReviews®}},\n  editor = {Adam, Margaret P and Bick, Sarah and "))
        #expect(book.contains("\n  publisher = {University of Washington, Seattle},\n  address = {Seattle (WA)},\n"))
        #expect(book.contains("a 25\\% chance of being affected"))
        let group = BibTeXFormat.render(try Self.baseline(31839962))
        #expect(group.contains(" and {Bowell Group}"))
    }

    @Test func bibTeXEscapesItsSpecialCharacters() {
        #expect(BibTeXFormat.escape(##"50% & $5 #1 a_b x^2 ~ {set} C:\dir é"##)
                == ##"50\% \& \$5 \#1 a\_b x\textasciicircum{}2 \textasciitilde{} \textbraceleft{}set\textbraceright{} C:\textbackslash{}dir é"##)
        // An unbalanced brace in the text cannot unbalance the value's braces.
        #expect(BibTeXFormat.escape("a } b") == #"a \textbraceright{} b"#)
        let suffixed = PubMedRecord.Author(lastName: "Hambrick", foreName: "George W", initials: "GW", suffix: "Jr")
        #expect(BibTeXFormat.name(suffixed) == "Hambrick, Jr, George W")
        #expect(BibTeXFormat.name(PubMedRecord.Author(collectiveName: "Smith & Jones and Partners")) == #"{Smith \& Jones and Partners}"#)
    }

    /// Line breaks and tabs become spaces, byte for byte (a CR LF pair is two), and nothing else changes.
    @Test(arguments: [("plain title", "plain title"), ("a\tb\nc", "a b c"), ("line\r\nbreak", "line  break"),
                      ("é\n☃\u{301}\t", "é ☃\u{301} "), ("", "")])
    func oneLine(text: String, expected: String) {
        #expect(CitationText.oneLine(text) == expected)
    }

    @Test func cslJSONItems() throws {
        let item = try Self.object(CSLJSONFormat.render(try Self.baseline(31839728)))
        #expect(item["id"] as? String == "pmid31839728")
        #expect(item["type"] as? String == "article-journal")
        #expect(item["container-title"] as? String == "Biochemia medica")
        #expect(item["container-title-short"] as? String == "Biochem Med (Zagreb)")
        #expect((item["issued"] as? [String: Any])?["date-parts"] as? [[Int]] == [[2020, 2, 15]])
        #expect(item["DOI"] as? String == "10.11613/BM.2020.011001")
        #expect(item["PMID"] as? String == "31839728")
        #expect(item["PMCID"] as? String == "PMC6904971")
        // The language as the BCP 47 tag CSL reads (`en`: English, so styles title-case it).
        #expect(item["language"] as? String == "en")
        var other = try Self.baseline(31839728)
        for (code, tag) in [("fre", "fr"), ("chi", "zh"), ("mul", "mul"), ("und", "und")] {
            other.languages = [code]
            #expect(try Self.object(CSLJSONFormat.render(other))["language"] as? String == tag, "\(code)")
        }
        let authors = try #require(item["author"] as? [[String: String]])
        #expect(authors.first == ["family": "Weemaes", "given": "Matthias"])
        let group = try Self.object(CSLJSONFormat.render(try Self.baseline(31839962)))
        #expect((group["author"] as? [[String: String]])?.contains(["literal": "Bowell Group"]) == true)
        let book = try Self.object(CSLJSONFormat.render(try MedlineFormatTests.book()))
        #expect(book["type"] as? String == "chapter")
        #expect(book["URL"] as? String == "https://www.ncbi.nlm.nih.gov/books/NBK1372/")
        #expect(book["container-title"] as? String == "GeneReviews®")
        #expect(book["publisher"] as? String == "University of Washington, Seattle" && book["publisher-place"] as? String == "Seattle (WA)")
        #expect((book["editor"] as? [[String: String]])?.first == ["family": "Adam", "given": "Margaret P"])
    }

    /// CSL-JSON output is one array, also with no record or one.
    @Test func cslJSONOutputIsOneArray() throws {
        let format = CitationFormat.cslJSON
        let records = [try Self.baseline(31839728), try Self.baseline(31839962)]
        for count in 0...2 {
            let text = format.render(Array(records.prefix(count)))
            let array = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            #expect(array.count == count)
        }
        #expect(CitationFormat.medline.separator == "\n" && CitationFormat.medline.closing(empty: false).isEmpty)
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
