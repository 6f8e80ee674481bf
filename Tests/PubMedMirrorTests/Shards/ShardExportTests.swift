import Crypto
import Foundation
import Testing
@testable import PubMedShards
@testable import PubMedSupport

/// `export --shards`, run as a pipeline would: the parts hold exactly `export`'s lines, the manifest
/// describes them truly, the same index gives the same bytes, a set is replaced whole, and DuckDB
/// reads it (and turns it into Parquet).
@Suite(.heavyweight) struct ShardExportTests {
    /// A mirror of the 2026 samples, fetched and indexed (the update file deletes records).
    static func mirror(_ label: String) async throws -> URL {
        let tree = try ServedTree.make(cycles: [2026], at: try TestPaths.temporaryDirectory("served-\(label)"))
        let mirror = try TestPaths.temporaryDirectory("mirror-\(label)")
        let fetched = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror.path, "--quiet"])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        return mirror
    }

    static func manifest(_ folder: URL) throws -> ShardManifest {
        try JSONDecoder().decode(ShardManifest.self, from: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
    }

    /// The parts' lines, inflated and joined in the manifest's order.
    static func lines(_ folder: URL, _ manifest: ShardManifest) async throws -> String {
        var text = ""
        for part in manifest.parts {
            let inflated = try await ChildProcess.run("/bin/zcat", [folder.appendingPathComponent(part.name).path])
            #expect(inflated.status == 0, "\(part.name): \(inflated.stderr)")
            text += inflated.stdout
        }
        return text
    }

    @Test func thePartsHoldExactlyTheExportAndTheManifestSaysSo() async throws {
        let mirror = try await Self.mirror("shards")
        let exported = try await CLI.run(["export", "--mirror", mirror.path])
        #expect(exported.status == 0)
        let records = exported.stdout.split(separator: "\n").count
        let folder = try TestPaths.temporaryDirectory("shards-out").appendingPathComponent("set")
        let run = try await CLI.run(["export", "--mirror", mirror.path, "--shards", folder.path, "--shard-records", "7"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty && run.stderr.contains("in \((records + 6) / 7) parts to \(folder.path)"))

        let manifest = try Self.manifest(folder)
        #expect(manifest.format == "pubmed-mirror-shards" && manifest.kind == .snapshot && manifest.since == nil)
        #expect(manifest.records == records && manifest.deletions == 0 && manifest.parts.count == (records + 6) / 7)
        #expect(manifest.parts.map(\.name) == (0..<manifest.parts.count).map { String(format: "part-%05d.ndjson.gz", $0) })
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == (["manifest.json"] + manifest.parts.map(\.name)).sorted())
        var previous = 0
        for part in manifest.parts {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(part.name))
            #expect(Int64(bytes.count) == part.bytes && Insecure.MD5.hash(data: bytes).hex == part.md5, "\(part.name)")
            #expect(part.firstPMID > previous && part.firstPMID <= part.lastPMID, "PMID order")
            previous = part.lastPMID
        }
        #expect(manifest.parts.dropLast().allSatisfy { $0.records == 7 })
        #expect(try await Self.lines(folder, manifest) == exported.stdout, "the parts hold export's lines, in its order")
        #expect(manifest.highWaterMark > 0 && exported.stderr.contains("high-water mark: \(manifest.highWaterMark)"))

        // The same index, the same bytes (into another folder), and a set replaced whole (fewer parts).
        let again = folder.deletingLastPathComponent().appendingPathComponent("again")
        #expect(try await CLI.run(["export", "--mirror", mirror.path, "--shards", again.path, "--shard-records", "7"]).status == 0)
        for name in ["manifest.json"] + manifest.parts.map(\.name) {
            #expect(try Data(contentsOf: again.appendingPathComponent(name)) == Data(contentsOf: folder.appendingPathComponent(name)), "\(name)")
        }
        #expect(try await CLI.run(["export", "--mirror", mirror.path, "--shards", folder.path]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["manifest.json", "part-00000.ndjson.gz"])
        #expect(try Self.manifest(folder).records == records)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.deletingLastPathComponent().path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "staging left behind: \(leftovers)")

        // A set of its own for each run, in a folder whose parent the first run makes.
        let daily = folder.deletingLastPathComponent().appendingPathComponent("daily/2026-12-07")
        let dated = try await CLI.run(["export", "--mirror", mirror.path, "--shards", daily.path])
        #expect(dated.status == 0, "\(dated.stderr)")
        #expect(try Self.manifest(daily).records == records)
    }

    @Test func aChangeSetHoldsTheUpsertsAndTheDeletionsAfterASequenceNumber() async throws {
        let mirror = try await Self.mirror("shards-changes")
        let before = try await CLI.run(["export", "--mirror", mirror.path])
        let mark = try #require(before.stderr.split(separator: " ").last.flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        // Then a file that deletes two of the records (DeleteCitation), as an update file does.
        let pmids = before.stdout.split(separator: "\n").prefix(2).compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["pmid"] as? Int
        }
        let deleting = try TestPaths.temporaryDirectory("shards-deleting").appendingPathComponent("deletions.xml")
        try ("<?xml version=\"1.0\"?>\n<PubmedArticleSet><DeleteCitation>" + pmids.map { "<PMID Version=\"1\">\($0)</PMID>" }.joined()
             + "</DeleteCitation></PubmedArticleSet>\n").write(to: deleting, atomically: true, encoding: .utf8)
        #expect(try await CLI.run(["index", "--mirror", mirror.path, "--file", deleting.path, "--quiet"]).status == 0)
        let since = max(0, mark - 5)
        let changes = try await CLI.run(["export", "--mirror", mirror.path, "--since", "\(since)"])
        let deletions = changes.stdout.split(separator: "\n").filter { $0.contains("\"deleted\":true") }.count
        #expect(changes.status == 0 && deletions == 2, "\(changes.stdout.suffix(300))")
        let folder = try TestPaths.temporaryDirectory("shards-changes-out").appendingPathComponent("changes")
        let run = try await CLI.run(["export", "--mirror", mirror.path, "--shards", folder.path, "--since", "\(since)", "--shard-records", "3"])
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = try Self.manifest(folder)
        #expect(manifest.kind == .changes && manifest.since == since && manifest.deletions == 2 && manifest.highWaterMark > mark)
        #expect(manifest.records + manifest.deletions == changes.stdout.split(separator: "\n").count)
        #expect(manifest.parts.first?.name == "changes-00000.ndjson.gz")
        #expect(try await Self.lines(folder, manifest) == changes.stdout)

        // Nothing changed since the high-water mark: one empty part, which a loader's pattern finds
        // (a pattern that matches no file is an error to DuckDB and Spark).
        let quiet = try TestPaths.temporaryDirectory("shards-changes-quiet").appendingPathComponent("changes")
        let none = try await CLI.run(["export", "--mirror", mirror.path, "--shards", quiet.path, "--since", "\(manifest.highWaterMark)"])
        #expect(none.status == 0, "\(none.stderr)")
        let empty = try Self.manifest(quiet)
        #expect(empty.records == 0 && empty.deletions == 0 && empty.parts.map(\.name) == ["changes-00000.ndjson.gz"])
        let python = TestPaths.repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
        let counted = try await ChildProcess.run(python, ["-c", "import duckdb, sys; print(duckdb.sql(\"select count(*) from read_json('\" + sys.argv[1] + \"/changes-*.ndjson.gz')\").fetchone()[0])", quiet.path])
        #expect(counted.status == 0 && counted.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(counted.stderr)")
    }

    @Test func duckDBReadsTheShardsAndWritesParquetFromThem() async throws {
        let mirror = try await Self.mirror("shards-duckdb")
        let work = try TestPaths.temporaryDirectory("shards-duckdb-out")
        let exported = try await CLI.run(["export", "--mirror", mirror.path, "--output", work.appendingPathComponent("export.jsonl").path])
        #expect(exported.status == 0)
        let folder = work.appendingPathComponent("shards")
        #expect(try await CLI.run(["export", "--mirror", mirror.path, "--shards", folder.path, "--shard-records", "9"]).status == 0)
        let python = TestPaths.repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Readers/read_shards.py").path
        let read = try await ChildProcess.run(python, [script, folder.path, work.appendingPathComponent("export.jsonl").path,
                                                       work.appendingPathComponent("parquet").path])
        #expect(read.status == 0, "\(read.stderr)")
        let found = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        let lines = try String(contentsOf: work.appendingPathComponent("export.jsonl"), encoding: .utf8).split(separator: "\n")
        let pmids = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["pmid"] as? Int }
        #expect(found["count"] as? Int == lines.count && found["pmids"] as? [Int] == pmids.compactMap { $0 })
        let fields = try #require(found["fields"] as? [String: [Any]]), expected = try #require(found["expected"] as? [String: [Any]])
        #expect(fields.count == expected.count && !fields.isEmpty)
        for (pmid, values) in expected {
            #expect(fields[pmid].map { "\($0)" } == "\(values)", "PMID \(pmid)")
        }
        #expect(found["parquet"] as? Int == expected.values.filter { !($0[1] is NSNull) }.count && (found["parquetFolders"] as? Int ?? 0) > 0)
    }

    /// A killed export's staging folder goes with the next export; one whose lock is held (an
    /// export still writing, on this machine or another) stays.
    @Test func aKilledExportsStagingGoesButOneInUseStays() async throws {
        let mirror = try await Self.mirror("shards-staging")
        let parent = try TestPaths.temporaryDirectory("shards-staging-out")
        let stale = parent.appendingPathComponent(".set.partial-4000001", isDirectory: true)
        let busy = parent.appendingPathComponent(".set.partial-4000002", isDirectory: true)
        for folder in [stale, busy] { try TestPaths.makeDirectory(folder) }
        let held = try FileLock(path: busy.path + ".lock")
        let run = try await CLI.run(["export", "--mirror", mirror.path, "--shards", parent.appendingPathComponent("set").path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stale.path) && FileManager.default.fileExists(atPath: busy.path))
        withExtendedLifetime(held) {}
    }

    @Test func aFolderThatIsNotAShardSetIsNeverReplaced() async throws {
        let mirror = try await Self.mirror("shards-refusals")
        let home = try TestPaths.temporaryDirectory("shards-home")
        try Data("keep me".utf8).write(to: home.appendingPathComponent("notes.txt"))
        let refused = try await CLI.run(["export", "--mirror", mirror.path, "--shards", home.path])
        #expect(refused.status == 64 && refused.stderr.contains("is not a shard set"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path) == ["notes.txt"])
        let usage = try await CLI.run(["export", "--mirror", mirror.path, "--shards", home.path, "--format", "csv"])
        #expect(usage.status == 64 && usage.stderr.contains("--shards writes JSON lines"))
        // A place that cannot be written: exit 7, nothing half-written.
        let unwritable = try await CLI.run(["export", "--mirror", mirror.path, "--shards", "/proc/pubmed-mirror-shards"])
        #expect(unwritable.status == 7, "\(unwritable.stderr)")
    }
}
