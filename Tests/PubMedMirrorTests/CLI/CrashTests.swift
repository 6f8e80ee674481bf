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

/// `kill -9` at any moment of a fetch (listing, downloading, renaming, indexing), then a rerun, gives
/// exactly what an uninterrupted run gives: the same files and the same index contents. Each kill
/// waits for a sign that the run is in the phase it aims at, and each must land while the run is
/// still going (the process ends by the signal, not by finishing first).
@Suite(.heavyweight) struct CrashTests {
    /// The mirror's PubMed files and the export of its index: what two runs must agree on.
    static func outcome(_ mirror: URL) async throws -> (files: [String: Data], export: String) {
        let export = try await CLI.run(["export", "--mirror", mirror.path])
        #expect(export.status == 0, "\(export.stderr)")
        return (try MirrorTest.pubmedFiles(under: mirror), export.stdout)
    }

    /// When to kill, as what the mirror folder shows: a path relative to it and the bytes it must hold.
    struct Moment: Sendable, CustomStringConvertible {
        var description: String
        /// nil: at once, while the run starts and lists.
        var path: String?
        var bytes = 0
    }

    static let moments = [
        Moment(description: "while starting and listing", path: nil),
        Moment(description: "early in the first download", path: "baseline/pubmed20n1015.xml.gz.partial", bytes: 1),
        Moment(description: "in the middle of the first download", path: "baseline/pubmed20n1015.xml.gz.partial", bytes: 400_000),
        Moment(description: "once the first file is in place", path: "baseline/pubmed20n1015.xml.gz"),
        Moment(description: "in the middle of the second download", path: "updatefiles/pubmed20n1016.xml.gz.partial", bytes: 400_000),
        Moment(description: "once both files are in place", path: "updatefiles/pubmed20n1016.xml.gz"),
        Moment(description: "as indexing starts", path: "index.sqlite"),
        Moment(description: "inside an index transaction", path: "index.sqlite-wal", bytes: 256 << 10),
    ]

    /// One served tree and the outcome of an uninterrupted run, shared by every moment.
    static let reference = Task<(root: URL, expected: (files: [String: Data], export: String)), any Error> {
        let root = try TestPaths.sharedTemporaryDirectory("served-crash")
        _ = try ServedTree.larger(at: root)
        let fast = try await LoopbackServer.faultyFTP(root: root, arguments: [])
        let mirror = try TestPaths.sharedTemporaryDirectory("mirror-crash-reference")
        let run = try await CLI.run(["fetch", "--source", fast.baseURL.absoluteString, "--mirror", mirror.path, "--quiet"])
        guard run.status == 0 else { throw LoopbackServerError("the reference fetch failed: \(run.stderr)") }
        return (root, try await outcome(mirror))
    }

    @Test(arguments: moments)
    func aRunKilledAtAnyMomentThenRerunGivesWhatAnUninterruptedRunGives(moment: Moment) async throws {
        let (root, expected) = try await Self.reference.value
        #expect(expected.files.count == 4)
        #expect(expected.export.split(separator: "\n").count == 1126)
        // About 2 s of downloading at this pace, then the indexing: every moment comes while it runs.
        let slow = try await LoopbackServer.faultyFTP(root: root, arguments: ["--throttle", "800000"])
        let fast = try await LoopbackServer.faultyFTP(root: root, arguments: [])
        let mirror = try TestPaths.temporaryDirectory("mirror-crash")
        let killed = try await CLI.whileRunning(["fetch", "--source", slow.baseURL.absoluteString, "--mirror", mirror.path,
                                                 "--jobs", "1", "--quiet"]) { (pid) async throws in
            if let path = moment.path {
                let seen = try await CLI.waitForFile(mirror.appendingPathComponent(path).path, atLeast: moment.bytes, while: pid)
                #expect(seen >= moment.bytes, "\(moment): never seen")
            }
            kill(pid, SIGKILL)
        }
        #expect(killed.signal == SIGKILL, "\(moment): the run ended before the kill (\(killed.status)): \(killed.stderr)")

        let rerun = try await CLI.run(["fetch", "--source", fast.baseURL.absoluteString, "--mirror", mirror.path, "--quiet"])
        #expect(rerun.status == 0, "killed \(moment): \(rerun.stderr)")
        let got = try await Self.outcome(mirror)
        #expect(got.files == expected.files, "killed \(moment): files differ")
        #expect(got.export == expected.export, "killed \(moment): index differs")
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: mirror.path)
            .filter { $0.hasSuffix(".partial") || $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty, "killed \(moment): left \(leftovers)")
    }
}
