import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedPostgreSQL
@testable import PubMedSupport

/// The two places a mirror's state is kept.
enum StateKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }

    /// A new, empty, writable state: `state.sqlite` in a folder of the test's, or the ledger of a
    /// database of its own on the shared PostgreSQL server.
    func make() async throws -> any MirrorState {
        switch self {
        case .sqlite:
            return try SQLiteStateStore(path: try TestPaths.temporaryDirectory("state").appendingPathComponent("state.sqlite").path)
        case .postgresql:
            let server = try await PostgreSQLServer.shared.value
            return try PostgreSQLStateStore(writingTo: try server.createDatabase().url)
        }
    }
}

/// What every state store keeps, field for field: files in NCBI's order, forgotten ones gone,
/// failures with their codes, runs newest first with their ids, and what publish targets hold.
@Suite struct MirrorStateSemanticsTests {
    static func file(_ folder: MirrorFolder, _ cycle: Int, _ number: Int) -> MirroredFile {
        MirroredFile(folder: folder, file: PubMedFileName(cycle: cycle, number: number), status: .mirrored)
    }

    /// A file with every field set (dates to the millisecond, as both stores keep them exactly).
    static func detailed() -> MirroredFile {
        var file = file(.updatefiles, 26, 1335)
        file.size = 31_415_926
        file.md5 = "0123456789abcdef0123456789abcdef"
        file.remoteModified = 1_765_000_000
        file.listedSize = 31_000_000
        file.listedSizeTolerance = 51_200
        file.listedModified = 1_765_000_060
        file.listedModifiedPrecision = 2
        file.md5ListedSize = 60
        file.md5ListedModified = 1_765_000_120
        file.md5ListedModifiedPrecision = 1
        file.fetchedAt = Date(timeIntervalSince1970: 1_765_000_200.125)
        file.fail(MirrorError.missingMD5(file: file.name))
        file.lastErrorAt = Date(timeIntervalSince1970: 1_765_000_300.5)
        return file
    }

    @Test(arguments: StateKind.allCases) func filesComeBackWholeInNCBIOrderAndForgottenOnesAreGone(kind: StateKind) async throws {
        let store = try await kind.make()
        #expect(try store.isEmpty())
        let files = [Self.detailed(), Self.file(.baseline, 26, 2), Self.file(.baseline, 25, 1274), Self.file(.baseline, 26, 1)]
        try store.save(files)
        #expect(try !store.isEmpty())
        #expect(try store.files().map(\.name) == ["pubmed25n1274.xml.gz", "pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz"])
        #expect(try store.files().last == Self.detailed(), "every field, dates included, comes back as saved")
        try store.forget([files[2]])
        #expect(try store.files().count == 3)

        var changed = try #require(try store.files().last)
        changed.clearError()
        changed.status = .damaged
        try store.save(changed)
        let saved = try #require(try store.files().last)
        #expect(saved.lastErrorCode == nil && saved.lastError == nil && saved.status == .damaged)
        #expect(try store.files().count == 3, "saving a known file replaces it")
    }

    @Test(arguments: StateKind.allCases) func runsAreJournalledNewestFirstWithTheirOutcome(kind: StateKind) async throws {
        let store = try await kind.make()
        var first = try store.startRun(source: "ftp://a/")
        first.finishedAt = Date(timeIntervalSince1970: 1_765_000_000.25)
        first.outcome = .failed
        first.error = "it broke"
        first.errorCode = "transfer.refused"
        first.filesDownloaded = 3
        first.bytesDownloaded = 5_000_000_000
        first.requests = 12
        try store.finish(first)
        let second = try store.startRun(source: "ftp://b/")
        #expect(second.id != nil && first.id != nil && second.id! > first.id!)
        let runs = try store.runs(limit: 10)
        #expect(runs.map(\.source) == ["ftp://b/", "ftp://a/"])
        #expect(runs[0].outcome == nil, "still running")
        #expect(runs[1].outcome == .failed && runs[1].errorCode == "transfer.refused" && runs[1].bytesDownloaded == 5_000_000_000)
        #expect(runs[1].finishedAt == first.finishedAt && runs[1].requests == 12)
        #expect(abs(runs[1].startedAt.timeIntervalSince(first.startedAt)) < 0.001)
        #expect(try store.runs(limit: 1).map(\.source) == ["ftp://b/"])
    }

    @Test(arguments: StateKind.allCases) func publishTargetsKeepTheirFilesAndNewestRun(kind: StateKind) async throws {
        let store = try await kind.make()
        var placed = PublishedFile(target: "sftp://mirror.lab/pubmed", folder: .baseline, name: "pubmed26n0001.xml.gz")
        placed.size = 100
        placed.md5 = "aa"
        placed.publishedAt = Date(timeIntervalSince1970: 1_765_000_000)
        var failing = PublishedFile(target: "sftp://mirror.lab/pubmed", folder: .baseline, name: "pubmed26n0002.xml.gz")
        failing.pendingMD5 = "bb"
        failing.fail(MirrorError.missingMD5(file: failing.name))
        let elsewhere = PublishedFile(target: "ftp://other/", folder: .updatefiles, name: "pubmed26n1335.xml.gz")
        for file in [placed, failing, elsewhere] { try store.save(file) }
        #expect(try store.publishedFiles(target: "sftp://mirror.lab/pubmed").map(\.name) == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz"])
        #expect(try store.publishedFiles(target: "sftp://mirror.lab/pubmed").last?.pendingMD5 == "bb")

        var old = try store.startPublishRun(target: "sftp://mirror.lab/pubmed")
        old.outcome = .partial
        old.finishedAt = Date()
        try store.finish(old)
        var newest = try store.startPublishRun(target: "sftp://mirror.lab/pubmed")
        newest.outcome = .updated
        newest.filesUploaded = 1
        newest.bytesUploaded = 100
        try store.finish(newest)

        let targets = try store.publishTargets()
        #expect(targets.map(\.target) == ["sftp://mirror.lab/pubmed"], "a target with nothing in place and nothing failing is not listed: \(targets)")
        let target = try #require(targets.first)
        #expect(target.files == 2 && target.bytes == 100 && target.failing == 1 && target.lastPublished == placed.publishedAt)
        #expect(target.lastRun?.id == newest.id && target.lastRun?.outcome == .updated && target.lastRun?.bytesUploaded == 100)

        try store.forget([placed])
        #expect(try store.publishedFiles(target: "sftp://mirror.lab/pubmed").map(\.name) == ["pubmed26n0002.xml.gz"])
    }

    // MARK: The database's ledger only

    @Test func aSecondWriterIsRefusedAndReadersNeedNoLock() async throws {
        let server = try await PostgreSQLServer.shared.value
        let url = try server.createDatabase().url
        let reader = PostgreSQLStateStore(readingFrom: url)
        #expect(try reader.files().isEmpty && reader.isEmpty(), "a database no writer has prepared holds an empty ledger")
        #expect(try reader.runs(limit: 5).isEmpty && reader.publishTargets().isEmpty)
        // Found by asking the catalog, not by failing: no ERROR in the server's log for it (any
        // test's reader would have written this line, so the whole log is read).
        let log = try String(contentsOf: server.folder.appendingPathComponent("server.log"), encoding: .utf8)
        let failed = ["mirrored_file", "fetch_run", "published_file", "publish_run"].filter { log.contains("relation \"pubmed_mirror.\($0)\" does not exist") }
        #expect(failed.isEmpty, "queried and failed: \(failed)")
        do {
            let first = try PostgreSQLStateStore(writingTo: url)
            try first.save([Self.file(.baseline, 26, 1)])
            let error = try #require(throws: MirrorError.self) { _ = try PostgreSQLStateStore(writingTo: url) }
            #expect(error.code == .databaseLocked && error.description.contains("another pubmed-mirror is writing"), "\(error)")
            // Publish writes beside a fetch without the lock.
            let publishing = try PostgreSQLStateStore(writingTo: url, exclusive: false)
            try publishing.save(PublishedFile(target: "ftp://t/", folder: .baseline, name: "pubmed26n0001.xml.gz"))
            #expect(try reader.files().map(\.name) == ["pubmed26n0001.xml.gz"])
            withExtendedLifetime(first) {}
        }
        // The lock is given back when the writer goes, not when the server notices its session end:
        // the next run, started at once, may write.
        for _ in 0..<20 { _ = try PostgreSQLStateStore(writingTo: url) }
        for _ in 0..<20 { _ = try PostgreSQLIndex(url: url, writable: true) }
    }

    @Test func twoMachinesNeverPublishToOneTargetAtOnce() async throws {
        let server = try await PostgreSQLServer.shared.value
        let url = try server.createDatabase().url
        do {
            let first = try PostgreSQLStateStore(writingTo: url, exclusive: false)
            let second = try PostgreSQLStateStore(writingTo: url, exclusive: false)
            try first.lockTarget("sftp://mirror.lab/pubmed")
            let refused = try #require(throws: MirrorError.self) { try second.lockTarget("sftp://mirror.lab/pubmed") }
            #expect(refused.code == .databaseLocked && refused.description.contains("another pubmed-mirror is publishing to sftp://mirror.lab/pubmed"),
                    "\(refused)")
            try second.lockTarget("ftp://other.lab/pubmed")
            // A fetch (the ledger's lock) goes on beside both.
            _ = try PostgreSQLStateStore(writingTo: url)
            withExtendedLifetime(first) {}
        }
        // Given back when the publisher goes.
        try PostgreSQLStateStore(writingTo: url, exclusive: false).lockTarget("sftp://mirror.lab/pubmed")
    }

    @Test func aFolderStateIsAdoptedOnlyByAnEmptyLedgerAndRunIdsGoOnFromIt() async throws {
        let server = try await PostgreSQLServer.shared.value
        let local = try await StateKind.sqlite.make()
        try local.save([Self.detailed(), Self.file(.baseline, 26, 1)])
        for source in ["ftp://a/", "ftp://b/"] { try local.finish(try local.startRun(source: source)) }
        try local.save(PublishedFile(target: "ftp://t/", folder: .baseline, name: "pubmed26n0001.xml.gz"))
        try local.finish(try local.startPublishRun(target: "ftp://t/"))
        let contents = try #require(local as? SQLiteStateStore).contents()

        let shared = try PostgreSQLStateStore(writingTo: try server.createDatabase().url)
        #expect(try shared.adopt(contents))
        #expect(try shared.files() == local.files())
        #expect(try shared.runs(limit: 10).map(\.id) == local.runs(limit: 10).map(\.id))
        #expect(try shared.publishedFiles(target: "ftp://t/") == local.publishedFiles(target: "ftp://t/"))
        let next = try shared.startRun(source: "ftp://c/")
        #expect(next.id == 3, "ids go on after the adopted runs")
        #expect(try !shared.adopt(contents), "a ledger that holds anything is never overwritten")
        #expect(try shared.runs(limit: 10).count == 3)
    }

    @Test func ledgerTablesOfANewerVersionAreRefused() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        _ = try PostgreSQLStateStore(writingTo: url)
        try server.execute("UPDATE pubmed_mirror.ledger_meta SET value = '9' WHERE key = 'ledger_version'", database: name)
        let error = try #require(throws: MirrorError.self) { _ = try PostgreSQLStateStore(writingTo: url) }
        #expect(error.description.contains("made by a newer pubmed-mirror") && error.description.contains("upgrade"), "\(error)")
    }
}
