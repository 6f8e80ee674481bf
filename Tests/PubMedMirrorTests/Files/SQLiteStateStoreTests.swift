import Foundation
import GRDB
import Testing
@testable import PubMedFiles
@testable import PubMedListing
@testable import PubMedSupport

/// The folder's state database on its own: a database made by the first release migrates (what
/// every state store keeps is `MirrorStateSemanticsTests`).
@Suite struct SQLiteStateStoreTests {
    static func path() throws -> String {
        try TestPaths.temporaryDirectory("state").appendingPathComponent("state.sqlite").path
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
        #expect(try SQLiteStateStore(path: path, readOnly: true).files().first?.lastError == "old failure")
        let store = try SQLiteStateStore(path: path)
        let record = try #require(try store.files().first)
        #expect(record.lastError == "old failure" && record.lastErrorCode == nil)
        #expect(try store.runs(limit: 1).first?.outcome == .partial)
    }

    @Test func aStateDatabaseThatCannotBeOpenedIsALocalFailureNamingIt() throws {
        let folder = try TestPaths.temporaryDirectory("state-bad")
        let error = try #require(throws: MirrorError.self) { _ = try SQLiteStateStore(path: folder.appendingPathComponent("none/state.sqlite").path) }
        #expect(error.code == .database)
        #expect(error.description.contains("none/state.sqlite: state database error"))
    }
}
