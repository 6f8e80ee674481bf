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

/// A mirror on a small tmpfs (mounted by the test; needs root, as CI runs): a run that cannot fit is
/// refused before it downloads, and a disk that fills up mid-download ends the run cleanly, leaving
/// only verified files in place, and a rerun with more room completes.
@Suite(.heavyweight, .enabled(if: SmallDisk.canMount, "needs root and permission to mount a tmpfs"))
struct DiskSpaceTests {

    static let larger = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2020-larger")

    @Test func aDiskThatFillsUpWhileIndexingLeavesTheIndexAsItWasAndARerunCompletes() async throws {
        // Room for the 1.6 MB of files and a little index, not for all of it (about 8 MB).
        let disk = try SmallDisk(kib: 3000)
        let mirror = Mirror(root: disk.url.appendingPathComponent("mirror"))
        var options = try MirrorTest.options(Self.larger)
        options.index = true
        options.checkSpace = false
        let report = try await mirror.fetch(options)
        #expect(report.downloads.count == 2)
        #expect(report.outcome == .partial)
        let failure = try #require(report.index?.failures.first)
        #expect(failure.message.contains("full"), "\(failure.message)")
        #expect(report.index?.stoppedBy?.code == failure.code && failure.code.kind == .local, "the full disk decides the exit code (7), not \"some files failed\": \(failure.code)")
        // Whatever was applied was applied whole; the failed file left nothing behind. (The counts the
        // run read with its own connection: a new reader of a WAL database needs room for its
        // shared-memory file, which a disk still full may not have; seen once under a full test run.)
        let before = try #require(report.index?.counts)
        #expect(before.files == (report.index?.applied.count ?? -1))

        try disk.resize(kib: 32768)
        let rerun = try await mirror.fetch(options)
        #expect(rerun.outcome == .updated)
        #expect(rerun.downloads.isEmpty)
        let after = try mirror.openIndex().counts()
        #expect(after.files == 2)
        #expect(after.current == 1126)
        withExtendedLifetime(disk) {}
    }

    @Test func aRunThatCannotFitIsRefusedBeforeDownloading() async throws {
        let disk = try SmallDisk(kib: 1024)
        let mirror = Mirror(root: disk.url.appendingPathComponent("mirror"))
        var options = try MirrorTest.options(Self.larger)
        options.index = true
        let report = try await mirror.fetch(options)
        #expect(report.outcome == .failed)
        guard case .insufficientSpace(_, let download, let index, let free)? = report.runError else {
            Issue.record("expected insufficientSpace, got \(String(describing: report.runError))")
            return
        }
        #expect(download == 823_919 + 761_246)
        #expect(index > download)
        #expect(free < download + index)
        #expect(report.runError?.description.contains("not enough free disk space") == true)
        #expect(report.downloads.isEmpty)
        #expect(try MirrorTest.pubmedFiles(under: mirror.layout.root).isEmpty)

        // The CLI says the same and exits 7.
        let cli = try await CLI.run(["fetch", "--source", Self.larger.absoluteString, "--mirror", mirror.layout.root.path, "--quiet"])
        #expect(cli.status == 7)
        #expect(cli.stderr.contains("not enough free disk space"))
    }

    @Test func aDiskThatFillsUpMidDownloadEndsCleanlyAndARerunCompletes() async throws {
        // Room for the first file (824 KB) and the state database, not for the second (761 KB).
        let disk = try SmallDisk(kib: 1300)
        let mirror = Mirror(root: disk.url.appendingPathComponent("mirror"))
        var options = try MirrorTest.options(Self.larger)
        options.index = false
        options.checkSpace = false
        options.jobs = 1
        let report = try await mirror.fetch(options)
        #expect(report.outcome == .failed)
        #expect(report.runError?.description.contains("No space left on device") == true, "\(String(describing: report.runError))")
        // What is in place is verified; the file that did not fit is not in place.
        let inPlace = try MirrorTest.pubmedFiles(under: mirror.layout.root)
        #expect(inPlace["updatefiles/pubmed20n1016.xml.gz"] == nil)
        for (path, bytes) in inPlace {
            #expect(bytes == (try Data(contentsOf: Self.larger.appendingPathComponent(path))), "\(path) differs")
        }
        let status = try mirror.status()
        #expect(status.files.folders.first { $0.folder == .updatefiles }?.mirrored == 0)

        // More room: the rerun completes (resuming what it can).
        try disk.resize(kib: 8192)
        let rerun = try await mirror.fetch(options)
        #expect(rerun.outcome == .updated)
        try MirrorTest.expectIdentical(served: Self.larger, mirror: mirror.layout.root)
        withExtendedLifetime(disk) {}
    }
}

/// A tmpfs of `kib` KiB, unmounted when the returned object goes away.
final class SmallDisk {
    /// Whether this machine lets the tests mount a tmpfs (root, in a sandbox that allows it).
    static let canMount: Bool = {
        guard getuid() == 0 else { return false }
        return (try? SmallDisk(kib: 64)) != nil
    }()

    let url: URL
    init(kib: Int) throws {
        url = try TestPaths.temporaryDirectory("tmpfs")
        try Self.run(["mount", "-t", "tmpfs", "-o", "size=\(kib)k", "tmpfs", url.path])
    }
    func resize(kib: Int) throws {
        try Self.run(["mount", "-o", "remount,size=\(kib)k", url.path])
    }
    deinit {
        try? Self.run(["umount", "-l", url.path])
    }
    /// Runs `mount` or `umount` (through `Spawn`, which waits with waitpid).
    static func run(_ arguments: [String]) throws {
        try Spawn.run(arguments)
    }
}
