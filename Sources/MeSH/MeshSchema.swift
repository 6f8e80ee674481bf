import Foundation
import GRDB

/// The thesaurus file's schema, in named migrations (README, "MeSH thesaurus"):
///
/// - `descriptor`: `id`, `ui` (unique), `name`, `nameKey` (the name folded, indexed);
/// - `treeNumber`: `treeNumber` (the key, so that a prefix is a range scan), `descriptor`;
/// - `term`: `key` (an entry term folded), `descriptor`; the key is (`key`, `descriptor`);
/// - `thesaurus`: one row saying what it was built from (`MeshThesaurusInfo`).
enum MeshSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: descriptors, tree numbers, terms") { db in
            try db.execute(sql: """
                CREATE TABLE descriptor (
                    id INTEGER PRIMARY KEY,
                    ui TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    nameKey TEXT NOT NULL
                );
                CREATE INDEX descriptorByNameKey ON descriptor(nameKey);
                CREATE TABLE treeNumber (
                    treeNumber TEXT NOT NULL PRIMARY KEY,
                    descriptor INTEGER NOT NULL REFERENCES descriptor(id)
                ) WITHOUT ROWID;
                CREATE INDEX treeNumberByDescriptor ON treeNumber(descriptor);
                CREATE TABLE term (
                    key TEXT NOT NULL,
                    descriptor INTEGER NOT NULL REFERENCES descriptor(id),
                    PRIMARY KEY (key, descriptor)
                ) WITHOUT ROWID;
                CREATE TABLE thesaurus (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    year INTEGER NOT NULL,
                    descriptors INTEGER NOT NULL,
                    sourceFile TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    md5 TEXT NOT NULL,
                    sourceURL TEXT,
                    remoteModified INTEGER,
                    builtAt TEXT NOT NULL
                );
                """)
        }
        return migrator
    }

    /// The `thesaurus` row.
    struct InfoRow: Codable, FetchableRecord, PersistableRecord {
        static let databaseTableName = "thesaurus"
        var id = 1
        var year: Int
        var descriptors: Int
        var sourceFile: String
        var size: Int64
        var md5: String
        var sourceURL: String?
        var remoteModified: Int64?
        var builtAt: Date

        init(_ info: MeshThesaurusInfo) {
            year = info.year
            descriptors = info.descriptors
            sourceFile = info.sourceFile
            size = info.size
            md5 = info.md5
            sourceURL = info.sourceURL
            remoteModified = info.remoteModified
            builtAt = info.builtAt
        }

        var info: MeshThesaurusInfo {
            MeshThesaurusInfo(year: year, descriptors: descriptors, sourceFile: sourceFile, size: size, md5: md5,
                              sourceURL: sourceURL, remoteModified: remoteModified, builtAt: builtAt)
        }
    }
}
