import Foundation
import GRDB
import Synchronization
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// `index`, `search`, `show` and `export` through the built binary.
@Suite(.heavyweight) struct CLIIndexTests {
    static let larger = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2020-larger")

    /// A mirror of the larger 2020 samples, fetched and indexed by the binary.
    static func indexedMirror(_ label: String) async throws -> String {
        let mirror = try TestPaths.temporaryDirectory(label).path
        let result = try await CLI.run(["fetch", "--source", larger.absoluteString, "--mirror", mirror, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        return mirror
    }

    @Test func fetchIndexesAndTheQueryCommandsAnswer() async throws {
        let mirror = try await Self.indexedMirror("cli-query")

        let search = try await CLI.run(["search", "--mirror", mirror, "wolbachia", "malaria", "--format", "tsv"])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.split(separator: "\n").first?.hasPrefix("31828225\t2019\t") == true)

        let jsonLines = try await CLI.run(["search", "--mirror", mirror, "title:cancer", "--format", "json", "--limit", "3"])
        let lines = jsonLines.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((object["title"] as? String)?.lowercased().contains("cancer") == true)
        }

        let show = try await CLI.run(["show", "--mirror", mirror, "31828225", "--format", "json"])
        #expect(show.status == 0)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        #expect(record["pmid"] as? Int == 31828225)
        #expect(record["version"] as? Int == 4)
        #expect(record["doi"] as? String == "10.12688/wellcomeopenres.15005.4")
        #expect(record["sourceFile"] as? String == "pubmed20n1016.xml.gz")
        for key in ["title", "abstract", "authors", "journal", "year", "pubDate", "keywords", "publicationTypes", "languages"] {
            #expect(record[key] != nil, "missing \(key)")
        }
        let older = try await CLI.run(["show", "--mirror", mirror, "31828225", "--version", "2", "--format", "xml"])
        #expect(older.stdout.hasPrefix("<PubmedArticle>"))
        #expect(older.stdout.contains("<PMID Version=\"2\">31828225</PMID>"))
        #expect(older.stdout.hasSuffix("</PubmedArticle>\n"))
        let text = try await CLI.run(["show", "--mirror", mirror, "31828225"])
        #expect(text.stdout.contains("PMID 31828225.4"))
        #expect(text.stdout.contains("versions 2, 3, 4"))

        let missing = try await CLI.run(["show", "--mirror", mirror, "1"])
        #expect(missing.status == 8)
        #expect(missing.stderr.contains("PMID 1 is not in the index"))

        // Several PMIDs in one process, in the order given; one not in the index is reported and
        // the others still printed.
        let pmids = lines.compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["pmid"] as? Int
        }
        #expect(pmids.count == 3)
        let several = try await CLI.run(["show", "--mirror", mirror, "--format", "json", String(pmids[2]), "1", String(pmids[0])])
        #expect(several.status == 8)
        #expect(several.stderr.contains("PMID 1 is not in the index"))
        let shown = several.stdout.split(separator: "\n").compactMap { line -> Int? in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["pmid"] as? Int
        }
        #expect(shown == [pmids[2], pmids[0]])
        let texts = try await CLI.run(["show", "--mirror", mirror, String(pmids[0]), String(pmids[1])])
        #expect(texts.status == 0)
        #expect(texts.stdout.contains("PMID \(pmids[0]).") && texts.stdout.contains("\n\n") && texts.stdout.contains("PMID \(pmids[1])."))
        #expect(try await CLI.run(["show", "--mirror", mirror, "--version", "2", String(pmids[0]), String(pmids[1])]).status == 64)
        let badQuery = try await CLI.run(["search", "--mirror", mirror, "malaria AND cancer[colour]"])
        #expect(badQuery.status == 64)
        #expect(badQuery.stderr.contains("unknown field tag [colour] at character 19"), "\(badQuery.stderr)")
        #expect(badQuery.stderr.contains("malaria AND cancer[colour]\n                  ^"), "\(badQuery.stderr)")
        // A search history set has no meaning on the command line: said so, not searched as "1".
        let history = try await CLI.run(["search", "--mirror", mirror, "malaria AND #1"])
        #expect(history.status == 64)
        #expect(history.stderr.contains("#1 names a set of a search history"), "\(history.stderr)")
    }

    @Test func searchSpeaksPubMedsQueryLanguage() async throws {
        let mirror = try await Self.indexedMirror("cli-pubmed-syntax")
        func pmids(_ arguments: [String]) async throws -> [Int] {
            let run = try await CLI.run(["search", "--mirror", mirror, "--format", "pmid", "--limit", "100000"] + arguments)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            return run.stdout.split(separator: "\n").compactMap { Int($0) }
        }
        let query = "wolbachia[tiab] AND 2019:2020[dp]"
        let all = try await pmids([query])
        #expect(all.contains(31828225))
        let count = try await CLI.run(["search", "--mirror", mirror, "--count", query])
        #expect(count.stdout == "\(all.count)\n")
        // Paging: the pages join up to the whole, in the same order.
        let sorted = try await pmids(["--sort", "pmid", "cancer[tiab]"])
        #expect(sorted == sorted.sorted(by: >) && sorted.count > 20)
        let second = try await pmids(["--sort", "pmid", "--offset", "10", "--limit", "10", "cancer[tiab]"])
        #expect(second == Array(sorted[10..<20]))
        let explained = try await CLI.run(["search", "--mirror", mirror, "--explain", "a OR b AND c"])
        #expect(explained.stdout == "(\"a\"[All Fields] OR \"b\"[All Fields]) AND \"c\"[All Fields]\n")
        // [mh] without the thesaurus: the heading alone, said once on stderr.
        let mesh = try await CLI.run(["search", "--mirror", mirror, "wolbachia[tiab] OR humans[mh] OR female[mh]", "--format", "pmid"])
        #expect(mesh.status == 0 && !mesh.stdout.isEmpty)
        #expect(mesh.stderr.components(separatedBy: "no MeSH thesaurus").count == 2, "\(mesh.stderr)")
        // The hits in a citation format: as many as PMIDs, one CSL-JSON array.
        let csl = try await CLI.run(["search", "--mirror", mirror, "--format", "csl-json", "--limit", "100000", query])
        let items = try #require(try JSONSerialization.jsonObject(with: Data(csl.stdout.utf8)) as? [[String: Any]])
        #expect(items.compactMap { $0["PMID"] as? String }.compactMap { Int($0) } == all)
        let ris = try await CLI.run(["search", "--mirror", mirror, "--format", "ris", query])
        #expect(ris.stdout.components(separatedBy: "TY  - JOUR").count - 1 == min(all.count, 20))
        let short = try await CLI.run(["search", "--mirror", mirror, "can*[tiab]"])
        #expect(short.status == 64 && short.stderr.contains("at least 4 characters"))
    }

    @Test func exportStreamsJSONLinesAndCSVAtomicallyAndFollowsChanges() async throws {
        let mirror = try await Self.indexedMirror("cli-export")
        let all = try await CLI.run(["export", "--mirror", mirror])
        #expect(all.status == 0)
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.count == 1126)
        #expect(all.stderr.contains("high-water mark: 1491"))

        let out = try TestPaths.temporaryDirectory("export-out").appendingPathComponent("all.csv").path
        let csv = try await CLI.run(["export", "--mirror", mirror, "--format", "csv", "--output", out])
        #expect(csv.status == 0)
        #expect(csv.stdout.isEmpty)
        let content = try String(contentsOfFile: out, encoding: .utf8)
        #expect(content.hasPrefix("pmid,version,deleted,year,title,"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (out as NSString).deletingLastPathComponent)
        #expect(leftovers == ["all.csv"])

        let none = try await CLI.run(["export", "--mirror", mirror, "--since", "1491"])
        #expect(none.stdout.isEmpty)
        #expect(none.stderr.contains("exported 0 records and 0 deletions; high-water mark: 1491"))
        let recent = try await CLI.run(["export", "--mirror", mirror, "--since", "1400"])
        #expect(!recent.stdout.isEmpty)
        #expect(recent.stdout.split(separator: "\n").count <= 91)
    }

    @Test func indexFileAcceptsAnyNameAndRefusesBadFilesWithTheirName() async throws {
        let mirror = try TestPaths.temporaryDirectory("cli-index-file").path
        let efetch = TestPaths.sharedData.appendingPathComponent("efetch-samples/metapub_20301546_book.xml").path
        let ok = try await CLI.run(["index", "--mirror", mirror, "--file", efetch])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("indexed metapub_20301546_book.xml: 1 records"))
        let book = try await CLI.run(["show", "--mirror", mirror, "20301546", "--format", "json"])
        #expect(book.stdout.contains("\"kind\":\"book\""))

        let legacy = TestPaths.sharedData.appendingPathComponent("legacy-medline16/medline16n0902.xml.gz").path
        let refused = try await CLI.run(["index", "--mirror", mirror, "--file", legacy])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("medline16n0902.xml.gz"))
    }

    /// Several files in one run, in the order given, one store for all (each checkpointed in the
    /// background while the next is read): a bad one in the middle does not stop the others, and
    /// the run ends with the log copied into the database.
    @Test func indexFileTakesSeveralFilesAndABadOneDoesNotStopTheOthers() async throws {
        let mirror = try TestPaths.temporaryDirectory("cli-index-files").path
        let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples")
        let files = ["2024/baseline/pubmed24n1219.xml.gz", "../legacy-medline16/medline16n0902.xml.gz",
                     "2025/baseline/pubmed25n1274.xml.gz", "2026/baseline/pubmed26n1334.xml.gz"]
            .map { samples.appendingPathComponent($0).standardizedFileURL.path }
        let run = try await CLI.run(["index", "--mirror", mirror, "--quiet", "--format", "json", "--file"] + files)
        #expect(run.status == 2)
        #expect(run.stderr.contains("medline16n0902.xml.gz"))
        let applied = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(applied.compactMap { $0["name"] as? String } == ["pubmed24n1219.xml.gz", "pubmed25n1274.xml.gz", "pubmed26n1334.xml.gz"])
        let store = try SQLiteRecordStore(path: mirror + "/index.sqlite", readOnly: true)
        #expect(try store.appliedFiles().map(\.name) == ["pubmed24n1219.xml.gz", "pubmed25n1274.xml.gz", "pubmed26n1334.xml.gz"])
        #expect(try store.counts().current == 90)
        // The last checkpoint finished before the process ended: nothing is left in the log.
        let log = (try? FileManager.default.attributesOfItem(atPath: mirror + "/index.sqlite-wal")[.size] as? Int) ?? 0
        #expect(log == 0)
        // Applied again: nothing to do for any of them.
        let again = try await CLI.run(["index", "--mirror", mirror, "--quiet", "--file", files[0], files[2], files[3]])
        #expect(again.status == 0)
        #expect(try store.counts().files == 3)
    }

    /// Another process in the log when a run ends (`serve`'s readers, open all along): the passive
    /// checkpoints stop at its snapshot, and closing the writer leaves the log while the reader has
    /// the file open. The run waits for it to leave and empties the log, which a process opening the
    /// file alone would otherwise read through whole (3 × slower searches on 1.2 M records).
    @Test func aRunEndsWithTheLogEmptyWhileAnotherProcessReads() async throws {
        let mirror = try TestPaths.temporaryDirectory("cli-index-reader")
        let path = mirror.appendingPathComponent("index.sqlite").path
        let baseline = Self.larger.appendingPathComponent("baseline/pubmed20n1015.xml.gz").path
        #expect(try await CLI.run(["index", "--mirror", mirror.path, "--file", baseline, "--quiet"]).status == 0)
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let before = Mutex<Int?>(nil)
        Thread {
            do {
                try reader.read { db in
                    before.withLock { $0 = try? Int.fetchOne(db, sql: "SELECT count(*) FROM article") }
                    holding.signal()
                    release.wait()
                }
            } catch {
                // No snapshot held: the test goes on and fails on `before`.
                holding.signal()
            }
        }.start()
        holding.wait()
        let update = Self.larger.appendingPathComponent("updatefiles/pubmed20n1016.xml.gz").path
        var waited = false
        let run = try await CLI.whileRunning(["index", "--mirror", mirror.path, "--file", update, "--quiet"]) { pid in
            // Out of its snapshot once the file is applied (a second connection sees it), with the
            // run still there, waiting for it (up to 10 s) to empty the log.
            let watcher = try DatabaseQueue(path: path, configuration: configuration)
            for _ in 0..<3_000 {
                let applied = try await watcher.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM appliedFile WHERE name = 'pubmed20n1016.xml.gz'") }
                if applied == 1 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try watcher.close()
            waited = CLI.isRunning(pid)
            release.signal()
        }
        #expect(waited, "the run was over before the reader left: the wait for it was not exercised")
        #expect(run.status == 0, "\(run.stderr)")
        let log = (try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? -1
        #expect(log == 0, "the log was left with \(log) bytes")
        // The reader, still open, sees the file applied.
        let after = try await reader.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM article") }
        #expect(try #require(after) > (try #require(before.withLock { $0 })))
    }

    /// SIGKILL in the middle of a file's transaction: the index is as before, and a rerun completes.
    @Test func anIndexRunKilledMidFileLeavesThePreviousStateAndARerunCompletes() async throws {
        let mirror = try TestPaths.temporaryDirectory("cli-index-kill")
        let small = Self.larger.appendingPathComponent("baseline/pubmed20n1015.xml.gz").path
        #expect(try await CLI.run(["index", "--mirror", mirror.path, "--file", small, "--quiet"]).status == 0)

        let full = TestPaths.sharedData.appendingPathComponent("ncbi-full/pubmed20n0014.xml.gz").path
        let wal = mirror.appendingPathComponent("index.sqlite-wal").path
        let run = try await CLI.whileRunning(["index", "--mirror", mirror.path, "--file", full, "--quiet"]) { (pid) async throws in
            // Inside the file's transaction: its pages have begun to spill into the log (the
            // last file's checkpoint left it empty).
            #expect(try await CLI.waitForFile(wal, atLeast: 4 << 20, seconds: 180, while: pid) > 0, "the transaction got going")
            kill(pid, SIGKILL)
        }
        #expect(run.signal == SIGKILL, "killed inside the file's transaction, not after it: \(run.stderr)")

        let path = mirror.appendingPathComponent("index.sqlite").path
        let killed = try SQLiteRecordStore(path: path).counts()
        #expect(killed.current == 754, "756 records, one PMID in 3 versions")
        #expect(killed.files == 1)

        let rerun = try await CLI.run(["index", "--mirror", mirror.path, "--file", full, "--quiet", "--format", "json"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let after = try SQLiteRecordStore(path: path).counts()
        #expect(after.current == 754 + 30_000)
        #expect(after.files == 2)
    }

    /// Readers keep working while a fetch holds the lock and downloads.
    @Test func queriesAndStatusWorkDuringAFetch() async throws {
        let mirror = try await Self.indexedMirror("cli-during")
        let status = try CLITests.json(try await CLI.run(["status", "--mirror", mirror, "--format", "json"]).stdout)
        #expect((status["index"] as? [String: Any])?["current"] as? Int == 1126)
        #expect((status["notIndexed"] as? [Any])?.isEmpty == true)

        // The same files plus a new update file, served slowly.
        let root = try TestPaths.temporaryDirectory("served-during")
        let tree = try ServedTree.larger(at: root)
        let next = tree.appendingPathComponent("updatefiles/pubmed20n1017.xml.gz")
        try FileManager.default.copyItem(at: tree.appendingPathComponent("updatefiles/pubmed20n1016.xml.gz"), to: next)
        try Data("MD5(pubmed20n1017.xml.gz)= \(try FileDigest.md5(of: next))\n".utf8).write(to: next.appendingPathExtension("md5"))
        let slow = try await LoopbackServer.faultyFTP(root: root, arguments: ["--throttle", "150000", "--match", "*1017.xml.gz"])

        let fetch = try await CLI.whileRunning(["fetch", "--source", slow.baseURL.absoluteString, "--mirror", mirror, "--quiet"]) { (pid) async throws in
            #expect(try await CLI.waitForFile(mirror + "/updatefiles/pubmed20n1017.xml.gz.partial", while: pid) >= 0)
            #expect(try await CLI.run(["search", "--mirror", mirror, "wolbachia"]).stdout.contains("31828225"))
            #expect(try await CLI.run(["show", "--mirror", mirror, "31828225", "--format", "json"]).status == 0)
            #expect(try await CLI.run(["export", "--mirror", mirror]).stdout.split(separator: "\n").count == 1126)
            #expect(try await CLI.run(["status", "--mirror", mirror]).status == 0)
            // A second writer is refused while the first holds the lock: the fetch is still going.
            #expect(try await CLI.run(["index", "--mirror", mirror]).status == 3)
        }
        #expect(fetch.status == 0, "\(fetch.stderr)")
        let after = try CLITests.json(try await CLI.run(["status", "--mirror", mirror, "--format", "json"]).stdout)
        #expect((after["index"] as? [String: Any])?["files"] as? Int == 3)
    }
}

/// A first Ctrl-C while indexing stops at the next batch, with the index as it was before that
/// file; cancelling the task that runs an index does the same.
@Suite(.heavyweight) struct IndexInterruptionTests {
    static let full = TestPaths.sharedData.appendingPathComponent("ncbi-full/pubmed20n0014.xml.gz")
    static let small = CLIIndexTests.larger.appendingPathComponent("baseline/pubmed20n1015.xml.gz")

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptWhileIndexingRollsTheFileBackAndExits130(signal: Int32) async throws {
        let mirror = try TestPaths.temporaryDirectory("cli-index-interrupt")
        #expect(try await CLI.run(["index", "--mirror", mirror.path, "--file", Self.small.path, "--quiet"]).status == 0)
        let wal = mirror.appendingPathComponent("index.sqlite-wal").path
        let run = try await CLI.whileRunning(["index", "--mirror", mirror.path, "--file", Self.full.path]) { (pid) async throws in
            #expect(try await CLI.waitForFile(wal, atLeast: 4 << 20, seconds: 180, while: pid) > 0, "the transaction got going")
            kill(pid, signal)
        }
        #expect(run.status == 130 && run.signal == nil, "it stopped by itself, not by the signal: \(run.stderr)")
        #expect(run.stderr.contains("interrupted: stopping"))
        #expect(run.stderr.contains("stopped before it was applied"), "\(run.stderr)")
        let counts = try SQLiteRecordStore(path: mirror.appendingPathComponent("index.sqlite").path).counts()
        #expect(counts.files == 1 && counts.current == 754, "as before the interrupted file")
    }

    @Test func cancellingTheTaskOfAnIndexRunStopsItAtTheNextBatch() async throws {
        let root = try TestPaths.temporaryDirectory("task-cancel")
        let mirror = Mirror(root: root)
        _ = try await mirror.index(file: Self.small)
        let wal = root.appendingPathComponent("index.sqlite-wal").path
        let run = Task { try await mirror.index(files: [Self.full]) }
        // Cancelled once the file's transaction is under way.
        #expect(try await CLI.waitForFile(wal, atLeast: 4 << 20, seconds: 180) > 0)
        run.cancel()
        let results = try await run.value
        guard case .failure(.cancelled(let file)) = results.first else {
            Issue.record("expected the file to be stopped, got \(results)")
            return
        }
        #expect(file == "pubmed20n0014.xml.gz")
        #expect(try mirror.openIndex().counts().files == 1)
    }

    @Test func anInterruptDuringFetchsIndexPhaseKeepsTheDownloadsAndRollsTheFileBack() async throws {
        let root = try TestPaths.temporaryDirectory("served-fetch-interrupt")
        let baseline = root.appendingPathComponent("pubmed/baseline")
        try FileManager.default.createDirectory(at: baseline, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("pubmed/updatefiles"), withIntermediateDirectories: true)
        let file = baseline.appendingPathComponent("pubmed20n0014.xml.gz")
        try FileManager.default.copyItem(at: Self.full, to: file)
        try Data("MD5(pubmed20n0014.xml.gz)= \(try FileDigest.md5(of: file))\n".utf8).write(to: file.appendingPathExtension("md5"))
        let server = try await LoopbackServer.faultyFTP(root: root, arguments: [])
        let mirror = try TestPaths.temporaryDirectory("mirror-fetch-interrupt")
        let wal = mirror.appendingPathComponent("index.sqlite-wal").path
        let run = try await CLI.whileRunning(["fetch", "--source", server.baseURL.absoluteString, "--mirror", mirror.path]) { (pid) async throws in
            #expect(try await CLI.waitForFile(wal, atLeast: 4 << 20, seconds: 180, while: pid) > 0, "indexing got going")
            kill(pid, SIGINT)
        }
        #expect(run.status == 130 && run.signal == nil, "\(run.stderr)")
        // The download is in place and verified; the file being indexed left nothing in the index.
        #expect(FileManager.default.fileExists(atPath: mirror.appendingPathComponent("baseline/pubmed20n0014.xml.gz").path))
        let status = try CLITests.json(try await CLI.run(["status", "--mirror", mirror.path, "--format", "json"]).stdout)
        #expect((status["lastFetch"] as? [String: Any])?["outcome"] as? String == "interrupted")
        #expect((status["index"] as? [String: Any])?["files"] as? Int == 0)
        #expect((status["notIndexed"] as? [String]) == ["baseline/pubmed20n0014.xml.gz"])
        // The next run indexes it and downloads nothing.
        let rerun = try CLITests.json(try await CLI.run(["fetch", "--source", server.baseURL.absoluteString, "--mirror", mirror.path,
                                                         "--quiet", "--format", "json"]).stdout)
        #expect((rerun["downloaded"] as? [Any])?.isEmpty == true)
        #expect(((rerun["index"] as? [String: Any])?["applied"] as? [Any])?.count == 1)
    }
}
