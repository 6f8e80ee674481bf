import Foundation
import Testing
@testable import PubMedCitations
@testable import PubMedIndex
@testable import PubMedRecords

/// MEDLINE text of real records (the larger 2020 baseline sample unless said otherwise), checked
/// by hand against NLM's field descriptions and real efetch `rettype=medline` output of other
/// PMIDs (no NCBI MEDLINE output was found for any PMID of our sample files, so none is compared
/// byte for byte).
@Suite(.heavyweight) struct MedlineFormatTests {
    static func baseline(_ pmid: Int) throws -> PubMedRecord {
        try RecordTestData.largerBaselineContents.get().record(pmid)
    }

    /// The larger 2020 update sample (MeSH headings, investigators), parsed once.
    static let updateContents = Result { try RecordTestData.read(RecordTestData.url(RecordTestData.largerUpdate)) }

    static func update(_ pmid: Int) throws -> PubMedRecord {
        try updateContents.get().record(pmid)
    }

    static func book() throws -> PubMedRecord {
        try RecordTestData.read(RecordTestData.url(RecordTestData.book)).record(20301546)
    }

    /// The lines of `tag` in `text`, without the tag.
    static func values(_ tag: String, in text: String) -> [String] {
        let prefix = tag.padding(toLength: 4, withPad: " ", startingAt: 0) + "- "
        return text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(6)) }
    }

    /// A whole record: an electronic date before the printed one (DEP, "Epub" in SO), labelled
    /// abstract sections run together, the copyright line (CI) after them, two ISSNs, keywords
    /// (OTO/OT), the conflict of interest statement (COIS) after them, a PMC id, history dates.
    /// The history has `entrez` alone (not yet indexed for MEDLINE):
    /// EDAT and MHDA are that date, as PubMed shows them. Each wrapped line keeps its trailing
    /// space (written `\u{20}` here).
    @Test func aWholeRecord() throws {
        let expected = """
        PMID- 31839728
        OWN - NLM
        STAT- In-Process
        LR  - 20191216
        IS  - 1846-7482 (Electronic)
        IS  - 1330-0962 (Linking)
        VI  - 30
        IP  - 1
        DP  - 2020 Feb 15
        TI  - High anion gap metabolic acidosis caused by D-lactate: mind the time of blood\u{20}
              collection.
        PG  - 011001
        LID - 10.11613/BM.2020.011001 [doi]
        AB  - Introduction: D-lactic acidosis is an uncommon cause of high anion gap acidosis.\u{20}
              Materials and methods: A 35-year old woman was admitted to the emergency room\u{20}
              with somnolence, drowsiness, dizziness, incoherent speech and drunk appearance.\u{20}
              Her past medical history included a Roux-en-Y bypass. Point-of-care venous blood\u{20}
              analysis revealed a high anion gap acidosis. Based on the clinical presentation,\u{20}
              routine laboratory results and negative toxicology screening, D-lactate and\u{20}
              5-oxoprolinuria were considered as the most likely causes of the high anion gap\u{20}
              acidosis. Urine organic acid analysis revealed increased lactate, but no\u{20}
              5-oxoproline. Plasma D-lactate was < 1.0 mmol/L and could not confirm D-lactic\u{20}
              acidosis. What happened: Further investigation revealed that the blood sample for\u{20}
              D-lactate was drawn 12 hours after admission, which might explain the\u{20}
              false-negative result. Data regarding the half-life of D-lactate are, however,\u{20}
              scarce. During a second admission, one month later, D-lactic acidosis could be\u{20}
              confirmed with an anion gap of 40.7 mmol/L and a D-lactate of 21.0 mmol/L\u{20}
              measured in a sample collected at the time of admission. Main lesson: The time of\u{20}
              blood collection is of utmost importance to establish the diagnosis of D-lactic\u{20}
              acidosis due to the fast clearance of D-lactate in the human body.
        CI  - Croatian Society of Medical Biochemistry and Laboratory Medicine.
        FAU - Weemaes, Matthias
        AU  - Weemaes M
        AD  - Clinical Department of Laboratory Medicine, UZ Leuven, Leuven, Belgium.
        FAU - Hiele, Martin
        AU  - Hiele M
        AD  - Clinical Department of Gastroenterology, UZ Leuven, Leuven, Belgium.
        FAU - Vermeersch, Pieter
        AU  - Vermeersch P
        AD  - Clinical Department of Laboratory Medicine, UZ Leuven, Leuven, Belgium.
        AD  - Department of Cardiovascular Sciences, University of Leuven, Leuven, Belgium.
        LA  - eng
        PT  - Case Reports
        DEP - 20191215
        PL  - Croatia
        TA  - Biochem Med (Zagreb)
        JT  - Biochemia medica
        JID - 9610305
        SB  - IM
        PMC - PMC6904971
        OTO - NOTNLM
        OT  - D-lactate
        OT  - D-lactic acidosis
        OT  - case report
        OT  - high anion gap acidosis
        OT  - preanalytical phase
        COIS- Potential conflict of interest: None declared.
        EDAT- 2019/12/17 06:00
        MHDA- 2019/12/17 06:00
        CRDT- 2019/12/17 06:00
        PHST- 2019/08/02 00:00 [received]
        PHST- 2019/10/20 00:00 [accepted]
        PHST- 2019/12/17 06:00 [entrez]
        AID - 10.11613/BM.2020.011001 [doi]
        AID - bm-30-1-011001 [pii]
        PST - ppublish
        SO  - Biochem Med (Zagreb). 2020 Feb 15;30(1):011001. doi: 10.11613/BM.2020.011001.\u{20}
              Epub 2019 Dec 15.
        """
        #expect(MedlineFormat.render(try Self.baseline(31839728)) == expected + "\n")
    }

    /// NCBI's own wrapping, from real efetch output of PMIDs outside our samples (35078227's
    /// affiliation, 37195739's abstract): at most 81 characters of value a line, cut at a space
    /// that stays at the end of the line. The second line here is 81 characters long, the third
    /// stops at 79 because the next word would make 82.
    @Test func wrapsAtNCBIsWidth() {
        let affiliation = "MOE Key Lab for Neuroinformation; High-Field Magnetic Resonance Brain Imaging Key Laboratory of Sichuan Province, University of Electronic Science and Technology of China, Chengdu 610054, China."
        #expect(MedlineLines.wrap(affiliation) == [
            "MOE Key Lab for Neuroinformation; High-Field Magnetic Resonance Brain Imaging Key ",
            "Laboratory of Sichuan Province, University of Electronic Science and Technology ",
            "of China, Chengdu 610054, China.",
        ])
        let sentence = "generate contractile force is critical in multiple steps of metastasis. Identifying soluble cues that regulate cancer cell mechanotypes and understanding the underlying molecular mechanisms regulating these cellular mechanotypes could"
        #expect(MedlineLines.wrap(sentence) == [
            "generate contractile force is critical in multiple steps of metastasis. ",
            "Identifying soluble cues that regulate cancer cell mechanotypes and understanding ",
            "the underlying molecular mechanisms regulating these cellular mechanotypes could",
        ])
        // A word longer than a line is not cut (a reader would join its pieces with a space).
        let url = "See https://example.org/" + String(repeating: "a", count: 90) + " for more."
        #expect(MedlineLines.wrap(url) == ["See ", "https://example.org/" + String(repeating: "a", count: 90) + " ", "for more."])
        var lines = MedlineLines()
        lines.add("AB", "short")
        lines.add("PMID", "1")
        lines.add("TI", "")
        lines.add("AD", [String]())
        #expect(lines.text == "AB  - short\nPMID- 1\n")
    }

    /// Every line of a whole file stays within the width, and the wrapped values read back whole:
    /// the abstract of a record with MathML (31839849) and every title.
    @Test func wrappedValuesReadBackWhole() throws {
        for (record, _) in try RecordTestData.largerBaselineContents.get().records {
            let text = MedlineFormat.render(record)
            for line in text.split(separator: "\n") {
                #expect(line.count <= 6 + MedlineLines.width + 1, "\(record.pmid): \(line)")
            }
            #expect(Self.field("TI", in: text) == record.title, "\(record.pmid)")
        }
        let mathML = try Self.baseline(31839849)
        let abstract = try #require(Self.field("AB", in: MedlineFormat.render(mathML)))
        #expect(abstract.contains("(F (1,34) = 5.66, p = 0.02, η p 2 = 0.15 , power = 0.64)"))
        #expect(abstract == CitationText.abstract(mathML))
    }

    /// The value of the first `tag` field with its continuation lines joined as readers join them.
    static func field(_ tag: String, in text: String) -> String? {
        let prefix = tag.padding(toLength: 4, withPad: " ", startingAt: 0) + "- "
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else { return nil }
        var value = String(lines[start].dropFirst(6))
        for line in lines[(start + 1)...] {
            guard line.hasPrefix("      ") else { break }
            value += line.dropFirst(6)
        }
        return value.hasSuffix(" ") ? String(value.dropLast()) : value
    }

    /// A group among the authors comes out as CN in its place; names keep their accents.
    @Test func collectiveAndNonASCIINames() throws {
        let record = try Self.baseline(31839962)
        let text = MedlineFormat.render(record)
        let names = text.split(separator: "\n").filter { $0.hasPrefix("FAU - ") || $0.hasPrefix("CN  - ") }
        #expect(names.map { String($0.dropFirst(6)) } == record.authors.map { $0.collectiveName ?? MedlineFormat.fullName($0) })
        #expect(Self.values("CN", in: text) == ["Bowell Group"])
        let spanish = MedlineFormat.render(try Self.update(31839558))
        #expect(spanish.contains("FAU - Sánchez-de-la-Torre, Manuel\nAU  - Sánchez-de-la-Torre M\n"))
        #expect(spanish.contains("FAU - de la Peña, Mónica\nAU  - de la Peña M\n"))
    }

    /// Investigators (FIR, IR, IRAD) come after the keywords and before the dates; a record
    /// ahead of print has a source without volume, pages or "Epub".
    @Test func investigatorsAndAheadOfPrint() throws {
        let text = MedlineFormat.render(try Self.update(31839558))
        #expect(text.contains("FIR - Vázquez, Ma José\nIR  - Vázquez MJ\n"))
        let tags = text.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map { $0.prefix(4).trimmingCharacters(in: .whitespaces) }
        let firstInvestigator = try #require(tags.firstIndex(of: "FIR"))
        #expect(tags[..<firstInvestigator].allSatisfy { $0 != "CRDT" && $0 != "PHST" })
        #expect(Self.values("PST", in: text) == ["aheadofprint"])
        #expect(Self.values("SO", in: text) == ["Lancet Respir Med. 2019 Dec 12. doi: 10.1016/S2213-2600(19)30271-1."])
    }

    /// `*` before a major descriptor, or before each major qualifier.
    @Test func majorTopicsAreStarred() throws {
        let text = MedlineFormat.render(try Self.update(10075408))
        #expect(Self.values("MH", in: text) == [
            "Archaea/*genetics/physiology", "Bacillus subtilis/genetics/physiology", "Bacteria/*genetics",
            "Bacterial Physiological Phenomena", "Chemotaxis/*genetics/physiology", "*Evolution, Molecular",
            "Flagella/*genetics/physiology", "Genes, Archaeal", "Genes, Bacterial", "Movement",
        ])
        #expect(Self.values("SO", in: text) == ["Microbiology. 1999 Feb;145 ( Pt 2):279-281. doi: 10.1099/13500872-145-2-279."])
    }

    /// A free-text MedlineDate is DP as written, and the date in SO.
    @Test func medlineDate() throws {
        let record = try RecordTestData.excerptContents.get().record(399319)
        let text = MedlineFormat.render(record)
        #expect(Self.values("DP", in: text) == ["1979 Jul-Sep"])
        #expect(Self.field("SO", in: text)?.contains(". 1979 Jul-Sep;") == true)
    }

    /// A link to an erratum's original: tag EFR, the reference and its PMID.
    @Test func commentsAndCorrections() throws {
        let text = MedlineFormat.render(try Self.baseline(31839787))
        #expect(Self.values("EFR", in: text) == ["Postepy Dermatol Alergol. 2019 Jun;36(3):346-353 PMID: 31333352"])
    }

    /// A book record: no journal fields and no source line; its accession as an AID.
    /// Each keyword list's owner, then its keywords (PMID 401078 of the full 2020 file has KIE's
    /// list, then PIP's): OTO was always NOTNLM. A list without an owner is NLM's (the DTD's
    /// default). The owners are kept in the record's JSON, which reads back the same.
    @Test func eachKeywordListHasItsOwner() throws {
        let xml = """
            <?xml version="1.0"?>
            <PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="KIE"><PMID Version="1">401078</PMID>
            <Article><ArticleTitle>Abortion services in the United States.</ArticleTitle></Article>
            <KeywordList Owner="KIE"><Keyword MajorTopicYN="N">Empirical Approach</Keyword><Keyword MajorTopicYN="N">Medicaid</Keyword></KeywordList>
            <KeywordList Owner="PIP"><Keyword MajorTopicYN="N">Abortion Centers</Keyword></KeywordList>
            <KeywordList><Keyword MajorTopicYN="N">Fees</Keyword></KeywordList>
            </MedlineCitation></PubmedArticle></PubmedArticleSet>
            """
        let record = try #require(RecordTestData.records(try RecordTestData.parse(xml)).first)
        #expect(record.keywordLists == [.init(owner: "KIE", count: 2), .init(owner: "PIP", count: 1), .init(owner: "NLM", count: 1)])
        let text = MedlineFormat.render(record)
        #expect(text.contains("OTO - KIE\nOT  - Empirical Approach\nOT  - Medicaid\nOTO - PIP\nOT  - Abortion Centers\nOTO - NLM\nOT  - Fees\n"), "\(text)")
        let decoded = try JSONDecoder().decode(PubMedRecord.self, from: Data(RecordJSONWriter.encode(record)))
        #expect(decoded == record)
        // A record stored before the owners were kept: its keywords as the authors' (NOTNLM), as before.
        var earlier = record
        earlier.keywordLists = nil
        #expect(MedlineFormat.render(earlier).contains("OTO - NOTNLM\nOT  - Empirical Approach\n"))
        #expect(record.majorTopicKeywords == nil)
    }

    /// A keyword marked as a major topic is starred, as a major MeSH heading is (NCBI's MEDLINE
    /// text of PMID 13054692 has `OT  - *NUCLEIC ACIDS`). The keyword list of PMID 399315 of the
    /// full 2020 file, three of its thirteen keywords marked; the marks kept in the record's JSON.
    @Test func majorTopicKeywordsAreStarred() throws {
        let xml = """
            <?xml version="1.0"?>
            <PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">399315</PMID>
            <Article><ArticleTitle>Oral contraceptives and depression.</ArticleTitle></Article>
            <KeywordList Owner="PIP"><Keyword MajorTopicYN="N">Behavior</Keyword><Keyword MajorTopicYN="Y">Contraceptive Agents, Estrogen</Keyword>
            <Keyword MajorTopicYN="N">Contraceptive Agents, Female</Keyword><Keyword MajorTopicYN="Y">Depression--analysis</Keyword>
            <Keyword>Diseases</Keyword><Keyword MajorTopicYN="Y">Psychological Factors</Keyword></KeywordList>
            </MedlineCitation></PubmedArticle></PubmedArticleSet>
            """
        let record = try #require(RecordTestData.records(try RecordTestData.parse(xml)).first)
        #expect(record.majorTopicKeywords == [1, 3, 5])
        #expect(record.keywords.first == "Behavior", "the mark is not part of the keyword")
        let text = MedlineFormat.render(record)
        #expect(text.contains("""
            OTO - PIP
            OT  - Behavior
            OT  - *Contraceptive Agents, Estrogen
            OT  - Contraceptive Agents, Female
            OT  - *Depression--analysis
            OT  - Diseases
            OT  - *Psychological Factors

            """), "\(text)")
        let json = RecordJSONWriter.encode(record)
        #expect(String(decoding: json, as: UTF8.self).contains("\"majorTopicKeywords\":[1,3,5]"))
        #expect(try JSONDecoder().decode(PubMedRecord.self, from: Data(json)) == record)
    }

    /// efetch's `rettype=abstract` text: the copyright line as a paragraph after the abstract, and
    /// the conflict of interest statement after the identifiers, as PubMed's Abstract display has
    /// them.
    @Test func abstractTextHasTheCopyrightAndTheConflictOfInterest() throws {
        let text = AbstractFormat.render(try Self.baseline(31839728), number: 1)
        let paragraphs = text.split(separator: "\n\n").map(String.init)
        let abstract = try #require(paragraphs.firstIndex { $0.hasPrefix("Introduction: D-lactic acidosis") })
        #expect(paragraphs[abstract + 1] == "Croatian Society of Medical Biochemistry and Laboratory Medicine.")
        #expect(paragraphs[abstract + 2].hasPrefix("DOI: 10.11613/BM.2020.011001\nPMCID: PMC6904971\nPMID: 31839728"))
        #expect(paragraphs.last == "Conflict of interest statement: Potential conflict of interest: None declared.\n")
    }

    @Test func book() throws {
        let text = MedlineFormat.render(try Self.book())
        #expect(text.hasPrefix("PMID- 20301546\n"))
        #expect(Self.values("TI", in: text) == ["Hereditary Motor and Sensory Neuropathy with Agenesis of the Corpus Callosum"])
        #expect(Self.values("FAU", in: text).first == "Gauvreau, Claudie")
        #expect(Self.values("BTI", in: text) == ["GeneReviews®"])
        #expect(Self.values("FED", in: text).first == "Adam, Margaret P" && Self.values("ED", in: text).count == 6)
        #expect(Self.values("PB", in: text) == ["University of Washington, Seattle"] && Self.values("PL", in: text) == ["Seattle (WA)"])
        #expect(Self.values("AID", in: text) == ["NBK1372 [bookaccession]"])
        #expect(Self.values("SO", in: text).isEmpty && Self.values("TA", in: text).isEmpty)
        #expect(Self.values("CTDT", in: text) == ["20060202"] && Self.values("DRDT", in: text) == ["20200917"])
        #expect(Self.values("CI", in: text).first?.hasPrefix("Copyright © 1993-2026, University of Washington, Seattle.") == true)
        // The tags in the order PubMed writes a GeneReviews chapter (its exports of PMIDs 20301770
        // and 21249755): the publisher before DP, the editors before the authors, no history
        // dates, publication status or source.
        var order: [String] = []
        for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
            let tag = line.prefix(4).trimmingCharacters(in: .whitespaces)
            if order.last != tag { order.append(tag) }
        }
        #expect(order == ["PMID", "STAT", "DRDT", "CTDT", "PB", "DP", "TI", "BTI", "AB", "CI", "FED", "ED", "FED", "ED", "FED", "ED",
                          "FED", "ED", "FED", "ED", "FED", "ED", "FAU", "AU", "AD", "FAU", "AU", "AD", "FAU", "AU", "AD",
                          "LA", "PT", "PL", "OTO", "OT", "EDAT", "MHDA", "CRDT", "AID"], "\(text)")
        #expect(Self.values("STAT", in: text) == ["Publisher"])
    }
}
