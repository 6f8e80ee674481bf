import Foundation
import GRDB
import Testing
@testable import PubMedMeSH

/// The thesaurus built from the fixture: term mapping, explosion, and what a failed build leaves.
@Suite struct MeshThesaurusTests {
    /// A thesaurus built from `file` into a fresh folder.
    static func build(_ file: URL, label: String, year: Int? = nil) throws -> (MeshThesaurus, URL) {
        let destination = try TestPaths.temporaryDirectory(label).appendingPathComponent("mesh/mesh.sqlite")
        _ = try MeshThesaurusBuilder.build(from: file, to: destination, origin: .init(year: year))
        return (try MeshThesaurus.open(at: destination.path), destination)
    }

    @Test func recordsWhatItWasBuiltFrom() throws {
        let (thesaurus, destination) = try Self.build(MeshFixture.url(), label: "mesh-info")
        #expect(thesaurus.year == 2025)
        #expect(thesaurus.info.descriptors == 24)
        #expect(try thesaurus.count() == 24)
        #expect(thesaurus.info.sourceFile == "desc-test.xml")
        #expect(thesaurus.info.size == Int64(try MeshFixture.bytes().count))
        #expect(thesaurus.info.md5.count == 32)
        #expect(abs(thesaurus.info.builtAt.timeIntervalSinceNow) < 60)
        // Only the thesaurus is left in its folder: no temporary file, no journal.
        let left = try FileManager.default.contentsOfDirectory(atPath: destination.deletingLastPathComponent().path)
        #expect(left == ["mesh.sqlite"])
    }

    @Test func mapsNamesAndEntryTermsToTheirHeading() throws {
        let (thesaurus, _) = try Self.build(MeshFixture.url(), label: "mesh-terms")
        #expect(try thesaurus.heading(for: "heart attack") == "Myocardial Infarction")
        #expect(try thesaurus.heading(for: "MYOCARDIAL INFARCT") == "Myocardial Infarction")
        #expect(try thesaurus.heading(for: "Myocardial Infarction") == "Myocardial Infarction")
        #expect(try thesaurus.heading(for: "acetylsalicylic acid") == "Aspirin")
        #expect(try thesaurus.heading(for: "  breast cáncer ") == "Breast Neoplasms")
        #expect(try thesaurus.heading(for: "homo sapiens") == "Humans")
        #expect(try thesaurus.heading(for: "blood") == nil)
        #expect(try thesaurus.heading(for: "heart") == nil)
        #expect(try thesaurus.heading(for: "") == nil)
    }

    @Test func explodesAHeadingToEveryDescriptorUnderIt() throws {
        let (thesaurus, _) = try Self.build(MeshFixture.url(), label: "mesh-explode")
        let neoplasms = try thesaurus.narrower(than: "Neoplasms")
        #expect(Set(neoplasms).isSuperset(of: ["Neoplasms", "Breast Neoplasms", "Adenocarcinoma", "Carcinoma", "Skin Neoplasms",
                                               "Neoplasms by Site", "Neoplasms by Histologic Type"]))
        #expect(!neoplasms.contains("Psoriasis") && !neoplasms.contains("Breast Diseases"))
        #expect(neoplasms == neoplasms.sorted() && Set(neoplasms).count == neoplasms.count)
        // Breast Neoplasms sits under both C04 and C17: each tree reaches it, once.
        #expect(try thesaurus.narrower(than: "breast diseases") == ["Breast Diseases", "Breast Neoplasms"])
        let skin = try thesaurus.narrower(than: "Skin Diseases")
        #expect(skin == ["Breast Diseases", "Breast Neoplasms", "Psoriasis", "Skin Diseases", "Skin Neoplasms"])
        #expect(try thesaurus.narrower(than: "Adenocarcinoma") == ["Adenocarcinoma"])
        #expect(try thesaurus.narrower(than: "Male") == ["Male"])
        #expect(try thesaurus.narrower(than: "Adult") == ["Adult", "Aged", "Middle Aged"])
        #expect(try thesaurus.narrower(than: "Mouth Diseases") == ["Mouth Diseases", "Periodontal Diseases"])
        #expect(try thesaurus.narrower(than: "No Such Heading").isEmpty)
    }

    /// Made-up tree numbers (MeSH's levels all have three digits, so real ones never test this).
    @Test func aTreeNumberIsAPrefixOnlyUpToADot() throws {
        let xml = MeshFixture.synthetic([
            ("X1", "Alpha", ["X01.5"], []), ("X2", "Beta", ["X01.5.001"], []),
            ("X3", "Gamma", ["X01.55"], []), ("X4", "Delta", ["X01.55.001"], []), ("X5", "Epsilon", ["X01.5/"], []),
        ])
        let (thesaurus, _) = try Self.build(MeshFixture.write(xml, named: "desc2026.xml", label: "mesh-dots"), label: "mesh-dots-db")
        #expect(try thesaurus.narrower(than: "Alpha") == ["Alpha", "Beta"])
        #expect(try thesaurus.narrower(than: "Gamma") == ["Delta", "Gamma"])
    }

    /// About the size of MeSH (30,000 descriptors, 60,000 tree numbers): exploding a large branch
    /// is a few range scans of the tree-number key (SQLite's plan says so; no table is scanned whole).
    @Test func explosionIsRangeScansOnAThesaurusOfMeSHsSize() throws {
        var records: [(ui: String, name: String, trees: [String], terms: [String])] = [("R0", "Root", ["Z01"], [])]
        for index in 1..<30000 {
            let parent = index / 8
            let tree = "Z01." + String(format: "%03d.%03d.%03d", parent / 1000 % 1000, parent % 1000, index % 1000)
            records.append(("R\(index)", "Descriptor \(index)", [tree, "Y0\(index % 9).\(String(format: "%03d", index % 1000))"], ["Term \(index)"]))
        }
        let file = try MeshFixture.write(MeshFixture.synthetic(records), named: "desc2026.xml", label: "mesh-large")
        let (thesaurus, _) = try Self.build(file, label: "mesh-large-db")
        #expect(thesaurus.info.descriptors == 30000)
        #expect(try thesaurus.narrower(than: "Root").count == 30000)
        let queue = try DatabaseQueue(path: thesaurus.path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let plan = try queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + MeshThesaurus.narrowerSQL, arguments: ["root"]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.hasPrefix("SEARCH under USING") && $0.contains("treeNumber>? AND treeNumber<?") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") }, "a table read whole: \(plan)")
        #expect(try thesaurus.heading(for: "term 29999") == "Descriptor 29999")
    }

    @Test func aDamagedFileLeavesTheThesaurusInPlace() throws {
        let (before, destination) = try Self.build(MeshFixture.url(), label: "mesh-damaged")
        let bytes = try MeshFixture.bytes()
        let truncated = try MeshFixture.write(Array(bytes[0..<(bytes.count * 2 / 3)]), named: "desc2026.xml", label: "mesh-damaged-file")
        #expect {
            _ = try MeshThesaurusBuilder.build(from: truncated, to: destination)
        } throws: { error in
            guard case MeshError.malformed(let file, let line, _) = error else { return false }
            return file == "desc2026.xml" && (line ?? 0) > 0
        }
        let after = try MeshThesaurus.open(at: destination.path)
        #expect(after.info == before.info)
        #expect(try after.heading(for: "heart attack") == "Myocardial Infarction")
        let left = try FileManager.default.contentsOfDirectory(atPath: destination.deletingLastPathComponent().path)
        #expect(left == ["mesh.sqlite"])
    }

    @Test func refusesAMissingDamagedOrOlderThesaurus() throws {
        let folder = try TestPaths.temporaryDirectory("mesh-unusable")
        let missing = folder.appendingPathComponent("none.sqlite").path
        #expect { _ = try MeshThesaurus.open(at: missing) } throws: { error in
            guard case MeshError.missing = error else { return false }
            return (error as? MeshError)?.code == .meshMissing
        }
        let garbage = folder.appendingPathComponent("garbage.sqlite")
        try Data(repeating: 0x41, count: 8192).write(to: garbage)
        #expect { _ = try MeshThesaurus.open(at: garbage.path) } throws: { error in
            guard case MeshError.unusable = error else { return false }
            return true
        }
        // An SQLite file without this version's schema (as an older build would leave).
        let older = folder.appendingPathComponent("older.sqlite")
        let queue = try DatabaseQueue(path: older.path)
        try queue.write { db in try db.execute(sql: "CREATE TABLE descriptor (ui TEXT, name TEXT)") }
        try queue.close()
        #expect { _ = try MeshThesaurus.open(at: older.path) } throws: { error in
            guard case MeshError.unusable(_, let message) = error else { return false }
            return message.contains("schema")
        }
    }

    @Test func aFileThatDoesNotSayItsYearNeedsOne() throws {
        let xml = MeshFixture.synthetic([("X1", "Alpha", ["X01"], [])])
            .replacingOccurrences(of: #"<!DOCTYPE DescriptorRecordSet SYSTEM "https://www.nlm.nih.gov/databases/dtd/nlmdescriptorrecordset_20260101.dtd">"#, with: "")
        let file = try MeshFixture.write(xml, named: "mesh.xml", label: "mesh-year")
        #expect(throws: MeshError.self) { _ = try Self.build(file, label: "mesh-year-db") }
        let (thesaurus, _) = try Self.build(file, label: "mesh-year-given", year: 2026)
        #expect(thesaurus.year == 2026)
    }
}
