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

/// Results that cannot be written are a failure like any other: a full disk or a closed standard
/// output gives one sentence on standard error and exit 7, for every command and format; a reader
/// that closes the pipe early (`| head`) ends the command quietly, by SIGPIPE, as `cat` does.
@Suite(.heavyweight) struct OutputFailureTests {
    static let samples = TestPaths.repositoryRoot.appendingPathComponent("Samples/ncbi/").absoluteString

    /// A mirror of `Samples/ncbi` (60 records), fetched and indexed once; each test gets a copy,
    /// since fetch, index and verify take the mirror's lock.
    static let template = Task<URL, any Error> {
        let mirror = try TestPaths.sharedTemporaryDirectory("output-template")
        let run = try await CLI.run(["fetch", "--source", samples, "--mirror", mirror.path, "--quiet"])
        guard run.status == 0 else { throw LoopbackServerError("could not make the template mirror: \(run.stderr)") }
        return mirror
    }

    static func mirror() async throws -> String {
        let copy = try TestPaths.temporaryDirectory("output-mirror").appendingPathComponent("mirror")
        try FileManager.default.copyItem(at: try await template.value, to: copy)
        return copy.path
    }

    /// Every command that prints results, in every format (`MIRROR` is replaced by the mirror's path).
    static let commands: [[String]] = [
        ["status", "--mirror", "MIRROR"], ["status", "--mirror", "MIRROR", "--format", "json"],
        ["search", "--mirror", "MIRROR", "cat"], ["search", "--mirror", "MIRROR", "cat", "--format", "json"],
        ["search", "--mirror", "MIRROR", "cat", "--format", "tsv"], ["search", "--mirror", "MIRROR", "cat", "--format", "pmid"],
        ["search", "--mirror", "MIRROR", "cat", "--count"],
        ["search", "--mirror", "MIRROR", "cat", "--format", "medline"], ["search", "--mirror", "MIRROR", "cat", "--format", "csl-json"], ["search", "--mirror", "MIRROR", "cat", "--explain"],
        ["show", "--mirror", "MIRROR", "41026679"], ["show", "--mirror", "MIRROR", "41026679", "--format", "json"],
        ["show", "--mirror", "MIRROR", "41026679", "--format", "xml"],
        ["export", "--mirror", "MIRROR"], ["export", "--mirror", "MIRROR", "--format", "csv"],
        ["export", "--mirror", "MIRROR", "--since", "10"],
        ["fetch", "--mirror", "MIRROR", "--source", samples, "--quiet"],
        ["fetch", "--mirror", "MIRROR", "--source", samples, "--quiet", "--format", "json"],
        ["fetch", "--mirror", "MIRROR", "--source", samples, "--dry-run"],
        ["index", "--mirror", "MIRROR", "--quiet"], ["index", "--mirror", "MIRROR", "--quiet", "--format", "json"],
        ["verify", "--mirror", "MIRROR", "--quiet"], ["verify", "--mirror", "MIRROR", "--quiet", "--format", "json"],
        ["health", "--source", samples], ["health", "--source", samples, "--format", "json"],
        ["publish", "--mirror", "MIRROR", "--target", "TARGET", "--quiet"],
        ["publish", "--mirror", "MIRROR", "--target", "TARGET", "--quiet", "--format", "json"],
        ["publish", "--mirror", "MIRROR", "--target", "TARGET", "--dry-run", "--delete"],
    ] + ["medline", "ris", "bibtex", "csl-json"].flatMap { format in
        [["show", "--mirror", "MIRROR", "41026679", "--format", format], ["export", "--mirror", "MIRROR", "--format", format]]
    } + [
        ["--help"], ["search", "--help"], ["--version"],
    ]

    @Test(arguments: commands, [CLI.StandardOutput.full, .closed])
    func resultsThatCannotBeWrittenExit7WithOneSentence(command: [String], stdout: CLI.StandardOutput) async throws {
        let mirror = try await Self.mirror()
        let target = URL(fileURLWithPath: mirror + "-published/pubmed/").absoluteString
        let run = try await CLI.run(command.map { $0 == "MIRROR" ? mirror : $0 == "TARGET" ? target : $0 }, stdout: stdout)
        #expect(run.status == 7, "\(command): \(run.stderr)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(command): \(run.stderr)")
        let expected = stdout == .full ? "error: the results could not be written to standard output: No space left on device"
            : "error: the results could not be written: standard output was closed when the command started"
        #expect(lines.first.map(String.init) == expected, "\(command)")
    }

    @Test(arguments: [["export"], ["export", "--format", "csv"], ["export", "--since", "0"], ["export", "--format", "medline"],
                      ["export", "--format", "csl-json"]])
    func aReaderThatClosesThePipeEndsTheCommandQuietly(command: [String]) async throws {
        let mirror = try await Self.mirror()
        // More than the 64 KiB a pipe holds, so the writer is still writing when head exits.
        #expect(try await CLI.run(command + ["--mirror", mirror]).stdout.utf8.count > 65_536)
        let run = try await CLI.run(command + ["--mirror", mirror], stdout: .closedByReader)
        #expect(run.status == 128 + SIGPIPE, "\(run.stderr)")
        #expect(run.stderr.isEmpty, "\(run.stderr)")
    }

    @Test func theOutputStillGoesOutBeforeAFailureIsReported() async throws {
        let mirror = try await Self.mirror()
        // One PMID found, one not: the record is printed, the missing one reported, exit 8.
        let run = try await CLI.run(["show", "--mirror", mirror, "41026679", "1", "--format", "json"])
        #expect(run.status == 8)
        #expect(run.stdout.contains("\"pmid\":41026679") || run.stdout.contains("\"pmid\": 41026679"))
        #expect(run.stderr.contains("PMID 1 is not in the index"))
    }
}

/// `export --output` onto a disk that fills: exit 7, one sentence, and no file left behind.
@Suite(.heavyweight, .enabled(if: SmallDisk.canMount, "needs root and permission to mount a tmpfs"))
struct ExportToAFullDiskTests {
    @Test func anExportThatDoesNotFitLeavesNoFileAndExits7() async throws {
        let mirror = try await OutputFailureTests.mirror()
        let disk = try SmallDisk(kib: 64)
        let target = disk.url.appendingPathComponent("records.jsonl")
        let run = try await CLI.run(["export", "--mirror", mirror, "--output", target.path])
        #expect(run.status == 7, "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stderr.contains("No space left on device"), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.url.path).filter { !$0.hasPrefix("lost+found") }.isEmpty)
        withExtendedLifetime(disk) {}
    }
}
