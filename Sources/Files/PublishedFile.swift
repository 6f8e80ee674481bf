import Foundation
import GRDB
import PubMedListing
import PubMedSupport

/// One file of the mirror as a publish target holds it (`publish`): what was last put there and
/// whether an upload of it is under way. Kept per target in the state database.
public struct PublishedFile: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "publishedFile"

    /// The target's URL, as `publish --target` names it (never with credentials).
    public var target: String
    public var folder: MirrorFolder
    public var name: String
    /// Size and MD5 of the file in place under its real name (nil until one is).
    public var size: Int64?
    public var md5: String?
    public var publishedAt: Date?
    /// The MD5 of the file an upload to the temporary name was started for: a later run resumes
    /// that upload only when it still sends the same file.
    public var pendingMD5: String?
    /// The last failure to publish the file, and its code; cleared on success.
    public var lastError: String?
    public var lastErrorCode: String?
    public var lastErrorAt: Date?

    public init(target: String, folder: MirrorFolder, name: String) {
        self.target = target
        self.folder = folder
        self.name = name
    }

    public mutating func fail(_ error: some CodedError) {
        lastError = error.description
        lastErrorCode = error.code.name
        lastErrorAt = Date()
    }

    public enum Columns {
        public static let target = Column(CodingKeys.target)
        public static let folder = Column(CodingKeys.folder)
        public static let name = Column(CodingKeys.name)
    }
}

/// One run of `publish`, as recorded for `status`.
public struct PublishRun: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "publishRun"

    public enum Outcome: String, Codable, Sendable {
        /// The target already held every file.
        case upToDate = "up-to-date"
        /// Files were sent or deleted, and none failed.
        case updated
        /// Some files failed; every file in place under a real name is complete.
        case partial
        /// A failure that dooms every file (login, no room, host key) stopped the run.
        case failed
        /// Stopped by a signal; an upload cut short is resumed by the next run.
        case interrupted
    }

    public var id: Int64?
    public var target: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: Outcome?
    public var filesUploaded: Int = 0
    public var bytesUploaded: Int64 = 0
    public var filesDeleted: Int = 0
    public var filesFailed: Int = 0
    public var requests: Int = 0
    public var error: String?
    public var errorCode: String?

    public init(target: String, startedAt: Date) {
        self.target = target
        self.startedAt = startedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let target = Column(CodingKeys.target)
        public static let finishedAt = Column(CodingKeys.finishedAt)
    }
}

extension SQLiteStateStore {
    public func publishedFiles(target: String) throws(MirrorError) -> [PublishedFile] {
        try read { db in try PublishedFile.filter(PublishedFile.Columns.target == target).fetchAll(db) }
    }

    public func save(_ file: PublishedFile) throws(MirrorError) {
        try write { db in try file.save(db) }
    }

    public func forget(_ files: [PublishedFile]) throws(MirrorError) {
        try write { db in
            for file in files {
                _ = try PublishedFile.filter(PublishedFile.Columns.target == file.target && PublishedFile.Columns.folder == file.folder.rawValue
                                             && PublishedFile.Columns.name == file.name).deleteAll(db)
            }
        }
    }

    public func startPublishRun(target: String) throws(MirrorError) -> PublishRun {
        try write { db in
            var run = PublishRun(target: target, startedAt: Date())
            try run.insert(db)
            return run
        }
    }

    public func finish(_ run: PublishRun) throws(MirrorError) {
        try write { db in try run.update(db) }
    }

    public func publishTargets() throws(MirrorError) -> [PublishedTarget] {
        try read { db in
            // A database no fetch has opened for writing since publish came (read-only: not migrated).
            guard try db.tableExists("publishedFile") else { return [] }
            let rows = try Row.fetchAll(db, sql: """
                SELECT target, count(*) AS files, coalesce(sum(size), 0) AS bytes, max(publishedAt) AS lastPublished,
                       sum(lastError IS NOT NULL) AS failing
                FROM publishedFile WHERE md5 IS NOT NULL OR lastError IS NOT NULL GROUP BY target ORDER BY target
                """)
            var targets: [String: PublishedTarget] = [:]
            for row in rows {
                let target: String = row["target"]
                targets[target] = PublishedTarget(target: target, files: row["files"], bytes: row["bytes"],
                                                  lastPublished: row["lastPublished"], failing: row["failing"])
            }
            let runs = try PublishRun.filter(sql: "id IN (SELECT max(id) FROM publishRun GROUP BY target)").fetchAll(db)
            for run in runs {
                targets[run.target, default: PublishedTarget(target: run.target)].lastRun = run
            }
            return targets.values.sorted { $0.target < $1.target }
        }
    }
}

/// What `status` tells of one publish target.
public struct PublishedTarget: Sendable, Equatable {
    public var target: String
    /// Files in place there (or failing to get there), and their bytes.
    public var files = 0
    public var bytes: Int64 = 0
    public var lastPublished: Date?
    /// Files whose last upload failed.
    public var failing = 0
    public var lastRun: PublishRun?

    public init(target: String, files: Int = 0, bytes: Int64 = 0, lastPublished: Date? = nil, failing: Int = 0, lastRun: PublishRun? = nil) {
        self.target = target
        self.files = files
        self.bytes = bytes
        self.lastPublished = lastPublished
        self.failing = failing
        self.lastRun = lastRun
    }
}
