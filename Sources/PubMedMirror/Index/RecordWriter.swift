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
    private let reader = BlockReader()

    init(db: Database, path: String, sourceFile: String) throws {
        self.db = db
        self.path = path
        self.sourceFile = sourceFile
        seq = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") ?? 0
        firstSeq = seq + 1
    }

    func write(_ item: PreparedItem) throws {
        switch item {
        case .block(let block):
            // Every record of the block refers to it; a later record of the same block that
            // replaces an earlier one gives that reference back (`release`).
            try db.cachedStatement(sql: "INSERT INTO block (live, data) VALUES (?, ?)")
                .execute(arguments: [block.records.count, block.data])
            let id = db.lastInsertedRowID
            for record in block.records { try upsert(record, block: id) }
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

    private func upsert(_ record: PreparedRecord, block: Int64) throws {
        records += 1
        seq += 1
        let location = record.location
        let columns: [any DatabaseValueConvertible & Sendable] = [
            record.kind, record.status, record.year, record.title, record.journal, record.doi, record.pmcid,
            sourceFile, seq, block, location.jsonStart, location.jsonLength, location.xmlStart, location.xmlLength,
        ]
        // Every stored version of this PMID (almost always none or one).
        let versions = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, version, isCurrent, block FROM article WHERE pmid = ?"),
                                        arguments: [record.pmid])
        if let same = versions.first(where: { $0["version"] as Int == record.version }) {
            let id: Int64 = same["id"]
            // Read before the row changes: the search index needs the text it holds for this row.
            if same["isCurrent"] as Bool { try removeFromSearch(id) }
            try db.cachedStatement(sql: """
                UPDATE article SET kind = ?, status = ?, year = ?, title = ?, journal = ?, doi = ?, pmcid = ?,
                                   sourceFile = ?, seq = ?, block = ?, jsonStart = ?, jsonLength = ?, xmlStart = ?, xmlLength = ?
                WHERE id = ?
                """).execute(arguments: StatementArguments(columns + [id]))
            try release(block: same["block"])
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
            INSERT INTO article (pmid, version, isCurrent, kind, status, year, title, journal, doi, pmcid, sourceFile, seq,
                                 block, jsonStart, jsonLength, xmlStart, xmlLength)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: StatementArguments([record.pmid, record.version, becomesCurrent] + columns))
        if becomesCurrent { try addToSearch(db.lastInsertedRowID, record.search) }
        inserted += 1
    }

    private func delete(pmid: Int, version: Int) throws {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, isCurrent, block FROM article WHERE pmid = ? AND version = ?"),
                                         arguments: [pmid, version]) else {
            deletionsAbsent += 1
            return
        }
        seq += 1
        let id: Int64 = row["id"]
        let wasCurrent: Bool = row["isCurrent"]
        if wasCurrent { try removeFromSearch(id) }
        try db.cachedStatement(sql: "DELETE FROM article WHERE id = ?").execute(arguments: [id])
        try release(block: row["block"])
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

    /// One row no longer refers to `block`: a block no row refers to is deleted.
    private func release(block: Int64) throws {
        try db.cachedStatement(sql: "UPDATE block SET live = live - 1 WHERE id = ?").execute(arguments: [block])
        try db.cachedStatement(sql: "DELETE FROM block WHERE id = ? AND live <= 0").execute(arguments: [block])
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
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT pmid, version, block, jsonStart, jsonLength FROM article WHERE id = ?"),
                                   arguments: [id])
        guard let row else { throw IndexError.database(path: path, message: "row \(id) vanished while being changed") }
        let json = try SQLiteRecordStore.json(row, db: db, reader: reader, path: path)
        return SearchText(try JSONDecoder().decode(PubMedRecord.self, from: Data(json)))
    }

    static func journalName(_ record: PubMedRecord) -> String? {
        record.journal?.isoAbbreviation ?? record.journal?.medlineTA ?? record.journal?.title
    }
}

/// File items made ready for the database off the writer's thread: JSON written, records
/// compressed in blocks, search text assembled. The writer then only runs SQL.
enum PreparedItem: Sendable {
    case block(PreparedBlock)
    case deletion(pmid: Int, version: Int)
}

/// Consecutive records of a file and the block that stores them (see `RecordBlock`).
struct PreparedBlock: Sendable {
    var data: Data
    var records: [PreparedRecord]
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
    /// Where its JSON and XML lie in its block.
    var location: RecordBlock.Location
    var search: SearchText
}

/// Prepares items for `RecordWriter`: gathers records into blocks and hands each block on when it
/// is full, or before a deletion (which must follow the records before it), or at the end.
/// Owns a compressor: one per producing thread.
final class RecordPreparer {
    private let sourceFile: String
    private let compressor = BlockCompressor()
    private var pending: [(record: PreparedRecord, json: [UInt8], xml: [UInt8])] = []

    init(sourceFile: String) {
        self.sourceFile = sourceFile
        pending.reserveCapacity(RecordBlock.capacity)
    }

    /// Takes the next item of the file; returns what is ready for the writer, in file order.
    func prepare(_ item: ArticleFileItem, into ready: inout [PreparedItem]) {
        switch item {
        case .deletion(let pmid, let version):
            flush(into: &ready)
            ready.append(.deletion(pmid: pmid, version: version))
        case .record(var record, let xml):
            record.sourceFile = sourceFile
            let prepared = PreparedRecord(
                pmid: record.pmid, version: record.version, kind: record.kind.rawValue, status: record.status,
                year: record.year, title: record.title, journal: RecordWriter.journalName(record), doi: record.doi,
                pmcid: record.pmcid, location: RecordBlock.Location(jsonStart: 0, jsonLength: 0, xmlStart: 0, xmlLength: 0),
                search: SearchText(record))
            pending.append((prepared, RecordJSONWriter.encode(record), xml))
            if pending.count == RecordBlock.capacity { flush(into: &ready) }
        }
    }

    /// Hands on the block being gathered, if any.
    func flush(into ready: inout [PreparedItem]) {
        guard !pending.isEmpty else { return }
        let (data, locations) = compressor.compress(pending.map { ($0.json, $0.xml) })
        var records = pending.map(\.record)
        for index in records.indices { records[index].location = locations[index] }
        pending.removeAll(keepingCapacity: true)
        ready.append(.block(PreparedBlock(data: data, records: records)))
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
