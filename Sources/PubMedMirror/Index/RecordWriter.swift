import Foundation
import GRDB

/// Applies one file's items inside the store's write transaction, keeping the rules of NCBI.md:
/// records keyed by (PMID, version); the current record of a PMID is its highest version present;
/// a later file's copy of a (PMID, version) replaces the stored one; a deletion removes one (PMID,
/// version) and, when that was current, the next highest remaining version becomes current; a
/// deletion of something absent is counted, not an error. Only current versions are in the
/// full-text index. Every change gets the next sequence number, for `export --since`.
final class RecordWriter {
    private let db: Database
    /// The database's file, for errors.
    private let path: String
    private let sourceFile: String
    private var seq: Int64
    private let firstSeq: Int64
    private var records = 0, inserted = 0, replaced = 0, deleted = 0, deletionsAbsent = 0
    private let inflater = BlobInflater()

    init(db: Database, path: String, sourceFile: String) throws {
        self.db = db
        self.path = path
        self.sourceFile = sourceFile
        seq = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") ?? 0
        firstSeq = seq + 1
    }

    func write(_ item: PreparedItem) throws {
        switch item {
        case .record(let record):
            try upsert(record)
        case .deletion(let pmid, let version):
            try delete(pmid: pmid, version: version)
        }
    }

    func counts(for file: FileIdentity) -> AppliedFile {
        AppliedFile(name: file.name, folder: file.folder, cycle: file.cycle, number: file.number, md5: file.md5,
                    appliedAt: Date(), records: records, inserted: inserted, replaced: replaced, deleted: deleted,
                    deletionsAbsent: deletionsAbsent, firstSeq: seq >= firstSeq ? firstSeq : nil,
                    lastSeq: seq >= firstSeq ? seq : nil, seconds: 0)
    }

    /// Records the file as applied and the new high-water mark, in the same transaction.
    func finish(_ applied: AppliedFile) throws {
        try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'lastSeq'", arguments: [seq])
        let position = (try Int.fetchOne(db, sql: "SELECT max(position) FROM appliedFile") ?? 0) + 1
        try db.execute(sql: "DELETE FROM appliedFile WHERE name = ?", arguments: [applied.name])
        try db.execute(sql: """
            INSERT INTO appliedFile (name, folder, cycle, number, md5, appliedAt, records, inserted, replaced, deleted,
                                     deletionsAbsent, firstSeq, lastSeq, seconds, position)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [applied.name, applied.folder, applied.cycle, applied.number, applied.md5, applied.appliedAt,
                             applied.records, applied.inserted, applied.replaced, applied.deleted, applied.deletionsAbsent,
                             applied.firstSeq, applied.lastSeq, applied.seconds, position])
    }

    private func upsert(_ record: PreparedRecord) throws {
        records += 1
        seq += 1
        let columns: [any DatabaseValueConvertible & Sendable] = [
            record.kind, record.status, record.year, record.title, record.journal, record.doi, record.pmcid,
            sourceFile, seq, record.blob,
        ]
        // Every stored version of this PMID (almost always none or one).
        let versions = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, version, isCurrent FROM article WHERE pmid = ?"),
                                        arguments: [record.pmid])
        if let same = versions.first(where: { $0["version"] as Int == record.version }) {
            let id: Int64 = same["id"]
            // Read before the row changes: the search index needs the text it holds for this row.
            if same["isCurrent"] as Bool { try removeFromSearch(id) }
            try db.cachedStatement(sql: """
                UPDATE article SET kind = ?, status = ?, year = ?, title = ?, journal = ?, doi = ?, pmcid = ?,
                                   sourceFile = ?, seq = ?, record = ?
                WHERE id = ?
                """).execute(arguments: StatementArguments(columns + [id]))
            if same["isCurrent"] as Bool { try addToSearch(id, record.search) }
            replaced += 1
            return
        }
        let current = versions.first { $0["isCurrent"] as Bool }
        let becomesCurrent = current.map { record.version > $0["version"] as Int } ?? true
        if becomesCurrent, let current {
            let id: Int64 = current["id"]
            try removeFromSearch(id)
            try db.cachedStatement(sql: "UPDATE article SET isCurrent = 0 WHERE id = ?").execute(arguments: [id])
        }
        try db.cachedStatement(sql: """
            INSERT INTO article (pmid, version, isCurrent, kind, status, year, title, journal, doi, pmcid, sourceFile, seq, record)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: StatementArguments([record.pmid, record.version, becomesCurrent] + columns))
        if becomesCurrent { try addToSearch(db.lastInsertedRowID, record.search) }
        inserted += 1
    }

    private func delete(pmid: Int, version: Int) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, isCurrent FROM article WHERE pmid = ? AND version = ?"),
                                         arguments: [pmid, version]) else {
            deletionsAbsent += 1
            return
        }
        seq += 1
        let id: Int64 = row["id"]
        let wasCurrent: Bool = row["isCurrent"]
        if wasCurrent { try removeFromSearch(id) }
        try db.cachedStatement(sql: "DELETE FROM article WHERE id = ?").execute(arguments: [id])
        try db.cachedStatement(sql: "INSERT INTO deletion (seq, pmid, version, sourceFile) VALUES (?, ?, ?, ?)")
            .execute(arguments: [seq, pmid, version, sourceFile])
        deleted += 1
        guard wasCurrent else { return }
        // The next highest remaining version becomes current.
        if let next = try Row.fetchOne(db.cachedStatement(sql: "SELECT id FROM article WHERE pmid = ? ORDER BY version DESC LIMIT 1"),
                                       arguments: [pmid]) {
            seq += 1
            let nextID: Int64 = next["id"]
            try db.cachedStatement(sql: "UPDATE article SET isCurrent = 1, seq = ? WHERE id = ?").execute(arguments: [seq, nextID])
            try addToSearch(nextID, storedSearchText(nextID))
        }
    }

    private func addToSearch(_ id: Int64, _ text: SearchText) throws {
        try db.cachedStatement(sql: """
            INSERT INTO articleSearch (rowid, title, abstract, keywords, mesh, authors, journal, types)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, text.title, text.abstract, text.keywords, text.mesh, text.authors, text.journal, text.types])
    }

    /// Takes a row out of the contentless search index, which needs exactly the text it indexed:
    /// rebuilt from the row's stored record, so call this before the row changes.
    private func removeFromSearch(_ id: Int64) throws {
        let text = try storedSearchText(id)
        try db.cachedStatement(sql: """
            INSERT INTO articleSearch (articleSearch, rowid, title, abstract, keywords, mesh, authors, journal, types)
            VALUES ('delete', ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, text.title, text.abstract, text.keywords, text.mesh, text.authors, text.journal, text.types])
    }

    /// The search text of a stored row, from its record's JSON.
    private func storedSearchText(_ id: Int64) throws -> SearchText {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT pmid, version, record FROM article WHERE id = ?"), arguments: [id])
        guard let row else { throw IndexError.database(path: path, message: "row \(id) vanished while being changed") }
        guard let json = inflater.json(row["record"]) else { throw SQLiteRecordStore.damaged(row, path: path) }
        return SearchText(try JSONDecoder().decode(PubMedRecord.self, from: Data(json)))
    }

    static func journalName(_ record: PubMedRecord) -> String? {
        record.journal?.isoAbbreviation ?? record.journal?.medlineTA ?? record.journal?.title
    }
}

/// One file item made ready for the database off the writer's thread: JSON written, blobs
/// compressed, search text assembled. The writer then only runs SQL.
enum PreparedItem: Sendable {
    case record(PreparedRecord)
    case deletion(pmid: Int, version: Int)
}

struct PreparedRecord: Sendable {
    var pmid: Int
    var version: Int
    var kind: String
    var status: String?
    var year: Int?
    var title: String
    var journal: String?
    var doi: String?
    var pmcid: String?
    /// The JSON and the original XML, compressed together (see `RecordBlob`).
    var blob: Data
    var search: SearchText
}

/// Prepares items for `RecordWriter`. Owns a compressor: one per producing thread.
final class RecordPreparer {
    private let sourceFile: String
    private let compressor = BlobCompressor()

    init(sourceFile: String) { self.sourceFile = sourceFile }

    func prepare(_ item: ArticleFileItem) -> PreparedItem {
        switch item {
        case .deletion(let pmid, let version):
            return .deletion(pmid: pmid, version: version)
        case .record(var record, let xml):
            record.sourceFile = sourceFile
            return .record(PreparedRecord(
                pmid: record.pmid, version: record.version, kind: record.kind.rawValue, status: record.status,
                year: record.year, title: record.title, journal: RecordWriter.journalName(record), doi: record.doi,
                pmcid: record.pmcid, blob: compressor.compress(json: RecordJSONWriter.encode(record), xml: xml),
                search: SearchText(record)))
        }
    }
}

/// The text of one record, column by column, as the full-text index holds it.
struct SearchText: Sendable, Equatable {
    var title: String
    var abstract: String
    var keywords: String
    var mesh: String
    var authors: String
    var journal: String
    var types: String

    init(_ record: PubMedRecord) {
        title = [record.title, record.vernacularTitle].compactMap { $0 }.joined(separator: " ")
        abstract = ([record.abstract] + record.otherAbstracts.map(\.text)).compactMap { $0 }.joined(separator: "\n")
        keywords = record.keywords.joined(separator: "; ")
        mesh = record.meshHeadings.flatMap { [$0.descriptor] + $0.qualifiers.map(\.name) }.joined(separator: "; ")
        authors = record.authors.map { author in
            author.collectiveName ?? [author.lastName, author.foreName, author.initials].compactMap { $0 }.joined(separator: " ")
        }.joined(separator: "; ")
        journal = [record.journal?.title, record.journal?.isoAbbreviation, record.journal?.medlineTA]
            .compactMap { $0 }.joined(separator: "; ")
        types = record.publicationTypes.joined(separator: "; ")
    }
}
