import Foundation
import GRDB
import PubMedSupport

/// Builds a thesaurus from a descriptor file into a temporary file beside `destination`, and
/// renames it into place only once the whole file has parsed (root `DescriptorRecordSet`, at least
/// one descriptor) and every row is written and flushed: a reader sees the old thesaurus or the
/// new one, never half of one, and a damaged file leaves the old one in place.
public enum MeshThesaurusBuilder {
    /// Where the file comes from, for the thesaurus's `thesaurus` row.
    public struct Origin: Sendable {
        /// The file's name, when it is read under another (a download checked as `NAME.partial`).
        public var fileName: String?
        /// The MeSH year when the caller knows it (`--year`, the file's name); else the file tells.
        public var year: Int?
        public var sourceURL: String?
        public var remoteModified: Int64?

        public init(fileName: String? = nil, year: Int? = nil, sourceURL: String? = nil, remoteModified: Int64? = nil) {
            self.fileName = fileName
            self.year = year
            self.sourceURL = sourceURL
            self.remoteModified = remoteModified
        }
    }

    /// Blocking: run it on a thread of its own. One connection, one transaction.
    public static func build(from file: URL, to destination: URL, origin: Origin = Origin(),
                             cancellation: CancellationFlag = CancellationFlag()) throws(MeshError) -> MeshThesaurusInfo {
        let folder = destination.deletingLastPathComponent()
        do throws(FileSystemError) { try FileSystem.createDirectory(folder) } catch { throw .local(error) }
        let temporary = folder.appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).tmp")
        removeDatabase(temporary)
        var committed = false
        defer { if !committed { removeDatabase(temporary) } }

        let info = try write(file, into: temporary, origin: origin, cancellation: cancellation)
        do throws(FileSystemError) {
            let descriptor = open(temporary.path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileSystemError(path: temporary.path, operation: "open", errno: errno) }
            defer { close(descriptor) }
            try FileSystem.sync(descriptor: descriptor, path: temporary.path)
            try FileSystem.rename(temporary, to: destination)
        } catch { throw .local(error) }
        committed = true
        return info
    }

    private static func write(_ file: URL, into path: URL, origin: Origin, cancellation: CancellationFlag) throws(MeshError) -> MeshThesaurusInfo {
        let database: DatabaseQueue
        do {
            var configuration = Configuration()
            // The file is thrown away if the build stops, so SQLite need not journal or flush
            // as it goes; the whole file is flushed once before the rename.
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF")
            }
            database = try DatabaseQueue(path: path.path, configuration: configuration)
            try MeshSchema.migrator.migrate(database)
            try database.write { db in try MeshSchema.createQualifiers(db) }
        } catch {
            throw .database(DatabaseFailure(path: path.path, role: "MeSH thesaurus", error: error))
        }
        defer { try? database.close() }
        var parseFailure: MeshError?
        do {
            return try database.write { db -> MeshThesaurusInfo in
                let rows = try Rows(db)
                let summary: DescriptorFileSummary
                do throws(MeshError) {
                    summary = try DescriptorFile.read(file, name: origin.fileName) { (descriptor) throws(MeshError) in
                        if cancellation.isCancelled { throw .cancelled }
                        do { try rows.insert(descriptor) } catch {
                            throw .database(DatabaseFailure(path: path.path, role: "MeSH thesaurus", error: error))
                        }
                    }
                } catch {
                    parseFailure = error
                    throw error
                }
                guard let year = origin.year ?? summary.year else {
                    let error = MeshError.malformed(file: summary.fileName, line: nil,
                                                    message: "it does not say its MeSH year (no year in its name or DOCTYPE, no ActiveMeSHYearList); give the year")
                    parseFailure = error
                    throw error
                }
                let info = MeshThesaurusInfo(year: year, descriptors: summary.descriptors, sourceFile: summary.fileName,
                                             size: summary.size, md5: summary.md5, sourceURL: origin.sourceURL,
                                             remoteModified: origin.remoteModified)
                try info.insert(db)
                return info
            }
        } catch {
            if let parseFailure { throw parseFailure }
            throw .database(DatabaseFailure(path: path.path, role: "MeSH thesaurus", error: error))
        }
    }

    /// The three statements the build repeats, prepared once, on the build's connection (used only
    /// inside its one write transaction).
    private final class Rows {
        let db: Database
        let descriptor: Statement
        let treeNumber: Statement
        let term: Statement
        let qualifier: Statement

        init(_ db: Database) throws {
            self.db = db
            descriptor = try db.makeStatement(sql: "INSERT INTO descriptor (ui, name, nameKey) VALUES (?, ?, ?)")
            // A tree number names one place: a file that repeats one keeps its first descriptor.
            treeNumber = try db.makeStatement(sql: "INSERT OR IGNORE INTO treeNumber (treeNumber, descriptor) VALUES (?, ?)")
            term = try db.makeStatement(sql: "INSERT OR IGNORE INTO term (key, descriptor) VALUES (?, ?)")
            qualifier = try db.makeStatement(sql: "INSERT OR IGNORE INTO qualifier (abbreviation, name) VALUES (?, ?)")
        }

        func insert(_ record: MeshDescriptor) throws {
            try descriptor.execute(arguments: [record.ui, record.name, MeshThesaurus.key(record.name)])
            let id = db.lastInsertedRowID
            for number in record.treeNumbers { try treeNumber.execute(arguments: [number, id]) }
            for entry in [record.name] + record.entryTerms {
                let key = MeshThesaurus.key(entry)
                if !key.isEmpty { try term.execute(arguments: [key, id]) }
            }
            for each in record.qualifiers where each.abbreviation.count == 2 && !each.name.isEmpty {
                try qualifier.execute(arguments: [each.abbreviation, each.name])
            }
        }
    }

    /// The file and whatever SQLite may have left beside it.
    private static func removeDatabase(_ url: URL) {
        for suffix in ["", "-journal", "-wal", "-shm"] { FileSystem.remove(URL(fileURLWithPath: url.path + suffix)) }
    }
}
