import Foundation
import Testing
@testable import PubMedMeSH

/// The streaming parser of NLM's DescriptorRecordSet.
@Suite struct DescriptorParserTests {
    @Test(arguments: [1, 7, 4096, 65536, 1 << 24])
    func readsEveryDescriptorWhateverTheChunkSize(chunkSize: Int) throws {
        let (descriptors, parser) = try MeshFixture.parse(MeshFixture.bytes(), chunkSize: chunkSize)
        #expect(descriptors.count == 24)
        #expect(parser.doctypeYear == 2025)
        #expect(parser.latestActiveYear == 2025)
        let neoplasms = try #require(descriptors.first { $0.ui == "D009369" })
        #expect(neoplasms.name == "Neoplasms")
        #expect(neoplasms.treeNumbers == ["C04"])
        #expect(neoplasms.entryTerms.contains("Cancer"))
        // Its allowable qualifiers' names and abbreviations (lower-cased), not their names taken as terms.
        #expect(neoplasms.qualifiers.map(\.abbreviation) == ["bl", "dt"] && neoplasms.qualifiers.map(\.name) == ["blood", "drug therapy"])
        #expect(!neoplasms.entryTerms.contains("drug therapy"))
        let breast = try #require(descriptors.first { $0.ui == "D001943" })
        #expect(breast.treeNumbers == ["C04.588.180", "C17.800.090.500"])
        // Every term of every concept, the preferred one included.
        #expect(breast.entryTerms.first == "Breast Neoplasms")
        #expect(breast.entryTerms.contains("Breast Carcinoma"))
        let infarction = try #require(descriptors.first { $0.ui == "D009203" })
        #expect(infarction.treeNumbers.count == 4)
        #expect(infarction.entryTerms.contains("Heart Attack"))
    }

    @Test func takesOnlyTheRecordsOwnNameAndUI() throws {
        let (descriptors, _) = try MeshFixture.parse(MeshFixture.bytes(), chunkSize: 64)
        // Aspirin's pharmacological action names another descriptor; its qualifiers name "blood".
        let aspirin = try #require(descriptors.first { $0.name == "Aspirin" })
        #expect(aspirin.ui == "D001241")
        #expect(aspirin.treeNumbers.isEmpty)
        #expect(!aspirin.entryTerms.contains("Anti-Inflammatory Agents, Non-Steroidal"))
        #expect(!descriptors.contains { $0.entryTerms.contains("blood") || $0.name == "blood" })
        #expect(!descriptors.contains { $0.ui == "D000894" })
    }

    @Test func readsAGzipFileAndHashesWhatIsStored() throws {
        let gzip = try MeshFixture.gzipped(label: "mesh-gzip")
        var names: [String] = []
        let summary = try DescriptorFile.read(gzip) { (descriptor) throws(MeshError) in names.append(descriptor.name) }
        #expect(summary.descriptors == 24)
        #expect(names.count == 24)
        #expect(summary.year == 2025)
        #expect(summary.size == Int64(try Data(contentsOf: gzip).count))
        #expect(summary.md5.count == 32)
        let plain = try DescriptorFile.read(try MeshFixture.url()) { (_) throws(MeshError) in }
        #expect(plain.descriptors == 24)
        #expect(plain.md5 != summary.md5)
    }

    @Test func aCutGzipFileIsABadDescriptorFile() throws {
        let gzip = try Data(contentsOf: MeshFixture.gzipped(label: "mesh-gzip-cut"))
        let cut = try MeshFixture.write([UInt8](gzip.prefix(gzip.count / 2)), named: "desc2025.gz", label: "mesh-gzip-cut-file")
        #expect {
            try DescriptorFile.read(cut) { (_) throws(MeshError) in }
        } throws: { error in
            let error = error as? MeshError
            return error?.code == .meshMalformed && error?.description.hasPrefix("desc2025.gz") == true
        }
    }

    @Test(arguments: [1, 7, 65536])
    func aTruncatedFileIsRefusedWithItsLine(chunkSize: Int) throws {
        let bytes = try MeshFixture.bytes()
        let cut = Array(bytes[0..<(bytes.count / 2)])
        #expect {
            _ = try MeshFixture.parse(cut, chunkSize: chunkSize, fileName: "desc2025.xml")
        } throws: { error in
            guard case MeshError.malformed(let file, let line, _) = error else { return false }
            return file == "desc2025.xml" && (line ?? 0) > 300 && "\(error)".hasPrefix("desc2025.xml, line ")
        }
    }

    @Test func refusesWhatIsNotADescriptorRecordSet() throws {
        let cases = [
            ("<?xml version=\"1.0\"?>\n<PubmedArticleSet></PubmedArticleSet>\n", "root element"),
            ("<?xml version=\"1.0\"?>\n<DescriptorRecordSet LanguageCode=\"eng\">\n</DescriptorRecordSet>\n", "no DescriptorRecord"),
            ("<?xml version=\"1.0\"?>\n<DescriptorRecordSet><DescriptorRecord><DescriptorUI>D1</DescriptorUI></DescriptorRecord></DescriptorRecordSet>", "without its"),
            ("<?xml version=\"1.0\"?>\n<!DOCTYPE DescriptorRecordSet [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<DescriptorRecordSet>&x;</DescriptorRecordSet>", "entity"),
            ("<?xml version=\"1.0\"?>\n<DescriptorRecordSet><DescriptorRecord>\n<DescriptorUI>D1</Descriptor>", "line 3"),
        ]
        for (text, expected) in cases {
            #expect {
                _ = try MeshFixture.parse(Array(text.utf8), chunkSize: 5, fileName: "bad.xml")
            } throws: { error in
                let description = (error as? MeshError)?.description ?? ""
                return description.hasPrefix("bad.xml") && description.contains(expected)
            }
        }
    }

    @Test func yearsFromNamesAndDoctypes() {
        #expect(MeshYear.fromFileName("desc2026.gz") == 2026)
        #expect(MeshYear.fromFileName("desc2025.xml") == 2025)
        #expect(MeshYear.fromFileName("desc-test.xml") == nil)
        #expect(MeshYear.fromSystemID("https://www.nlm.nih.gov/databases/dtd/nlmdescriptorrecordset_20250101.dtd") == 2025)
        #expect(MeshYear.fromSystemID("desc2015.dtd") == 2015)
    }
}
