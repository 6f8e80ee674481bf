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

/// NCBI's annual rollover: a new baseline cycle appears and the old cycle's files disappear. The
/// new index is built beside the old one, which keeps answering until the new one is complete; then
/// the switch is atomic and the old cycle's files are pruned (or kept with --keep-old).
@Suite(.heavyweight) struct RolloverTests {
    static let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples")

    /// Replaces the served tree's PubMed files with those of `cycle`.
    static func serve(_ cycle: Int, in tree: URL) throws {
        let manager = FileManager.default
        for folder in ["baseline", "updatefiles"] {
            let target = tree.appendingPathComponent(folder)
            try? manager.removeItem(at: target)
            try manager.copyItem(at: samples.appendingPathComponent("\(cycle)/\(folder)"), to: target)
        }
    }

    /// Serves cycle 2026 with two baseline files, the second (pubmed26n1334) without its `.md5` yet:
    /// returns the first, where the `.md5` goes, and its bytes, to publish it later.
    static func serveNewCycleHalfPublished(in tree: URL) throws -> (first: URL, md5File: URL, md5: Data) {
        try serve(2026, in: tree)
        let first = tree.appendingPathComponent("baseline/pubmed26n1333.xml.gz")
        try FileManager.default.copyItem(at: tree.appendingPathComponent("baseline/pubmed26n1334.xml.gz"), to: first)
        try TestPaths.publishMD5(first)
        let md5File = tree.appendingPathComponent("baseline/pubmed26n1334.xml.gz.md5")
        let md5 = try Data(contentsOf: md5File)
        try FileManager.default.removeItem(at: md5File)
        return (first, md5File, md5)
    }

    /// A mirror fetched and indexed from a served cycle 2025: the served tree, the mirror's root,
    /// the mirror, and its fetch options (indexing on).
    static func mirrorOf2025(_ label: String) async throws -> (tree: URL, root: URL, mirror: Mirror, options: FetchOptions) {
        let tree = try TestPaths.temporaryDirectory("served-\(label)").appendingPathComponent("pubmed")
        try serve(2025, in: tree)
        let root = try TestPaths.temporaryDirectory("mirror-\(label)")
        let mirror = Mirror(root: root)
        var options = try MirrorTest.options(tree)
        options.index = true
        #expect(try await mirror.fetch(options).outcome == .updated)
        return (tree, root, mirror, options)
    }

    static func pmids(_ mirror: Mirror) throws -> Set<Int> {
        var pmids = Set<Int>()
        _ = try mirror.openIndex().export(since: nil) { item in
            if case .record(_, let pmid, _) = item { pmids.insert(pmid) }
        }
        return pmids
    }

    /// NCBI empties `updatefiles/` when it posts the new baseline: the rollover starts then, not
    /// once the first update file of the new cycle appears.
    @Test func aNewBaselineWithNoUpdateFilesYetIsARolloverNotAnEmptyServer() async throws {
        let (tree, _, mirror, options) = try await Self.mirrorOf2025("rollover-empty")
        try Self.serve(2026, in: tree)
        let updates = tree.appendingPathComponent("updatefiles")
        for name in try FileManager.default.contentsOfDirectory(atPath: updates.path) {
            try FileManager.default.removeItem(at: updates.appendingPathComponent(name))
        }
        let report = try await mirror.fetch(options)
        #expect(report.outcome == .updated)
        #expect(report.index?.rollover?.switched == true)
        let baseline = Self.samples.appendingPathComponent("2026/baseline/pubmed26n1334.xml.gz")
        #expect(try IndexIntegrationTests.current(in: mirror) == (try IndexIntegrationTests.expectedCurrent(after: [baseline])))
        // A server that lists nothing in a folder the mirror holds files of this cycle from is still refused.
        try Self.serve(2026, in: tree)
        #expect(try await mirror.fetch(options).outcome == .updated)
        for name in try FileManager.default.contentsOfDirectory(atPath: updates.path) {
            try FileManager.default.removeItem(at: updates.appendingPathComponent(name))
        }
        let empty = await #expect(throws: MirrorError.self) { try await mirror.fetch(options) }
        #expect(empty?.code == .listingEmpty, "\(String(describing: empty))")
    }

    /// A file added with `index --file` says its cycle only by its name: a newer cycle there
    /// neither puts off the rollover nor lets the new baseline into the old index.
    @Test func aFileIndexedByHandDoesNotDecideTheRollover() async throws {
        let (tree, _, mirror, options) = try await Self.mirrorOf2025("rollover-by-hand")
        let update2026 = Self.samples.appendingPathComponent("2026/updatefiles/pubmed26n1335.xml.gz")
        _ = try await mirror.index(file: update2026)
        let oldIndex = mirror.layout.currentIndex()
        try Self.serve(2026, in: tree)
        let report = try await mirror.fetch(options)
        #expect(report.index?.rollover?.switched == true, "\(String(describing: report.index?.rollover))")
        #expect(mirror.layout.currentIndex() != oldIndex)
        let files2026 = ["baseline/pubmed26n1334.xml.gz", "updatefiles/pubmed26n1335.xml.gz"].map { Self.samples.appendingPathComponent("2026/\($0)") }
        #expect(try IndexIntegrationTests.current(in: mirror) == (try IndexIntegrationTests.expectedCurrent(after: files2026)),
                "exactly the new cycle's records")
    }

    @Test(arguments: [false, true])
    func aNewBaselineIsIndexedBesideTheOldOneThenSwitchedAndTheOldCyclePruned(keepOld: Bool) async throws {
        var (tree, root, mirror, options) = try await Self.mirrorOf2025("rollover-\(keepOld)")
        options.indexOptions.keepOld = keepOld
        let old = try Self.pmids(mirror)
        let oldIndex = mirror.layout.currentIndex()
        let oldMark = try mirror.openIndex().export(since: nil) { _ in }

        // The new cycle appears with two baseline files; the second cannot be verified yet (no .md5).
        let (first, newBaseline, md5) = try Self.serveNewCycleHalfPublished(in: tree)
        let partway = try await mirror.fetch(options)
        #expect(partway.outcome == .partial)
        let state = try #require(partway.index?.rollover)
        #expect(state.fromCycle == 25 && state.toCycle == 26)
        #expect(state.baselineListed == 2 && state.baselineMirrored == 1 && !state.switched)
        #expect(state.filesIndexed == 1, "the baseline file that arrived is already in the new index")
        #expect(partway.index?.applied.map(\.name) == ["pubmed26n1333.xml.gz"])
        // The old index still answers, unchanged.
        #expect(mirror.layout.currentIndex() == oldIndex)
        #expect(try Self.pmids(mirror) == old)
        #expect(try mirror.status().rollover?.toCycle == 26)
        let text = try await CLI.run(["status", "--mirror", root.path])
        #expect(text.stdout.contains("rollover from cycle 25 to 26 in progress"))

        // The .md5 is published: the rollover completes.
        try md5.write(to: newBaseline)
        let done = try await mirror.fetch(options)
        #expect(done.outcome == .updated)
        let finished = try #require(done.index?.rollover)
        #expect(finished.switched)
        #expect(done.index?.applied.map(\.name) == ["pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz"], "resumed, not restarted")
        #expect(mirror.layout.currentIndex().lastPathComponent == "index-cycle26.sqlite")
        #expect(!FileManager.default.fileExists(atPath: oldIndex.path))
        // Exactly the new cycle's records: nothing of the old cycle carried over.
        let files2026 = [first] + ["baseline/pubmed26n1334.xml.gz", "updatefiles/pubmed26n1335.xml.gz"].map { Self.samples.appendingPathComponent("2026/\($0)") }
        #expect(try IndexIntegrationTests.current(in: mirror) == (try IndexIntegrationTests.expectedCurrent(after: files2026)))
        #expect(try Self.pmids(mirror) != old)
        #expect(try mirror.status().rollover == nil)
        // A pipeline following the old index is told to start again, not given the new index's
        // changes after its mark (which would leave out what the new baseline changed before it).
        let newMark = try mirror.openIndex().export(since: nil) { _ in }
        #expect(newMark > oldMark + 1, "the new index numbers its changes after the old one's")
        let refused = try await CLI.run(["export", "--mirror", root.path, "--since", String(oldMark)])
        #expect(refused.status == 64)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr.contains("change \(oldMark) belongs to the index this one replaced"), "\(refused.stderr)")
        #expect(refused.stderr.contains("export everything again without --since"), "\(refused.stderr)")

        let oldFile = root.appendingPathComponent("baseline/pubmed25n1274.xml.gz")
        if keepOld {
            #expect(finished.filesPruned == 0)
            #expect(FileManager.default.fileExists(atPath: oldFile.path))
            // The next run that does not ask to keep them prunes them (as it would after a crash
            // between the switch and the pruning).
            var plain = options
            plain.indexOptions.keepOld = false
            let later = try await mirror.fetch(plain)
            #expect(later.index?.rollover?.filesPruned == 2)
            #expect(!FileManager.default.fileExists(atPath: oldFile.path))
        } else {
            #expect(finished.filesPruned == 2)
            #expect(!FileManager.default.fileExists(atPath: oldFile.path))
            #expect(try MirrorTest.pubmedFiles(under: root).keys.allSatisfy { $0.contains("pubmed26n") })
        }
        // Nothing left to do.
        let again = try await mirror.fetch(options)
        #expect(again.outcome == .upToDate)
        #expect(again.downloads.isEmpty)
    }
}
