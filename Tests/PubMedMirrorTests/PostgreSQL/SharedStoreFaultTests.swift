import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedIndex
@testable import PubMedPostgreSQL
@testable import PubMedSupport

#if canImport(Glibc)
import Glibc
#endif

/// The shared store when things go wrong mid-file, each on a PostgreSQL server of its own: the
/// server restarted, the writer killed with SIGKILL, the server's disk full. The file being applied
/// is rolled back whole, the error says what happened, and a rerun applies it: the index then
/// exports exactly what the SQLite index of the same files exports. A reader polling during a run
/// sees only whole files.
@Suite(.heavyweight) struct SharedStoreFaultTests {
    static let baseline = TestPaths.sharedData.appendingPathComponent(RecordTestData.largerBaseline)
    static let update = TestPaths.sharedData.appendingPathComponent(RecordTestData.largerUpdate)

    /// The export of the SQLite index of `files`, for comparison.
    static func expectedExport(_ files: [URL]) async throws -> String {
        let mirror = try TestPaths.temporaryDirectory("fault-reference")
        let indexed = try await CLI.run(["index", "--mirror", mirror.path, "--quiet", "--file"] + files.map(\.path))
        #expect(indexed.status == 0, "\(indexed.stderr)")
        return try await CLI.run(["export", "--mirror", mirror.path]).stdout
    }

    /// The counts of the SQLite index after each of `files`: the states a reader may see.
    static func countsAfterEachFile(_ files: [URL]) throws -> [IndexCounts] {
        let store = try SQLiteRecordStore(path: try TestPaths.temporaryDirectory("fault-counts").appendingPathComponent("index.sqlite").path)
        return try files.enumerated().map { number, url in
            _ = try store.apply(FileIdentity(name: url.lastPathComponent, folder: "local", cycle: nil, number: number, md5: ""), contentsOf: url)
            return try store.counts()
        }
    }

    /// Waits until the `pubmed-mirror` session on `server` is applying a file (its transaction has
    /// read the high-water mark or sent rows).
    static func waitForTransaction(_ server: PostgreSQLServer, database: String, while pid: pid_t) async throws -> Bool {
        let watcher = try server.superuser(database: database)
        for _ in 0..<2000 {
            let open = try watcher.execute("""
                SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pubmed-mirror' AND xact_start IS NOT NULL
                  AND datname = current_database() AND pid <> pg_backend_pid() AND (query LIKE '%FOR UPDATE%' OR query LIKE 'COPY%' OR query LIKE 'SELECT pmid, version%')
                """).int(0, 0) ?? 0
            if open > 0 { return true }
            guard CLI.isRunning(pid) else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    @Test(arguments: ["server restarted", "writer killed"])
    func aFileInterruptedMidwayIsRolledBackAndTheRerunAppliesIt(fault: String) async throws {
        let server = try await PostgreSQLServer.start()
        defer { try? server.stop(mode: "immediate") }
        let (name, url) = try server.createDatabase()
        // The index exists (empty) first, so that the transaction waited for is a file's.
        _ = try PostgreSQLRecordStore(url: url)
        let mirror = try TestPaths.temporaryDirectory("fault-mirror")
        let arguments = ["index", "--mirror", mirror.path, "--database", url.text, "--quiet", "--file", Self.baseline.path, Self.update.path]
        var inTransaction = false
        let interrupted = try await CLI.whileRunning(Array(arguments.dropLast())) { pid in
            inTransaction = try await Self.waitForTransaction(server, database: name, while: pid)
            if fault == "writer killed" {
                kill(pid, SIGKILL)
            } else {
                try server.stop(mode: "fast")
                try server.startServer()
            }
        }
        #expect(inTransaction, "the run never opened a transaction: \(interrupted.stderr)")
        if fault == "writer killed" {
            #expect(interrupted.signal == SIGKILL)
        } else {
            #expect(interrupted.status == 5, "\(interrupted.status): \(interrupted.stderr)")
            #expect(interrupted.stderr.contains("terminat") || interrupted.stderr.contains("connection"), "\(interrupted.stderr)")
            #expect(interrupted.stderr.contains("rolled back"), "\(interrupted.stderr)")
        }
        // Nothing of the interrupted file is there.
        let store = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try store.appliedFiles().isEmpty)
        #expect(try store.counts().current == 0 && store.counts().highWaterMark == 0)

        let rerun = try await CLI.run(arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let export = try await CLI.run(["export", "--mirror", mirror.path, "--database", url.text])
        #expect(export.stdout == (try await Self.expectedExport([Self.baseline, Self.update])), "the rerun's index differs")
    }

    @Test func aReaderDuringARunSeesOnlyWholeFiles() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (_, url) = try server.createDatabase()
        let mirror = try TestPaths.temporaryDirectory("reader-mirror")
        // The index exists (empty) before the reader starts polling.
        _ = try PostgreSQLRecordStore(url: url)
        var seen = Set<String>()
        let run = try await CLI.whileRunning(["index", "--mirror", mirror.path, "--database", url.text, "--quiet", "--file",
                                              Self.baseline.path, Self.update.path]) { pid in
            let reader = try PostgreSQLRecordStore(url: url, readOnly: true)
            while CLI.isRunning(pid) {
                let counts = try reader.counts()
                seen.insert("\(counts.files) files, \(counts.current) current, mark \(counts.highWaterMark)")
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        #expect(run.status == 0, "\(run.stderr)")
        let whole = Set(["0 files, 0 current, mark 0"] + (try Self.countsAfterEachFile([Self.baseline, Self.update])).map { counts in
            "\(counts.files) files, \(counts.current) current, mark \(counts.highWaterMark)"
        })
        #expect(seen.isSubset(of: whole), "a reader saw part of a file: \(seen.subtracting(whole))")
        #expect(seen.count >= 2, "the reader saw \(seen)")
    }

    /// Drops every pubmed-mirror session of `database` (as an idle-session timeout, a pooler or a
    /// server restart does); returns how many.
    static func dropSessions(_ server: PostgreSQLServer, database: String) throws -> Int {
        try server.superuser(database: database).execute("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE application_name = 'pubmed-mirror' AND datname = current_database() AND pid <> pg_backend_pid()
            """).int(0, 0) ?? 0
    }

    /// A connection lost in the middle of an export is an error, never a second run of the export
    /// on a new connection (which would hand the records already given on a second time).
    @Test func anExportCutByTheServerFailsRatherThanStartingAgain() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let writer = try PostgreSQLRecordStore(url: url)
        _ = try writer.apply(FileIdentity(name: Self.baseline.lastPathComponent, folder: "baseline", cycle: 20, number: 1015, md5: ""),
                             contentsOf: Self.baseline)
        try writer.finishRun()
        let reader = try PostgreSQLRecordStore(url: url, readOnly: true)
        let total = try reader.counts().current  // and the connection is now pooled
        var delivered = 0
        var failed: (any Error)?
        do {
            _ = try reader.export(since: nil) { _ in
                delivered += 1
                if delivered == 1 {
                    let dropped = try Self.dropSessions(server, database: name)
                    #expect(dropped >= 1)
                }
            }
        } catch {
            failed = error
        }
        #expect(failed != nil, "the export went on after its connection was lost: \(delivered) of \(total) records delivered")
        #expect(delivered < total, "\(delivered) records delivered of \(total)")
        // The next read runs on a new connection.
        #expect(try reader.counts().current == total)
    }

    @Test func connectionsDroppedWhileIdleAreReplacedAndTheWriterTakesItsLockAgain() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let mirror = try TestPaths.temporaryDirectory("idle-mirror")
        #expect(try await CLI.run(["fetch", "--source", SharedStateTests.source, "--mirror", mirror.path, "--database", url.text, "--quiet"]).status == 0)
        // A resident reader (as `serve` is) and a writer of the state (as a long fetch is), both idle.
        let reader = try PostgreSQLRecordStore(url: url, readOnly: true)
        let ledger = PostgreSQLStateStore(readingFrom: url)
        let writer = try PostgreSQLStateStore(writingTo: url)
        let counts = try reader.counts()
        #expect(try ledger.files().count == 2)
        try writer.save(try writer.files())
        #expect(try Self.dropSessions(server, database: name) == 3)

        #expect(try reader.counts().current == counts.current, "the reader's pooled connection was replaced")
        #expect(try reader.record(pmid: 41584723, version: nil) != nil)
        #expect(try ledger.files().count == 2)
        var file = try #require(try writer.files().first)
        file.lastError = "recorded after the reconnection"
        try writer.save(file)
        #expect(try ledger.files().first?.lastError == "recorded after the reconnection")
        // The new writer connection holds the ledger lock again: a second writer is still refused.
        let refused = try #require(throws: MirrorError.self) { _ = try PostgreSQLStateStore(writingTo: url) }
        #expect(refused.code == .databaseLocked, "\(refused)")
    }

    /// The writer's connection lost between two files, and another writer applying a file in the
    /// meantime (it could take the lock then): the first run's next file is refused, not applied on
    /// a stale plan, and says why.
    @Test func aWriterWhoseLockLapsedStopsIfAnotherWroteMeanwhile() async throws {
        let server = try await PostgreSQLServer.shared.value
        let baseline = FileIdentity(name: "pubmed20n1015.xml.gz", folder: "baseline", cycle: 2020, number: 1015, md5: "")
        let update = FileIdentity(name: "pubmed20n1016.xml.gz", folder: "updatefiles", cycle: 2020, number: 1016, md5: "")
        /// A writer of a new database that applied the baseline, then lost its connection and
        /// found out by a statement whose failure nothing reports (as the merge after a file is):
        /// its next file takes a new connection and the lock again.
        func writerThatLostItsConnection() throws -> (store: PostgreSQLRecordStore, url: DatabaseURL) {
            let (name, url) = try server.createDatabase()
            let store = try PostgreSQLRecordStore(url: url)
            _ = try store.apply(baseline, contentsOf: Self.baseline)
            #expect(try Self.dropSessions(server, database: name) >= 1)
            _ = try? store.finishRun()
            return (store, url)
        }
        let (first, url) = try writerThatLostItsConnection()
        // (Its connection is gone, so it holds no lock: this one takes it, writes, and lets go.)
        _ = try PostgreSQLRecordStore(url: url).apply(update, contentsOf: Self.update)
        let marks = try PostgreSQLRecordStore(url: url, readOnly: true).counts().highWaterMark
        let refused = #expect(throws: IndexError.self) {
            _ = try first.apply(FileIdentity(name: "local.xml.gz", folder: "local", cycle: nil, number: 0, md5: ""), contentsOf: Self.update)
        }
        #expect(refused?.code == .databaseLocked, "\(String(describing: refused))")
        #expect(refused?.description.contains("another writer changed the index") == true, "\(String(describing: refused))")
        #expect(try PostgreSQLRecordStore(url: url, readOnly: true).counts().highWaterMark == marks, "nothing applied")
        // Alone, a lost connection changes nothing: the next file goes on after the lock is taken again.
        let (alone, _) = try writerThatLostItsConnection()
        _ = try alone.apply(update, contentsOf: Self.update)
        #expect(try alone.appliedFiles().count == 2)
    }

    /// The same before the run's first file: a writer that opened the index (and planned from it)
    /// and lost its connection before applying anything is refused if another wrote meanwhile.
    @Test func aWriterWhoseLockLapsedBeforeItsFirstFileStopsIfAnotherWroteMeanwhile() async throws {
        let server = try await PostgreSQLServer.shared.value
        let baseline = FileIdentity(name: "pubmed20n1015.xml.gz", folder: "baseline", cycle: 2020, number: 1015, md5: "")
        let update = FileIdentity(name: "pubmed20n1016.xml.gz", folder: "updatefiles", cycle: 2020, number: 1016, md5: "")
        let (name, url) = try server.createDatabase()
        _ = try PostgreSQLRecordStore(url: url).apply(baseline, contentsOf: Self.baseline)
        let first = try PostgreSQLRecordStore(url: url)
        #expect(try first.appliedFiles().map(\.name) == [baseline.name])
        #expect(try Self.dropSessions(server, database: name) >= 1)
        _ = try? first.finishRun()
        _ = try PostgreSQLRecordStore(url: url).apply(update, contentsOf: Self.update)
        let marks = try PostgreSQLRecordStore(url: url, readOnly: true).counts().highWaterMark
        let refused = #expect(throws: IndexError.self) { _ = try first.apply(update, contentsOf: Self.update) }
        #expect(refused?.code == .databaseLocked, "\(String(describing: refused))")
        #expect(refused?.description.contains("another writer changed the index") == true, "\(String(describing: refused))")
        #expect(try PostgreSQLRecordStore(url: url, readOnly: true).counts().highWaterMark == marks, "nothing applied")
    }

    /// A half-built rebuild's schema that a reader still holds is not waited for by the next
    /// rebuild (a long export could hold it for an hour): left, after at most 10 s, for a later run.
    @Test func aRebuildDoesNotWaitForAReaderOfAnOldRebuild() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let index = try PostgreSQLIndex(url: url, writable: true)
        let old = try index.openRebuild(at: Date(timeIntervalSince1970: 1_700_000_000))
        _ = try RecordStoreTests.apply(old, "f1", (1...3).map { RecordStoreTests.rec($0, title: "Old rebuild \($0)") })
        let reader = try server.superuser(database: name)
        _ = try reader.execute("BEGIN")
        _ = try reader.execute("SELECT count(*) FROM \(old.schema).article")
        let new = try index.openRebuild(at: Date(timeIntervalSince1970: 1_700_000_100))
        #expect(new.schema != old.schema)
        let left = try reader.execute("SELECT count(*) FROM pg_namespace WHERE nspname = $1", [old.schema]).int(0, 0)
        #expect(left == 1, "the old rebuild's schema is left while read")
        _ = try reader.execute("COMMIT")
        _ = try index.openRebuild(at: Date(timeIntervalSince1970: 1_700_000_200))
        #expect(try reader.execute("SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1::text[])",
                                   ["{\(old.schema),\(new.schema)}"]).int(0, 0) == 0, "both dropped by the next rebuild")
    }

    /// A new database of `server` whose tables are on a file system of 6 MB of their own (grown
    /// with `resize`).
    static func databaseOnASmallDisk(_ server: PostgreSQLServer) throws -> (DatabaseURL, SmallDisk) {
        let (name, url) = try server.createDatabase()
        let disk = try SmallDisk(kib: 6144)
        try PostgreSQLServer.run("/bin/chown", ["postgres:postgres", disk.url.path])
        try server.execute("CREATE TABLESPACE small_\(name) LOCATION '\(disk.url.path)'")
        try server.execute("ALTER DATABASE \(name) SET default_tablespace = small_\(name)")
        return (url, disk)
    }

    @Test func aFullDiskOnTheServerStopsTheFileCleanly() async throws {
        let server = try await PostgreSQLServer.start()
        defer { try? server.stop(mode: "immediate") }
        let (url, disk) = try Self.databaseOnASmallDisk(server)
        let mirror = try TestPaths.temporaryDirectory("full-mirror")
        let small = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2026/baseline/pubmed26n1334.xml.gz")
        let first = try await CLI.run(["index", "--mirror", mirror.path, "--database", url.text, "--quiet", "--file", small.path])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try await CLI.run(["export", "--mirror", mirror.path, "--database", url.text])

        let full = try await CLI.run(["index", "--mirror", mirror.path, "--database", url.text, "--quiet", "--file", Self.baseline.path])
        #expect(full.status == 4, "\(full.status): \(full.stderr)")
        #expect(full.stderr.contains("No space left") && full.stderr.contains("free space on the database server"), "\(full.stderr)")
        let after = try await CLI.run(["export", "--mirror", mirror.path, "--database", url.text])
        #expect(after.status == 0 && after.stdout == before.stdout, "the index changed: \(after.stderr)")

        try disk.resize(kib: 131072)
        let rerun = try await CLI.run(["index", "--mirror", mirror.path, "--database", url.text, "--quiet", "--file", Self.baseline.path])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let store = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try store.appliedFiles().map(\.name) == ["pubmed26n1334.xml.gz", "pubmed20n1015.xml.gz"])
        #expect(try store.counts().current == (try Self.countsAfterEachFile([small, Self.baseline]))[1].current)
    }

    /// A full disk fails every file after the first too: the run stops at that file, says what is
    /// left, and the next run (with space) applies both.
    @Test func aFullDiskOnTheServerStopsTheRunAtThatFile() async throws {
        let server = try await PostgreSQLServer.start()
        defer { try? server.stop(mode: "immediate") }
        let (url, disk) = try Self.databaseOnASmallDisk(server)
        // Two baseline files of one cycle, mirrored first.
        let tree = try TestPaths.temporaryDirectory("two-baselines")
        let folder = tree.appendingPathComponent("baseline")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("updatefiles"), withIntermediateDirectories: true)
        let large = TestPaths.sharedData.appendingPathComponent("ncbi-full/pubmed20n0014.xml.gz")
        for file in [large, Self.baseline] {
            let copy = folder.appendingPathComponent(file.lastPathComponent)
            try FileManager.default.copyItem(at: file, to: copy)
            try TestPaths.publishMD5(copy)
        }
        let mirror = try TestPaths.temporaryDirectory("stop-mirror")
        let fetched = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror.path, "--no-index", "--quiet"])
        try #require(fetched.status == 0, "\(fetched.stderr)")

        let full = try await CLI.run(["index", "--mirror", mirror.path, "--database", url.text])
        #expect(full.status == 4, "\(full.status): \(full.stderr)")
        #expect(full.stderr.contains("stopping: the 1 file after pubmed20n0014.xml.gz is left for the next run"), "\(full.stderr)")
        #expect(!full.stderr.contains("pubmed20n1015.xml.gz:"), "the second file was tried: \(full.stderr)")

        try disk.resize(kib: 1_048_576)
        let rerun = try await CLI.run(["index", "--mirror", mirror.path, "--database", url.text, "--quiet"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let store = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try store.appliedFiles().map(\.name) == ["pubmed20n0014.xml.gz", "pubmed20n1015.xml.gz"])
    }
}
