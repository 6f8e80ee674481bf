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

/// Field values of real records, checked against the XML (zcat | grep) by hand. Records of the
/// larger 2020 baseline sample (pubmed20n1015) unless said otherwise; `excerpt` records are cut
/// byte for byte from the complete baseline file pubmed20n0014.
@Suite(.heavyweight) struct ArticleFileFieldTests {
    private func baseline(_ pmid: Int, version: Int? = nil) throws -> PubMedRecord {
        try RecordTestData.largerBaselineContents.get().record(pmid, version: version)
    }

    private func excerpt(_ pmid: Int) throws -> PubMedRecord {
        try RecordTestData.excerptContents.get().record(pmid)
    }

    /// The file's first record: labelled sections (NlmCategory UNASSIGNED), keywords, an
    /// ArticleDate, all journal fields, and ids from PubmedData/ArticleIdList.
    @Test func firstRecordOfTheSample() throws {
        let record = try baseline(31839728)
        #expect(record.version == 1)
        #expect(record.kind == .article)
        #expect(record.status == "In-Process")
        #expect(record.title == "High anion gap metabolic acidosis caused by D-lactate: mind the time of blood collection.")
        #expect(record.abstractSections.map(\.label) == ["Introduction", "Materials and methods", "What happened", "Main lesson"])
        #expect(record.abstractSections.allSatisfy { $0.nlmCategory == "UNASSIGNED" })
        #expect(record.abstractSections[0].text == "D-lactic acidosis is an uncommon cause of high anion gap acidosis.")
        let abstract = try #require(record.abstract)
        #expect(abstract.hasPrefix("Introduction: D-lactic acidosis is an uncommon cause of high anion gap acidosis.\nMaterials and methods: A 35-year old woman"))
        // `&lt;` in the text comes back as `<`.
        #expect(abstract.contains("Plasma D-lactate was < 1.0 mmol/L and could not confirm D-lactic acidosis.\nWhat happened: Further"))
        #expect(abstract.hasSuffix("\nMain lesson: The time of blood collection is of utmost importance to establish the diagnosis of D-lactic acidosis due to the fast clearance of D-lactate in the human body."))
        #expect(record.journal == PubMedRecord.Journal(
            title: "Biochemia medica", isoAbbreviation: "Biochem Med (Zagreb)", medlineTA: "Biochem Med (Zagreb)",
            nlmUniqueID: "9610305", country: "Croatia", issn: "1846-7482", issnType: "Electronic",
            issnLinking: "1330-0962", volume: "30", issue: "1"))
        #expect(record.pubDate == PubMedRecord.PubDate(year: 2020, month: 2, day: 15))
        #expect(record.year == 2020)
        #expect(record.articleDates == [PubMedRecord.ArticleDate(dateType: "Electronic", year: 2019, month: 12, day: 15)])
        #expect(record.pages == "011001")
        #expect(record.elocationIds == [PubMedRecord.ELocationID(type: "doi", value: "10.11613/BM.2020.011001", valid: true)])
        #expect(record.articleIds.map(\.type) == ["pubmed", "doi", "pii", "pmc"])
        #expect(record.doi == "10.11613/BM.2020.011001")
        #expect(record.pmcid == "PMC6904971")
        #expect(record.languages == ["eng"])
        #expect(record.publicationTypes == ["Case Reports"])
        #expect(record.publicationTypeUIs == ["D002363"])
        #expect(record.keywords == ["D-lactate", "D-lactic acidosis", "case report", "high anion gap acidosis", "preanalytical phase"])
        #expect(record.dateRevised == PubMedRecord.SimpleDate(year: 2019, month: 12, day: 16))
        #expect(record.dateCompleted == nil)
        #expect(record.meshHeadings.isEmpty && record.chemicals.isEmpty && record.grants.isEmpty)
        #expect(record.owner == "NLM")
        #expect(record.citationSubsets == ["IM"])
        #expect(record.publicationStatus == "ppublish")
        #expect(record.history == [
            PubMedRecord.HistoryDate(status: "received", year: 2019, month: 8, day: 2),
            PubMedRecord.HistoryDate(status: "accepted", year: 2019, month: 10, day: 20),
            PubMedRecord.HistoryDate(status: "entrez", year: 2019, month: 12, day: 17, hour: 6, minute: 0),
        ])
        #expect(record.investigators.isEmpty)
        // Affiliations, two for the last author.
        #expect(record.authors.map(\.lastName) == ["Weemaes", "Hiele", "Vermeersch"])
        #expect(record.authors[2] == PubMedRecord.Author(
            lastName: "Vermeersch", foreName: "Pieter", initials: "P",
            affiliations: ["Clinical Department of Laboratory Medicine, UZ Leuven, Leuven, Belgium.",
                           "Department of Cardiovascular Sciences, University of Leuven, Leuven, Belgium."]))
    }

    /// NlmCategory differs from the label (AIM → OBJECTIVE, CONCLUSION → CONCLUSIONS).
    @Test func structuredAbstractCategories() throws {
        let record = try baseline(31839875)
        #expect(record.abstractSections.map(\.label) == ["BACKGROUND", "AIM", "METHODS", "RESULTS", "CONCLUSION"])
        #expect(record.abstractSections.map(\.nlmCategory) == ["BACKGROUND", "OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS"])
        #expect(record.abstract?.hasPrefix("BACKGROUND: Acute upper gastrointestinal bleeding (AUGIB) is a frequently encountered") == true)
    }

    /// `Label="BACKGROUND &amp; AIMS"`: libxml2 hands the value over as `BACKGROUND &#38; AIMS`.
    @Test func ampersandInAttribute() throws {
        let record = try baseline(31840390)
        #expect(record.abstractSections.first?.label == "BACKGROUND & AIMS")
        #expect(record.abstractSections.first?.nlmCategory == "OBJECTIVE")
        #expect(record.abstract?.hasPrefix("BACKGROUND & AIMS: Acute on chronic liver failure (ACLF)") == true)
    }

    /// MedlineDate "2019 Sep-Oct" (no Year element): kept, and the year taken from it. ORCIDs
    /// and an OtherAbstract in Portuguese.
    @Test func medlineDateOrcidAndOtherAbstract() throws {
        let record = try baseline(31839731)
        #expect(record.pubDate == PubMedRecord.PubDate(medlineDate: "2019 Sep-Oct"))
        #expect(record.year == 2019)
        #expect(record.authors.map(\.orcid) == ["0000-0002-9448-7352", "0000-0001-7358-819X", "0000-0001-9921-3337",
                                                "0000-0003-1055-9601", "0000-0001-6163-5147"])
        #expect(record.authors[0].affiliations == ["Hospital do Trabalhador, Curitiba, PR, Brazil.",
                                                   "Hospital Universitário Cajuru, Pontifícia Universidade Católica do Paraná, Curitiba, PR, Brazil."])
        #expect(record.otherAbstracts.count == 1)
        #expect(record.otherAbstracts.first?.type == "Publisher")
        #expect(record.otherAbstracts.first?.language == "por")
        #expect(record.otherAbstracts.first?.text.hasPrefix("Objetivo: Relatar a técnica cirúrgica") == true)
        #expect(record.keywords == ["Monteggia fracture/complications", "Monteggia fracture/pathology", "Monteggia fracture/surgery"])
    }

    /// "1979 Jul-Sep" in the complete baseline file (excerpt): VernacularTitle, chemicals, and
    /// MeSH qualifiers with their own major-topic flags.
    @Test func medlineDate1979() throws {
        let record = try excerpt(399319)
        #expect(record.pubDate == PubMedRecord.PubDate(medlineDate: "1979 Jul-Sep"))
        #expect(record.year == 1979)
        #expect(record.title == "[Controlled clinical trial of a new antibiotic \"CM 9164\" (Midecacin) in dental and stomatological practice].")
        #expect(record.vernacularTitle == "Sperimentazione clinica controllata di un nuovo antibiotico \"CM 9164\" (Midecacin) in campo odontostomatologico.")
        #expect(record.languages == ["ita"])
        #expect(record.dateCompleted == PubMedRecord.SimpleDate(year: 1980, month: 11, day: 20))
        #expect(record.dateRevised == PubMedRecord.SimpleDate(year: 2017, month: 11, day: 17))
        #expect(record.chemicals == [
            PubMedRecord.Chemical(name: "Leucomycins", registryNumber: "0", ui: "D007933"),
            PubMedRecord.Chemical(name: "Erythromycin", registryNumber: "63937KV33D", ui: "D004917"),
            PubMedRecord.Chemical(name: "midecamycin", registryNumber: "N34Z0Y5UH7", ui: "C026483"),
        ])
        #expect(record.publicationTypes == ["Clinical Trial", "Comparative Study", "Controlled Clinical Trial", "Journal Article"])
        #expect(record.publicationTypeUIs == ["D016430", "D003160", "D018848", "D016428"])
        let infections = try #require(record.meshHeadings.first { $0.descriptor == "Bacterial Infections" })
        #expect(infections == PubMedRecord.MeshHeading(
            descriptor: "Bacterial Infections", descriptorUI: "D001424", majorTopic: false,
            qualifiers: [PubMedRecord.MeshQualifier(name: "drug therapy", ui: "Q000188", majorTopic: true)]))
        let leucomycins = try #require(record.meshHeadings.first { $0.descriptor == "Leucomycins" })
        #expect(leucomycins.qualifiers.map(\.name) == ["metabolism", "pharmacology", "therapeutic use"])
        #expect(leucomycins.qualifiers.map(\.majorTopic) == [false, false, true])
        #expect(record.meshHeadings.first?.descriptor == "Adolescent")
        #expect(record.meshHeadings.first?.qualifiers.isEmpty == true)
    }

    /// Grants (excerpt 399300), and a major-topic descriptor.
    @Test func grantsAndMesh() throws {
        let record = try excerpt(399300)
        #expect(record.grants == [
            PubMedRecord.Grant(grantID: "HL17731", acronym: "HL", agency: "NHLBI NIH HHS", country: "United States"),
            PubMedRecord.Grant(grantID: "HL21943", acronym: "HL", agency: "NHLBI NIH HHS", country: "United States"),
        ])
        // The grant's Country is not the journal's.
        #expect(record.journal?.country == "England")
        #expect(record.pubDate == PubMedRecord.PubDate(year: 1979, month: 11))
        #expect(record.meshHeadings.first { $0.descriptor == "Freezing" }?.majorTopic == true)
        #expect(record.meshHeadings.first { $0.descriptor == "Lung" }?.qualifiers
            == [PubMedRecord.MeshQualifier(name: "ultrastructure", ui: "Q000648", majorTopic: true)])
        #expect(record.doi == "10.1111/j.1365-2818.1979.tb01183.x")
        #expect(record.pmcid == nil)
    }

    /// CommentsCorrections with a PMID (excerpt 400712: RetractionIn; 31839787: ErratumFor).
    @Test func commentsCorrections() throws {
        #expect(try excerpt(400712).commentsCorrections == [
            PubMedRecord.CommentCorrection(refType: "RetractionIn",
                                           refSource: "Felig P, Sherwin RS. J Clin Endocrinol Metab. 1980 Nov;51(5):1201", pmid: 6106651),
        ])
        let erratum = try baseline(31839787)
        #expect(erratum.commentsCorrections == [
            PubMedRecord.CommentCorrection(refType: "ErratumFor", refSource: "Postepy Dermatol Alergol. 2019 Jun;36(3):346-353",
                                           pmid: 31333352),
        ])
        // An unlabelled one-section abstract has no "LABEL: " prefix.
        #expect(erratum.abstract == "[This corrects the article DOI: 10.5114/ada.2019.85642.].")
        #expect(erratum.abstractSections == [PubMedRecord.AbstractSection(text: "[This corrects the article DOI: 10.5114/ada.2019.85642.].")])
        #expect(erratum.authors.isEmpty)
    }

    /// Runs of white space inside text become one space (the PIP abstract has double spaces
    /// after each sentence); the OtherAbstract keeps its Type and Language.
    @Test func whitespaceIsCollapsed() throws {
        let record = try excerpt(399315)
        let other = try #require(record.otherAbstracts.first)
        #expect(other.type == "PIP")
        #expect(other.language == "eng")
        #expect(other.text.hasPrefix("This study investigated the influence of hormone therapy on affect in a double blind crossover trial. The sample consisted of 49 women"))
        #expect(!other.text.contains("  "))
        #expect(record.keywords.count == 13)
        #expect(record.keywords.contains("Depression--analysis"))
    }

    /// Labels without NlmCategory and with one (excerpt 401343).
    @Test func labelWithoutCategory() throws {
        let record = try excerpt(401343)
        #expect(record.abstractSections.map(\.label) == ["UNLABELLED", "ABBREVIATIONS"])
        #expect(record.abstractSections.map(\.nlmCategory) == [nil, "BACKGROUND"])
    }

    @Test func collectiveName() throws {
        let record = try baseline(31839962)
        let group = try #require(record.authors.last)
        #expect(group == PubMedRecord.Author(collectiveName: "Bowell Group"))
        #expect(record.authors.first?.orcid == "0000-0002-4397-4142")
        #expect(try baseline(31840131).authors.last?.collectiveName == "International Neuroblastoma Pathology Committee")
    }

    /// Names with diacritics, and a Polish title with ą/ę.
    @Test func nonASCII() throws {
        let record = try baseline(31839729)
        #expect(record.authors.map(\.lastName) == ["Banković Radovanović", "Živković Mikulčić", "Simović Medica"])
        #expect(try baseline(31839787).title.contains("Urszula Jedynak-Wąsowicz"))
        #expect(try excerpt(399310).vernacularTitle == "Acantoma de células claras múltiples en una paciente con psoriasis. Tratamiento con 5-fluoruracilo.")
        #expect(try excerpt(399310).authors.first?.lastName == "García Almagro")
    }

    /// Inline markup keeps its words, including the ones after the tag.
    @Test func inlineMarkup() throws {
        #expect(try baseline(31839748).title == "Chaenomeles sinensis Koehne extract suppresses the development of atopic dermatitis-like lesions by regulating cytokine and filaggrin expression in NC/Nga mice.")
        #expect(try baseline(31839764).title == "Binary Targeting of siRNA to Hematologic Cancer Cells In Vivo using Layer-by-Layer Nanoparticles.")
    }

    /// The two MathML records of the sample: `<sup>®</sup>`, `<i>n</i>`, and MathML whose
    /// text (η p 2 = 0.15) stays in place, with the words after it.
    @Test func mathML() throws {
        let first = try #require(try baseline(31839849).abstract)
        #expect(first.contains("the health promotion program, Bingocize®, on QOL and fall risk in community-dwelling older adults (n = 36; mean age 73.63 ± 6.97)."))
        #expect(first.contains("(F (1,34) = 5.66, p = 0.02, η p 2 = 0.15 , power = 0.64) and handgrip strength (F (1,34) = 8.31, p = 0.007, η p 2 = 0.196 , power = 0.80). There was also a significant main effect"))
        #expect(first.hasSuffix("can produce a meaningful and detectable change in handgrip strength and PA in community-dwelling older adults."))
        let second = try #require(try baseline(31839901).abstract)
        #expect(second.contains("Background: Misappraisals in evaluating the trustworthiness"))
        // No-break spaces (U+00A0) inside the text are kept as they are.
        #expect(second.contains("The HPTS group also showed no variation in response time across morphs ( X 2 (2)\u{A0}=\u{A0}0.92, p =\u{A0}0.63), while the LPTS and HC groups did ("))
    }

    /// DOI and PMCID come from PubmedData/ArticleIdList only, never from the cited papers'
    /// ArticleIdLists in ReferenceList (which follow it, so a last-wins reader would take theirs).
    @Test func idsIgnoreTheReferenceList() throws {
        let contents = try RecordTestData.read(RecordTestData.url("pmparser-samples/2021/updatefiles/pubmed21n1063.xml.gz"))
        let record = try contents.record(32613492)
        #expect(record.articleIds == [
            PubMedRecord.ArticleID(type: "pubmed", value: "32613492"),
            PubMedRecord.ArticleID(type: "doi", value: "10.1007/s11357-020-00222-z"),
            PubMedRecord.ArticleID(type: "pii", value: "10.1007/s11357-020-00222-z"),
        ])
        #expect(record.doi == "10.1007/s11357-020-00222-z")
        #expect(record.pmcid == nil)
        // The ORCID was written as a URL in this record.
        #expect(record.authors.last?.orcid == "0000-0002-6006-3420")
        #expect(record.pubDate == PubMedRecord.PubDate(year: 2020, month: 12))
        #expect(record.pages == "1675-1683")
        let xml = try #require(try contents.records.first { $0.record.pmid == 32613492 }?.xml)
        #expect(String(decoding: xml, as: UTF8.self).contains("<ReferenceList>"))
    }

    /// Season, and a MeSH qualifier of an efetch sample.
    @Test func efetchSamples() throws {
        let first = try RecordTestData.read(RecordTestData.url("efetch-samples/biopython_pubmed1.xml"))
        let aids = try first.record(12091962)
        #expect(aids.pubDate == PubMedRecord.PubDate(year: 1990, season: "Spring"))
        #expect(aids.pages == "113-25")
        #expect(aids.dateCompleted == PubMedRecord.SimpleDate(year: 1991, month: 1, day: 22))
        #expect(aids.meshHeadings.first { $0.descriptor == "Acquired Immunodeficiency Syndrome" }?.majorTopic == true)
        #expect(try first.record(9997).meshHeadings.first { $0.descriptor == "Chromatium" }?.qualifiers
            == [PubMedRecord.MeshQualifier(name: "enzymology", ui: "Q000201", majorTopic: true)])
    }

    /// The GeneReviews book chapter: a PubmedBookArticle.
    @Test func bookRecord() throws {
        let contents = try RecordTestData.read(RecordTestData.url(RecordTestData.book))
        let record = try contents.record(20301546)
        #expect(record.kind == .book)
        #expect(record.status == nil)
        #expect(record.journal == nil)
        #expect(record.title == "Hereditary Motor and Sensory Neuropathy with Agenesis of the Corpus Callosum")
        #expect(record.pubDate == PubMedRecord.PubDate(year: 1993))
        #expect(record.year == 1993)
        #expect(record.languages == ["eng"])
        #expect(record.publicationTypes == ["Review"])
        #expect(record.publicationTypeUIs == ["D016454"])
        // The chapter's authors, not the book's six editors, which are the book's.
        #expect(record.authors.map(\.lastName) == ["Gauvreau", "Brisson", "Dupré"])
        let book = try #require(record.book)
        #expect(book.title == "GeneReviews®" && book.isPart)
        #expect(book.publisher == "University of Washington, Seattle" && book.publisherLocation == "Seattle (WA)")
        #expect(book.editors.map(\.lastName) == ["Adam", "Bick", "Mirzaa", "Pagon", "Wallace", "Amemiya"])
        #expect(book.editors.first == PubMedRecord.Author(lastName: "Adam", foreName: "Margaret P", initials: "MP"))
        #expect(book.volume == nil && book.edition == nil)
        #expect(record.authors[0].affiliations == ["Neurology resident, CHU de Québec – Enfant-Jésus, Laval University, Quebec City, Canada"])
        #expect(record.abstractSections.map(\.label) == ["CLINICAL CHARACTERISTICS", "DIAGNOSIS/TESTING", "MANAGEMENT", "GENETIC COUNSELING"])
        #expect(record.abstractSections[2].text.hasPrefix("Treatment of manifestations: Walking aids such as canes"))
        #expect(record.abstractSections[1].text.contains("biallelic pathogenic variants in SLC12A6 identified by molecular genetic testing."))
        #expect(record.keywords.count == 7)
        #expect(record.dateRevised == PubMedRecord.SimpleDate(year: 2020, month: 9, day: 17))
        // Its own ids (BookDocument, then PubmedBookData); its ReferenceList holds PMC ids that are not its own.
        #expect(record.articleIds == [PubMedRecord.ArticleID(type: "bookaccession", value: "NBK1372"),
                                      PubMedRecord.ArticleID(type: "pubmed", value: "20301546")])
        #expect(record.pmcid == nil)
        #expect(record.doi == nil)
        let xml = try #require(contents.records.first?.xml)
        #expect(xml.starts(with: Array("<PubmedBookArticle>".utf8)))
        #expect(xml.suffix(20) == ArraySlice("</PubmedBookArticle>".utf8))
    }

    /// Without an ArticleTitle a book's title is its BookTitle, here with `<sup>&#174;</sup>`.
    @Test func bookTitleWithSuperscript() throws {
        var text = try String(contentsOf: RecordTestData.url(RecordTestData.book), encoding: .utf8)
        let line = try #require(text.range(of: "<ArticleTitle book=\"gene\" part=\"accpn\">Hereditary Motor and Sensory Neuropathy with Agenesis of the Corpus Callosum</ArticleTitle>"))
        text.removeSubrange(line)
        let records = RecordTestData.records(try RecordTestData.parse(text))
        #expect(records.map(\.title) == ["GeneReviews®"])
        #expect(records.first?.book?.isPart == false, "the whole book")
    }
}
