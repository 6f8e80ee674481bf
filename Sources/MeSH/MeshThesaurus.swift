import Foundation
import GRDB
import PubMedSupport

/// What a thesaurus was built from, and when: its one `thesaurus` row.
public struct MeshThesaurusInfo: Sendable, Equatable, Codable {
    /// The MeSH year (descriptors of MeSH 2026 are released in November 2025).
    public var year: Int
    public var descriptors: Int
    /// The descriptor file's name, size and MD5 as stored (compressed, for a `.gz`).
    public var sourceFile: String
    public var size: Int64
    public var md5: String
    /// Where it was downloaded from, and the server's modification time then (Unix seconds); nil
    /// for a thesaurus built from a local file.
    public var sourceURL: String?
    public var remoteModified: Int64?
    public var builtAt: Date

    public init(year: Int, descriptors: Int, sourceFile: String, size: Int64, md5: String,
                sourceURL: String? = nil, remoteModified: Int64? = nil, builtAt: Date = Date()) {
        self.year = year
        self.descriptors = descriptors
        self.sourceFile = sourceFile
        self.size = size
        self.md5 = md5
        self.sourceURL = sourceURL
        self.remoteModified = remoteModified
        self.builtAt = builtAt
    }
}

/// The MeSH thesaurus, read-only: descriptor names, entry terms and tree numbers, for MeSH
/// explosion (`[mh]`) and for mapping a term to its heading.
///
/// Opened on a file the builder renamed into place whole; a rebuild replaces the file, and a
/// thesaurus already open keeps reading the one it opened. `Sendable`: GRDB's queue serialises
/// the reads.
public final class MeshThesaurus: Sendable {
    public let path: String
    public let info: MeshThesaurusInfo
    private let database: DatabaseQueue

    private init(path: String, info: MeshThesaurusInfo, database: DatabaseQueue) {
        self.path = path
        self.info = info
        self.database = database
    }

    public var year: Int { info.year }

    /// Opens the thesaurus at `path`; a clear error when there is none, or when it is damaged or
    /// was built by a version with another schema.
    public static func open(at path: String) throws(MeshError) -> MeshThesaurus {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        do {
            let database = try SQLiteDatabase.open(path: path, readOnly: true, migrator: MeshSchema.migrator, busySeconds: 5)
            let info = try database.read { db throws -> MeshThesaurusInfo? in
                guard try MeshSchema.migrator.hasCompletedMigrations(db) else { return nil }
                guard try !MeshSchema.migrator.hasBeenSuperseded(db) else { return nil }
                return try MeshThesaurusInfo.fetchOne(db)
            }
            guard let info else {
                throw MeshError.unusable(path: path, message: "it was built by another version of pubmed-mirror (its schema differs)")
            }
            return MeshThesaurus(path: path, info: info, database: database)
        } catch let error as MeshError {
            throw error
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT, .SQLITE_ERROR].contains(error.resultCode) {
            throw .unusable(path: path, message: DatabaseFailure.describe(error))
        } catch {
            throw .database(DatabaseFailure(path: path, role: "MeSH thesaurus", error: error))
        }
    }

    /// The descriptor name for a descriptor name or any entry term, case- and
    /// diacritic-insensitively; nil if none. A term that is the name of one descriptor and an entry
    /// term of another maps to the first; among several descriptors sharing an entry term, the
    /// first by name is taken.
    public func heading(for term: String) throws(MeshError) -> String? {
        let key = Self.key(term)
        guard !key.isEmpty else { return nil }
        return try read { db in
            if let name = try String.fetchOne(db, sql: "SELECT name FROM descriptor WHERE nameKey = ? ORDER BY name LIMIT 1", arguments: [key]) {
                return name
            }
            return try String.fetchOne(db, sql: """
                SELECT d.name FROM term t JOIN descriptor d ON d.id = t.descriptor
                WHERE t.key = ? ORDER BY d.name LIMIT 1
                """, arguments: [key])
        }
    }

    /// The heading itself and every descriptor under any of its tree numbers (tree number prefix
    /// + "."), by name, without duplicates. `heading` is a descriptor name (case- and
    /// diacritic-insensitively); empty when there is no such descriptor.
    public func narrower(than heading: String) throws(MeshError) -> [String] {
        let key = Self.key(heading)
        guard !key.isEmpty else { return [] }
        return try read { db in try String.fetchAll(db, sql: Self.narrowerSQL, arguments: [key]) }
    }

    /// The heading named by the key ?1 and every descriptor below it. Each of the heading's tree
    /// numbers T is a range scan of the treeNumber key: T + "." ≤ n < T + "/" ("/" follows "." in
    /// ASCII) is exactly every n below T, and never a sibling that merely starts with the same
    /// digits (C04.5 is not above C04.55).
    static let narrowerSQL = """
        SELECT name FROM descriptor WHERE nameKey = ?1
        UNION
        SELECT below.name
        FROM descriptor heading
        JOIN treeNumber root ON root.descriptor = heading.id
        JOIN treeNumber under ON under.treeNumber >= root.treeNumber || '.' AND under.treeNumber < root.treeNumber || '/'
        JOIN descriptor below ON below.id = under.descriptor
        WHERE heading.nameKey = ?1
        ORDER BY 1
        """

    /// The qualifier whose two-letter abbreviation is `abbreviation` (`dt`: "drug therapy"), in
    /// any case; nil for none, or in a thesaurus built before abbreviations were kept.
    public func qualifier(abbreviated abbreviation: String) throws(MeshError) -> String? {
        guard abbreviation.count == 2 else { return nil }
        return try read { db in
            guard try db.tableExists("qualifier") else { return nil }
            return try String.fetchOne(db, sql: "SELECT name FROM qualifier WHERE abbreviation = ?", arguments: [abbreviation.lowercased()])
        }
    }

    /// How many descriptors the thesaurus holds.
    public func count() throws(MeshError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM descriptor") ?? 0 }
    }

    /// How terms are compared: case- and diacritic-folded, surrounding white space dropped.
    public static func key(_ term: String) -> String {
        term.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func read<T>(_ body: (Database) throws -> T) throws(MeshError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw .database(DatabaseFailure(path: path, role: "MeSH thesaurus", error: error))
        }
    }
}
