import Foundation
import GRDB
import PubMedListing
import PubMedSupport

/// One file of the mirror as the state database knows it.
public struct MirroredFile: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "mirroredFile"

    public enum Status: String, Codable, Sendable, Equatable {
        /// Verified against its published `.md5` and in place.
        case mirrored
        /// Listed but never successfully downloaded (see `lastError`).
        case missing
        /// `verify` found that the local copy no longer matches its MD5.
        case damaged
        /// No longer on the server; the local copy is kept.
        case gone
    }

    public var folder: MirrorFolder
    public var name: String
    public var cycle: Int
    public var number: Int
    public var status: Status
    /// Exact size, MD5 and remote modification time of the local copy, when there is one.
    public var size: Int64?
    public var md5: String?
    public var remoteModified: Int64?
    /// What the listing said of the file and of its `.md5` when it was last planned: the planner
    /// compares the next listing with these, never with exact values from another source.
    public var listedSize: Int64?
    public var listedSizeTolerance: Int64?
    public var listedModified: Int64?
    public var listedModifiedPrecision: Int?
    public var md5ListedSize: Int64?
    public var md5ListedModified: Int64?
    public var md5ListedModifiedPrecision: Int?
    /// When the local copy was last downloaded and verified.
    public var fetchedAt: Date?
    /// The last failure to bring the file up to date, and its code; cleared on success.
    public var lastError: String?
    public var lastErrorCode: String?
    public var lastErrorAt: Date?

    public enum Columns {
        public static let folder = Column(CodingKeys.folder)
        public static let name = Column(CodingKeys.name)
        public static let cycle = Column(CodingKeys.cycle)
        public static let number = Column(CodingKeys.number)
    }

    public var fileName: PubMedFileName { PubMedFileName(cycle: cycle, number: number) }

    public init(folder: MirrorFolder, file: PubMedFileName, status: Status) {
        self.folder = folder
        self.name = file.name
        self.cycle = file.cycle
        self.number = file.number
        self.status = status
    }

    /// Records a failure to bring the file up to date.
    public mutating func fail(_ error: some CodedError) {
        lastError = error.description
        lastErrorCode = error.code.name
        lastErrorAt = Date()
    }

    public mutating func clearError() {
        lastError = nil
        lastErrorCode = nil
        lastErrorAt = nil
    }

    var listedSizeHint: SizeHint? {
        guard let listedSize else { return nil }
        let tolerance = listedSizeTolerance ?? 0
        return tolerance == 0 ? .exact(listedSize) : .approximate(bytes: listedSize, tolerance: tolerance)
    }

    var listedStamp: RemoteTimestamp? {
        Self.stamp(listedModified, listedModifiedPrecision)
    }

    var md5ListedStamp: RemoteTimestamp? {
        Self.stamp(md5ListedModified, md5ListedModifiedPrecision)
    }

    /// Remembers what this listing said, for the next plan.
    mutating func remember(_ remote: RemoteFile) {
        switch remote.data.size {
        case .exact(let bytes)?: listedSize = bytes; listedSizeTolerance = 0
        case .approximate(let bytes, let tolerance)?: listedSize = bytes; listedSizeTolerance = tolerance
        case nil: listedSize = nil; listedSizeTolerance = nil
        }
        listedModified = remote.data.modified?.seconds
        listedModifiedPrecision = remote.data.modified?.precision.rawValue
        md5ListedSize = remote.md5?.size?.estimate
        md5ListedModified = remote.md5?.modified?.seconds
        md5ListedModifiedPrecision = remote.md5?.modified?.precision.rawValue
    }

    private static func stamp(_ seconds: Int64?, _ precision: Int?) -> RemoteTimestamp? {
        guard let seconds, let precision, let unit = RemoteTimestamp.Precision(rawValue: precision) else { return nil }
        return RemoteTimestamp(seconds: seconds, precision: unit)
    }
}

/// One run of `fetch`, as recorded for `status`.
public struct FetchRun: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "fetchRun"

    public enum Outcome: String, Codable, Sendable {
        /// Nothing needed doing.
        case upToDate = "up-to-date"
        /// Files were downloaded, confirmed or indexed, and none failed.
        case updated
        /// Some files failed; every file in place is verified.
        case partial
        /// A failure that dooms every file (disk full, login, TLS trust) stopped the run.
        case failed
        /// Cancelled by a signal; partial downloads are kept for the next run to resume.
        case interrupted

        /// Whether the run brought the mirror fully up to date.
        public var isSuccess: Bool { self == .upToDate || self == .updated }
    }

    public var id: Int64?
    public var source: String
    public var startedAt: Date
    public var finishedAt: Date?
    /// nil while running (or when the run was killed).
    public var outcome: Outcome?
    public var filesDownloaded: Int = 0
    public var bytesDownloaded: Int64 = 0
    public var filesFailed: Int = 0
    public var requests: Int = 0
    /// What stopped the run, and its code.
    public var error: String?
    public var errorCode: String?

    public init(source: String, startedAt: Date) {
        self.source = source
        self.startedAt = startedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let finishedAt = Column(CodingKeys.finishedAt)
    }
}

/// The mirror's state database, `DIR/state.sqlite` (the default `MirrorState`): what is mirrored,
/// with which size and MD5, and what the server listed, plus a journal of fetch runs. One writer
/// (the locked fetch); readers such as `status` may run at the same time (WAL).
public final class SQLiteStateStore: MirrorState {
    public let path: String
    public var location: String { path }
    private let database: DatabaseQueue

    public init(path: String, readOnly: Bool = false) throws(MirrorError) {
        self.path = path
        do {
            database = try SQLiteDatabase.open(path: path, readOnly: readOnly, migrator: Self.migrator,
                                               busySeconds: 10)
        } catch {
            throw .database(DatabaseFailure(path: path, role: "state database", error: error))
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: files and runs") { db in
            try db.create(table: "mirroredFile") { t in
                t.column("folder", .text).notNull()
                t.column("name", .text).notNull()
                t.column("cycle", .integer).notNull()
                t.column("number", .integer).notNull()
                t.column("status", .text).notNull()
                t.column("size", .integer)
                t.column("md5", .text)
                t.column("remoteModified", .integer)
                t.column("listedSize", .integer)
                t.column("listedSizeTolerance", .integer)
                t.column("listedModified", .integer)
                t.column("listedModifiedPrecision", .integer)
                t.column("md5ListedSize", .integer)
                t.column("md5ListedModified", .integer)
                t.column("md5ListedModifiedPrecision", .integer)
                t.column("fetchedAt", .datetime)
                t.column("lastError", .text)
                t.column("lastErrorAt", .datetime)
                t.primaryKey(["folder", "name"])
            }
            try db.create(table: "fetchRun") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("source", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("outcome", .text)
                t.column("filesDownloaded", .integer).notNull()
                t.column("bytesDownloaded", .integer).notNull()
                t.column("filesFailed", .integer).notNull()
                t.column("requests", .integer).notNull()
                t.column("error", .text)
            }
        }
        migrator.registerMigration("v2: error codes") { db in
            try db.alter(table: "mirroredFile") { t in t.add(column: "lastErrorCode", .text) }
            try db.alter(table: "fetchRun") { t in t.add(column: "errorCode", .text) }
        }
        migrator.registerMigration("v3: publish targets") { db in
            try db.create(table: "publishedFile") { t in
                t.column("target", .text).notNull()
                t.column("folder", .text).notNull()
                t.column("name", .text).notNull()
                t.column("size", .integer)
                t.column("md5", .text)
                t.column("publishedAt", .datetime)
                t.column("pendingMD5", .text)
                t.column("lastError", .text)
                t.column("lastErrorCode", .text)
                t.column("lastErrorAt", .datetime)
                t.primaryKey(["target", "folder", "name"])
            }
            try db.create(table: "publishRun") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("target", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("finishedAt", .datetime)
                t.column("outcome", .text)
                t.column("filesUploaded", .integer).notNull()
                t.column("bytesUploaded", .integer).notNull()
                t.column("filesDeleted", .integer).notNull()
                t.column("filesFailed", .integer).notNull()
                t.column("requests", .integer).notNull()
                t.column("error", .text)
                t.column("errorCode", .text)
            }
        }
        return migrator
    }

    public func files() throws(MirrorError) -> [MirroredFile] {
        try read { db in
            try MirroredFile.order(MirroredFile.Columns.folder, MirroredFile.Columns.cycle, MirroredFile.Columns.number).fetchAll(db)
        }
    }

    public func save(_ file: MirroredFile) throws(MirrorError) {
        try write { db in try file.save(db) }
    }

    public func save(_ files: [MirroredFile]) throws(MirrorError) {
        try write { db in for file in files { try file.save(db) } }
    }

    public func forget(_ files: [MirroredFile]) throws(MirrorError) {
        try write { db in
            for file in files { _ = try MirroredFile.deleteOne(db, key: [MirroredFile.Columns.folder.name: file.folder.rawValue, MirroredFile.Columns.name.name: file.name]) }
        }
    }

    public func startRun(source: String) throws(MirrorError) -> FetchRun {
        try write { db in
            var run = FetchRun(source: source, startedAt: Date())
            try run.insert(db)
            return run
        }
    }

    public func finish(_ run: FetchRun) throws(MirrorError) {
        try write { db in try run.update(db) }
    }

    public func runs(limit: Int) throws(MirrorError) -> [FetchRun] {
        try read { db in try FetchRun.order(FetchRun.Columns.id.desc).limit(limit).fetchAll(db) }
    }

    /// Everything in the database, to move it into another store.
    public func contents() throws(MirrorError) -> StateContents {
        try read { db in
            var contents = StateContents()
            contents.files = try MirroredFile.order(MirroredFile.Columns.folder, MirroredFile.Columns.cycle, MirroredFile.Columns.number).fetchAll(db)
            contents.runs = try FetchRun.order(FetchRun.Columns.id).fetchAll(db)
            if try db.tableExists(PublishedFile.databaseTableName) {
                contents.publishedFiles = try PublishedFile.order(PublishedFile.Columns.target, PublishedFile.Columns.folder, PublishedFile.Columns.name).fetchAll(db)
                contents.publishRuns = try PublishRun.order(PublishRun.Columns.id).fetchAll(db)
            }
            return contents
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(MirrorError) -> T {
        do { return try database.read(body) } catch { throw .database(DatabaseFailure(path: path, role: "state database", error: error)) }
    }

    func write<T>(_ body: (Database) throws -> T) throws(MirrorError) -> T {
        do { return try database.write(body) } catch { throw .database(DatabaseFailure(path: path, role: "state database", error: error)) }
    }

}
