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
/// exactly what an uninterrupted run gives: the same files and the same index contents.
@Suite struct CrashTests {
    /// The mirror's PubMed files and the export of its index: what two runs must agree on.
    static func outcome(_ mirror: URL) throws -> (files: [String: Data], export: String) {
        let export = try CLI.run(["export", "--mirror", mirror.path])
        #expect(export.status == 0, "\(export.stderr)")
        return (try MirrorTest.pubmedFiles(under: mirror), export.stdout)
    }

    @Test func aRunKilledAtAnyMomentThenRerunGivesWhatAnUninterruptedRunGives() throws {
        let root = try TestPaths.temporaryDirectory("served-crash")
        let tree = try ServedTree.larger(at: root)
        let fast = try LoopbackServer.faultyFTP(root: root, arguments: [])
        // About 2 s of downloading, then about as long indexing (debug build): kills land in every phase.
        let slow = try LoopbackServer.faultyFTP(root: root, arguments: ["--throttle", "800000"])

        let reference = try TestPaths.temporaryDirectory("mirror-crash-reference")
        #expect(try CLI.run(["fetch", "--source", fast.baseURL.absoluteString, "--mirror", reference.path, "--quiet"]).status == 0)
        let expected = try Self.outcome(reference)
        #expect(expected.files.count == 4)
        #expect(expected.export.split(separator: "\n").count == 1126)

        for delay in [0.02, 0.15, 0.4, 0.8, 1.3, 1.9, 2.6, 3.4] {
            let mirror = try TestPaths.temporaryDirectory("mirror-crash")
            let process = try CLI.start(["fetch", "--source", slow.baseURL.absoluteString, "--mirror", mirror.path, "--quiet"])
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

            let rerun = try CLI.run(["fetch", "--source", fast.baseURL.absoluteString, "--mirror", mirror.path, "--quiet"])
            #expect(rerun.status == 0, "killed after \(delay) s: \(rerun.stderr)")
            let got = try Self.outcome(mirror)
            #expect(got.files == expected.files, "killed after \(delay) s: files differ")
            #expect(got.export == expected.export, "killed after \(delay) s: index differs")
            let leftovers = try FileManager.default.subpathsOfDirectory(atPath: mirror.path)
                .filter { $0.hasSuffix(".partial") || $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty, "killed after \(delay) s: left \(leftovers)")
        }
        _ = tree
    }
}
