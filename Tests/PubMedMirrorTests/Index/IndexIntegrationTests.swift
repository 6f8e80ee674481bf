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

/// Indexing real NCBI files through the built binary and the library: NLM's rules on every sample
/// cycle, gaps, idempotence, crashes, rebuilds and bad files.
@Suite(.heavyweight) struct IndexIntegrationTests {
    static let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples")

    /// What the current (PMID, version)s must be after applying `files` in order, worked out without
    /// the parser: a regular expression over the decompressed text picks each record's own PMID (the
    /// first `<PMID Version=…>` after its opening tag) and each DeleteCitation PMID.
    static func expectedCurrent(after files: [URL]) throws -> [Int: Int] {
        var versions: [Int: Set<Int>] = [:]
        let recordPattern = try NSRegularExpression(pattern: #"<Pubmed(?:Book)?Article>\s*<(?:MedlineCitation|BookDocument)[^>]*>\s*<PMID Version="(\d+)">(\d+)</PMID>"#)
        let deletePattern = try NSRegularExpression(pattern: #"<PMID Version="(\d+)">(\d+)</PMID>"#)
        for file in files {
            var bytes: [UInt8] = []
            try GzipInflater.readFile(file) { chunk in bytes.append(contentsOf: chunk) }
            let text = String(decoding: bytes, as: UTF8.self)
            let range = NSRange(text.startIndex..., in: text)
            var deletionBlock = ""
            if let start = text.range(of: "<DeleteCitation>"), let end = text.range(of: "</DeleteCitation>") {
                deletionBlock = String(text[start.upperBound..<end.lowerBound])
            }
            for match in recordPattern.matches(in: text, range: range) {
                let version = Int(text[Range(match.range(at: 1), in: text)!])!
                let pmid = Int(text[Range(match.range(at: 2), in: text)!])!
                versions[pmid, default: []].insert(version)
            }
            let deletionRange = NSRange(deletionBlock.startIndex..., in: deletionBlock)
            for match in deletePattern.matches(in: deletionBlock, range: deletionRange) {
                let version = Int(deletionBlock[Range(match.range(at: 1), in: deletionBlock)!])!
                let pmid = Int(deletionBlock[Range(match.range(at: 2), in: deletionBlock)!])!
                versions[pmid]?.remove(version)
            }
        }
        return versions.compactMapValues { $0.max() }
    }

    static func deletionCount(_ file: URL) throws -> Int {
        var bytes: [UInt8] = []
        try GzipInflater.readFile(file) { chunk in bytes.append(contentsOf: chunk) }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let start = text.range(of: "<DeleteCitation>"), let end = text.range(of: "</DeleteCitation>") else { return 0 }
        return text[start.upperBound..<end.lowerBound].components(separatedBy: "<PMID").count - 1
    }

    static func current(in mirror: Mirror) throws -> [Int: Int] {
        var current: [Int: Int] = [:]
        _ = try mirror.openIndex().export(since: nil) { item in
            if case .record(_, let pmid, let version) = item { current[pmid] = version }
        }
        return current
    }

    @Test(arguments: ["2020", "2020-larger", "2021", "2022", "2023", "2024", "2025", "2026"])
    func baselineThenUpdateGivesTheExpectedCurrentRecords(cycle: String) async throws {
        let tree = Self.samples.appendingPathComponent(cycle)
        let root = try TestPaths.temporaryDirectory("index-\(cycle)")
        let mirror = Mirror(root: root)
        var options = try MirrorTest.options(tree)
        options.index = true
        let report = try await mirror.fetch(options)
        #expect(report.outcome == .updated)
        let index = try #require(report.index)
        #expect(index.failures.isEmpty, "\(index.failures.map(\.message))")
        #expect(index.applied.map(\.folder) == ["baseline", "updatefiles"])

        let files = try ["baseline", "updatefiles"].flatMap { folder in
            try FileManager.default.contentsOfDirectory(atPath: tree.appendingPathComponent(folder).path)
                .filter { $0.hasSuffix(".xml.gz") }.map { tree.appendingPathComponent("\(folder)/\($0)") }
        }
        let expected = try Self.expectedCurrent(after: files)
        #expect(!expected.isEmpty)
        #expect(try Self.current(in: mirror) == expected)

        // The run applied a baseline file: it ended with the full-text index in one segment.
        let store = try #require(try mirror.openIndex() as? SQLiteRecordStore)
        #expect(try store.searchSegmentCount() == 1)

        // Every deletion in the update file is accounted for: deleted or absent.
        let update = index.applied[1]
        #expect(update.deleted + update.deletionsAbsent == (try Self.deletionCount(files[1])))

        // Nothing new: the second run indexes nothing and changes nothing.
        let mark = try mirror.openIndex().counts().highWaterMark
        let again = try await mirror.fetch(options)
        #expect(again.outcome == .upToDate)
        #expect(again.index?.applied.isEmpty == true)
        #expect(try mirror.openIndex().counts().highWaterMark == mark)
    }

    @Test func anUpdateFileWithoutItsPredecessorIsRefusedUnlessAllowed() async throws {
        let source = try TestPaths.temporaryDirectory("served-gap")
        let tree = source.appendingPathComponent("pubmed")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("baseline"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.samples.appendingPathComponent("2026/updatefiles"), to: tree.appendingPathComponent("updatefiles"))
        // NCBI would never list an empty baseline; a single older-numbered update file stands in.
        let root = try TestPaths.temporaryDirectory("index-gap")
        let mirror = Mirror(root: root)
        var options = try MirrorTest.options(tree)
        options.index = true
        let report = try await mirror.fetch(options)
        #expect(report.outcome == .partial)
        let failure = try #require(report.index?.failures.first)
        #expect(failure.name == "pubmed26n1335.xml.gz")
        #expect(failure.message.contains("pubmed26n1334.xml.gz"))
        #expect(failure.code == .gap)
        // 1334 was never listed: fetching cannot bring it.
        #expect(failure.message.contains("has never been listed by the server"), "\(failure.message)")
        #expect(failure.advice == [.allowGaps])

        var allow = IndexOptions()
        allow.allowGaps = true
        let forced = try await mirror.index(allow)
        #expect(forced.applied.map(\.name) == ["pubmed26n1335.xml.gz"])
    }

    @Test func thePre2017FormatIsRefusedAndNothingIsApplied() async throws {
        let root = try TestPaths.temporaryDirectory("index-legacy")
        let mirror = Mirror(root: root)
        do {
            _ = try await mirror.index(file: TestPaths.sharedData.appendingPathComponent("legacy-medline16/medline16n0902.xml.gz"))
            Issue.record("a MedlineCitationSet file was indexed")
        } catch {
            #expect(error.description.contains("medline16n0902.xml.gz"))
            #expect(error.description.lowercased().contains("unsupported"))
        }
        #expect(try mirror.openIndex().counts().current == 0)
    }

    @Test func aTruncatedDownloadAppliesNothing() async throws {
        let root = try TestPaths.temporaryDirectory("index-truncated")
        let mirror = Mirror(root: root)
        _ = try await mirror.index(file: Self.samples.appendingPathComponent("2026/baseline/pubmed26n1334.xml.gz"))
        let before = try mirror.openIndex().counts()
        do {
            _ = try await mirror.index(file: TestPaths.sharedData.appendingPathComponent("ncbi-truncated/pubmed23n0001.xml.gz"))
            Issue.record("a truncated file was indexed")
        } catch {
            #expect(error.description.contains("pubmed23n0001.xml.gz"))
        }
        let after = try mirror.openIndex().counts()
        #expect(after.current == before.current)
        #expect(after.highWaterMark == before.highWaterMark)
        #expect(try mirror.openIndex().appliedFiles().map(\.name) == ["pubmed26n1334.xml.gz"])
    }

    @Test func reapplyingAFileChangesNothing() async throws {
        let root = try TestPaths.temporaryDirectory("index-twice")
        let mirror = Mirror(root: root)
        let file = Self.samples.appendingPathComponent("2025/baseline/pubmed25n1274.xml.gz")
        let first = try await mirror.index(file: file)
        // A name not applied before is hashed as it is read: the digest recorded is the file's.
        #expect(first.md5 == (try FileDigest.md5(of: file)))
        #expect(try mirror.openIndex().appliedFiles().map(\.md5) == [first.md5])
        let mark = try mirror.openIndex().counts().highWaterMark
        let second = try await mirror.index(file: file)
        #expect(second.name == first.name && second.md5 == first.md5 && second.lastSeq == first.lastSeq)
        #expect(try mirror.openIndex().counts().highWaterMark == mark)

        // Another file of the same name is applied again, with its own digest; so is a plain .xml
        // file, which the other reader hashes.
        let plain = try TestPaths.temporaryDirectory("index-twice-plain").appendingPathComponent("pubmed25n1274.xml.gz")
        let other = Self.samples.appendingPathComponent("2026/baseline/pubmed26n1334.xml.gz")
        try FileManager.default.copyItem(at: other, to: plain)
        let third = try await mirror.index(file: plain)
        #expect(third.md5 == (try FileDigest.md5(of: other)) && third.md5 != first.md5)
        #expect(try mirror.openIndex().counts().highWaterMark > mark)
        let xml = try TestPaths.temporaryDirectory("index-twice-xml").appendingPathComponent("records.xml")
        var bytes: [UInt8] = []
        try GzipInflater.readFile(other) { bytes.append(contentsOf: $0) }
        try Data(bytes).write(to: xml)
        #expect(try await mirror.index(file: xml).md5 == (try FileDigest.md5(of: xml)))
    }

    /// A mirror of the 2024 samples (a baseline file and an update file), fetched and indexed.
    static func fetched2024(_ label: String) async throws -> (root: URL, mirror: Mirror, options: FetchOptions) {
        let root = try TestPaths.temporaryDirectory(label)
        let mirror = Mirror(root: root)
        var options = try MirrorTest.options(Self.samples.appendingPathComponent("2024"))
        options.index = true
        _ = try await mirror.fetch(options)
        return (root, mirror, options)
    }

    @Test func aRebuildSwitchesToANewCompleteIndex() async throws {
        let (_, mirror, _) = try await Self.fetched2024("index-rebuild")
        let before = try Self.current(in: mirror)
        let oldPath = mirror.layout.currentIndex().path
        let oldMark = try mirror.openIndex().export(since: nil) { _ in }
        var rebuild = IndexOptions()
        rebuild.rebuild = true
        let report = try await mirror.index(rebuild)
        #expect(report.applied.count == 2)
        #expect(mirror.layout.currentIndex().path != oldPath)
        #expect(!FileManager.default.fileExists(atPath: oldPath))
        #expect(try Self.current(in: mirror) == before)
        #expect(report.applied.first?.firstSeq == oldMark + 2, "the rebuilt index numbers its changes after the old one's")
        #expect(throws: IndexError.self) { _ = try mirror.openIndex().export(since: oldMark) { _ in } }
    }

    /// A rebuild that would hold less than the index in use (a file damaged, or one that fails to
    /// apply) is deleted, not switched to, and says why; one a killed run left is deleted by the next.
    @Test func aRebuildThatCannotBeCompleteIsDeletedAndTheIndexInUseKept() async throws {
        let (root, mirror, options) = try await Self.fetched2024("index-rebuild-incomplete")
        let before = try Self.current(in: mirror)
        let inUse = mirror.layout.currentIndex()
        func indexFiles() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix("index") && !$0.hasSuffix(".current") }.sorted()
        }
        let kept = try indexFiles()
        let leftover = root.appendingPathComponent("index-20250101T000000-4242.sqlite")
        for suffix in ["", "-wal"] { try Data("left by a killed rebuild".utf8).write(to: URL(fileURLWithPath: leftover.path + suffix)) }
        var rebuild = IndexOptions()
        rebuild.rebuild = true

        // A file that fails to apply (its bytes damaged after it was verified).
        let update = mirror.layout.file(.updatefiles, "pubmed24n1220.xml.gz")
        let good = try Data(contentsOf: update)
        try Data(repeating: 0x1f, count: good.count).write(to: update)
        let failed = await #expect(throws: IndexError.self) { _ = try await mirror.index(rebuild) }
        #expect(failed?.code == .rebuildIncomplete)
        #expect(failed?.description.hasPrefix("the rebuilt index was not switched to and was deleted: pubmed24n1220.xml.gz failed: ") == true,
                "\(String(describing: failed))")
        #expect(try indexFiles() == kept, "the rebuild's index and the one a killed rebuild left are gone; the index in use stays")
        #expect(mirror.layout.currentIndex() == inUse)
        #expect(try Self.current(in: mirror) == before)

        // verify marks it damaged: the rebuild is refused before it builds anything, and says what to do.
        #expect(try await mirror.verify().problems.map(\.name) == ["pubmed24n1220.xml.gz"])
        let lacking = await #expect(throws: IndexError.self) { _ = try await mirror.index(rebuild) }
        #expect(lacking?.description == "the rebuilt index was not switched to and was deleted: updatefiles/pubmed24n1220.xml.gz, which the index in use holds, is not mirrored (damaged): run `fetch` first, or rebuild without it with --allow-gaps; the index in use is unchanged",
                "\(String(describing: lacking))")
        #expect(try indexFiles() == kept)
        #expect(try Self.current(in: mirror) == before)
        // --allow-gaps accepts the loss: the rebuild holds the baseline alone.
        var gaps = rebuild
        gaps.allowGaps = true
        let without = try await mirror.index(gaps)
        #expect(without.applied.map(\.name) == ["pubmed24n1219.xml.gz"] && mirror.layout.currentIndex() != inUse)

        // Fetched again (and applied to the rebuilt index), it rebuilds whole.
        _ = try await mirror.fetch(options)
        let report = try await mirror.index(rebuild)
        #expect(report.failures.isEmpty && report.applied.count == 2, "\(report.applied.map(\.name)) \(report.failures.map(\.message))")
        #expect(try Self.current(in: mirror) == before)
        let after = try indexFiles()
        #expect(after.filter { $0.hasSuffix(".sqlite") } == [mirror.layout.currentIndex().lastPathComponent], "\(after)")
    }

    @Test func anIndexInTheEarlierFormatIsRebuiltFromTheMirroredFiles() async throws {
        let (_, mirror, _) = try await Self.fetched2024("index-earlier-format")
        let before = try Self.current(in: mirror)
        try RecordStoreTests.makeEarlierFormatIndex(at: mirror.layout.currentIndex().path)
        let refused = await #expect(throws: IndexError.self) { _ = try await mirror.index() }
        #expect(refused?.advice == [.rebuildIndex], "\(String(describing: refused))")
        var rebuild = IndexOptions()
        rebuild.rebuild = true
        let report = try await mirror.index(rebuild)
        #expect(report.applied.count == 2 && report.failures.isEmpty)
        #expect(try Self.current(in: mirror) == before)
    }

    @Test func theFullBaselineFileIndexes30000Records() async throws {
        let root = try TestPaths.temporaryDirectory("index-full")
        let mirror = Mirror(root: root)
        let applied = try await mirror.index(file: TestPaths.sharedData.appendingPathComponent("ncbi-full/pubmed20n0014.xml.gz"))
        #expect(applied.records == 30_000)
        #expect(applied.inserted == 30_000)
        let counts = try mirror.openIndex().counts()
        #expect(counts.current == 30_000)
        let hits = try mirror.openIndex().search("year:1979", limit: 100_000)
        #expect(hits.count > 1000)
    }
}
