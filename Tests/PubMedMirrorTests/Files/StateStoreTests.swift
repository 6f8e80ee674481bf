import Foundation
import GRDB
import Testing
@testable import PubMedFiles
@testable import PubMedListing
@testable import PubMedSupport

/// The state database on its own: what is saved comes back in NCBI's order, runs in the order they
/// ran, failures with their codes, and a database made by the first release migrates.
@Suite struct StateStoreTests {
    static func path() throws -> String {
        try TestPaths.temporaryDirectory("state").appendingPathComponent("state.sqlite").path
    }

    static func file(_ folder: MirrorFolder, _ cycle: Int, _ number: Int) -> MirroredFile {
        MirroredFile(folder: folder, file: PubMedFileName(cycle: cycle, number: number), status: .mirrored)
    }

    @Test func filesComeBackInNCBIOrderAndForgottenOnesAreGone() throws {
        let store = try StateStore(path: try Self.path())
        let files = [Self.file(.updatefiles, 26, 1335), Self.file(.baseline, 26, 2), Self.file(.baseline, 25, 1274), Self.file(.baseline, 26, 1)]
        try store.save(files)
        #expect(try store.files().map(\.name) == ["pubmed25n1274.xml.gz", "pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz"])
        try store.forget([files[2]])
        #expect(try store.files().count == 3)
        var changed = files[0]
        changed.fail(MirrorError.missingMD5(file: changed.name))
        try store.save(changed)
        let saved = try #require(try store.files().first { $0.name == changed.name })
        #expect(saved.lastErrorCode == "server.missing-md5")
        #expect(saved.lastError?.contains("publishes no") == true)
        changed.clearError()
        try store.save(changed)
        #expect(try store.files().first { $0.name == changed.name }?.lastErrorCode == nil)
    }

    @Test func runsAreJournalledNewestFirstWithTheirOutcome() throws {
        let store = try StateStore(path: try Self.path())
        var first = try store.startRun(source: "ftp://a/")
        first.finishedAt = Date()
        first.outcome = .failed
        first.error = "it broke"
        first.errorCode = "transfer.refused"
        try store.finish(first)
        let second = try store.startRun(source: "ftp://b/")
        #expect(second.id != nil && second.id != first.id)
        let runs = try store.runs(limit: 10)
        #expect(runs.map(\.source) == ["ftp://b/", "ftp://a/"])
        #expect(runs[0].outcome == nil, "still running")
        #expect(runs[1].outcome == .failed && runs[1].errorCode == "transfer.refused")
        #expect(try store.lastFinishedRun()?.source == "ftp://a/")
        #expect(try StateStore(path: store.path, readOnly: true).runs(limit: 1).first?.source == "ftp://b/")
    }

    @Test func aDatabaseOfTheFirstSchemaMigrates() throws {
        let path = try Self.path()
        // What version 1 created: the two tables, and GRDB's record of the migration.
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(sql: """
                CREATE TABLE mirroredFile (folder TEXT NOT NULL, name TEXT NOT NULL, cycle INTEGER NOT NULL, number INTEGER NOT NULL,
                    status TEXT NOT NULL, size INTEGER, md5 TEXT, remoteModified INTEGER, listedSize INTEGER, listedSizeTolerance INTEGER,
                    listedModified INTEGER, listedModifiedPrecision INTEGER, md5ListedSize INTEGER, md5ListedModified INTEGER,
                    md5ListedModifiedPrecision INTEGER, fetchedAt DATETIME, lastError TEXT, lastErrorAt DATETIME, PRIMARY KEY (folder, name));
                CREATE TABLE fetchRun (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, startedAt DATETIME NOT NULL,
                    finishedAt DATETIME, outcome TEXT, filesDownloaded INTEGER NOT NULL, bytesDownloaded INTEGER NOT NULL,
                    filesFailed INTEGER NOT NULL, requests INTEGER NOT NULL, error TEXT);
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1: files and runs');
                INSERT INTO mirroredFile (folder, name, cycle, number, status, lastError) VALUES ('baseline', 'pubmed26n0001.xml.gz', 26, 1, 'missing', 'old failure');
                INSERT INTO fetchRun (source, startedAt, outcome, filesDownloaded, bytesDownloaded, filesFailed, requests)
                    VALUES ('ftp://a/', '2026-01-01 00:00:00.000', 'partial', 0, 0, 1, 3);
                """)
        }
        try old.close()
        // Read-only, the old file still reads (no migration, no new column).
        #expect(try StateStore(path: path, readOnly: true).files().first?.lastError == "old failure")
        let store = try StateStore(path: path)
        let record = try #require(try store.files().first)
        #expect(record.lastError == "old failure" && record.lastErrorCode == nil)
        #expect(try store.runs(limit: 1).first?.outcome == .partial)
    }

    @Test func aStateDatabaseThatCannotBeOpenedIsALocalFailureNamingIt() throws {
        let folder = try TestPaths.temporaryDirectory("state-bad")
        let error = try #require(throws: MirrorError.self) { _ = try StateStore(path: folder.appendingPathComponent("none/state.sqlite").path) }
        #expect(error.code == .database)
        #expect(error.description.contains("none/state.sqlite: state database error"))
    }
}
