import Foundation
import GRDB

/// The thesaurus file's schema, in named migrations (README, "MeSH thesaurus"):
///
/// - `descriptor`: `id`, `ui` (unique), `name`, `nameKey` (the name folded, indexed);
/// - `treeNumber`: `treeNumber` (the key, so that a prefix is a range scan), `descriptor`;
/// - `term`: `key` (an entry term folded), `descriptor`; the key is (`key`, `descriptor`);
/// - `thesaurus`: one row saying what it was built from (`MeshThesaurusInfo`);
/// - `qualifier`: `abbreviation` (two letters, lower case, the key), `name`: the qualifiers'
///   abbreviations, gathered from the descriptors' allowable qualifiers. Made by the builder, not
///   a migration, so that a thesaurus built before it keeps opening (it has no abbreviations, and
///   says so when one is searched): every thesaurus is built whole into a new file.
enum MeshSchema {
    static func createQualifiers(_ db: Database) throws {
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS qualifier (abbreviation TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID")
    }

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
}

/// The `thesaurus` table's one row.
extension MeshThesaurusInfo: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "thesaurus"
}
