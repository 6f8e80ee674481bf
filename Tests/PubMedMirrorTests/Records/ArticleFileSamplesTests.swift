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

/// Every real file parses, with the counts SOURCES.md gives.
@Suite(.heavyweight) struct ArticleFileSamplesTests {
    @Test(arguments: RecordTestData.samples.map(\.path))
    func pmparserSample(path: String) throws {
        let expected = try #require(RecordTestData.samples.first { $0.path == path })
        let contents = try RecordTestData.read(RecordTestData.url(path))
        let summary = try #require(contents.summary)
        #expect(summary.articles == expected.records)
        #expect(summary.records == expected.records)
        #expect(summary.books == 0)
        #expect(summary.deletions == expected.deletions)
        #expect(contents.records.count == expected.records)
        #expect(contents.deletions.count == expected.deletions)
        for (record, xml) in contents.records {
            #expect(record.pmid > 0)
            #expect(xml.starts(with: Array("<PubmedArticle>".utf8)))
            #expect(xml.suffix(16) == ArraySlice("</PubmedArticle>".utf8))
            #expect(record.journal != nil)
            #expect(record.sourceFile == nil)
        }
        let compressed = try FileManager.default.attributesOfItem(atPath: RecordTestData.url(path).path)[.size] as? Int
        #expect(summary.compressedBytes == compressed)
    }

    @Test func largerSampleSizes() throws {
        let baseline = try #require(try RecordTestData.largerBaselineContents.get().summary)
        #expect(baseline.bytes == 5_709_076)
        #expect(baseline.compressedBytes == 823_919)
        let update = try RecordTestData.read(RecordTestData.url(RecordTestData.largerUpdate))
        #expect(update.summary?.bytes == 5_540_234)
    }

    /// pubmed20n1016 (2020-larger): 218 deleted PMIDs, none of them also a record of the file.
    @Test func deleteCitation() throws {
        let contents = try RecordTestData.read(RecordTestData.url(RecordTestData.largerUpdate))
        #expect(contents.deletions.count == 218)
        #expect(contents.deletions.allSatisfy { $0.version == 1 })
        #expect(Set(contents.deletions.map(\.pmid)).count == 218)
        let recordPMIDs = Set(contents.records.map(\.record.pmid))
        #expect(recordPMIDs.isDisjoint(with: contents.deletions.map(\.pmid)))
    }

    /// The 2026 update sample ends with exactly these deletions (zcat | grep DeleteCitation).
    @Test func deletionsInOrder() throws {
        let contents = try RecordTestData.read(RecordTestData.url("pmparser-samples/2026/updatefiles/pubmed26n1335.xml.gz"))
        #expect(contents.deletions.map(\.pmid) == [41456105, 41557076, 41616784, 41618748, 41618749, 41618779])
    }

    @Test(arguments: ["biopython_pubmed1.xml", "biopython_pubmed2.xml", "metapub_20301546_book.xml"])
    func efetchSample(name: String) throws {
        let contents = try RecordTestData.read(RecordTestData.url("efetch-samples/\(name)"))
        let summary = try #require(contents.summary)
        #expect(summary.records == (name.hasPrefix("metapub") ? 1 : 2))
        #expect(summary.books == (name.hasPrefix("metapub") ? 1 : 0))
        #expect(summary.deletions == 0)
        #expect(summary.compressedBytes == summary.bytes)
    }

    /// PMID 31828225 appears as versions 2, 3 and 4 in the larger 2020 baseline sample; each is
    /// delivered as its own record, in file order.
    @Test func versionedDuplicates() throws {
        let contents = try RecordTestData.largerBaselineContents.get()
        let versions = contents.records.filter { $0.record.pmid == 31828225 }.map(\.record.version)
        #expect(versions == [2, 3, 4])
        #expect(contents.records.filter { $0.record.pmid == 31828224 }.map(\.record.version) == [2])
        #expect(contents.records.filter { $0.record.pmid == 31828226 }.map(\.record.version) == [2])
        // The versions differ in content: each keeps its own bytes.
        let xml = contents.records.filter { $0.record.pmid == 31828225 }.map(\.xml)
        #expect(xml[0].count == 11070 && xml[2].count == 10943)
        #expect(xml[0] != xml[1])
    }

    /// The complete 2020 baseline file: exactly 30,000 records, PMIDs 399296…429554, all distinct.
    /// (A few seconds in a debug build.)
    @Test func fullBaselineFile() throws {
        var pmids: [Int] = []
        pmids.reserveCapacity(30_000)
        var statuses: [String: Int] = [:]
        var medlineDates = 0
        var xmlBytes = 0
        var wellDelimited = true
        let summary = try ArticleFile.read(RecordTestData.url(RecordTestData.fullFile)) { item in
            guard case .record(let record, let xml) = item else { return }
            xmlBytes += xml.count
            wellDelimited = wellDelimited && xml.starts(with: Array("<PubmedArticle>".utf8))
                && xml.suffix(16).elementsEqual("</PubmedArticle>".utf8)
            pmids.append(record.pmid)
            statuses[record.status ?? "", default: 0] += 1
            if record.pubDate?.medlineDate != nil { medlineDates += 1 }
        }
        #expect(summary.records == 30_000)
        #expect(summary.bytes == 173_757_862)
        #expect(summary.compressedBytes == 16_654_749)
        #expect(pmids.count == 30_000)
        #expect(Set(pmids).count == 30_000)
        #expect(pmids.min() == 399_296)
        #expect(pmids.max() == 429_554)
        #expect(statuses == ["MEDLINE": 29_998, "PubMed-not-MEDLINE": 2])
        #expect(medlineDates == 2_205)
        // The records' bytes are the whole file but its header, indentation and last line.
        #expect(xmlBytes == 173_667_640)
        #expect(wellDelimited)
    }
}
