import Foundation
import GRDB
import PubMedGzip
import PubMedRecords

/// Applies one file's items inside the store's write transaction, keeping the rules of NCBI.md:
/// records keyed by (PMID, version); the current record of a PMID is its highest version present;
/// a later file's copy of a (PMID, version) replaces the stored one; a deletion removes one (PMID,
/// version) and, when that was current, the next highest remaining version becomes current; a
/// deletion of something absent is counted, not an error. Only current versions are in the
/// full-text index. Every change gets the next sequence number, for `export --since`.
///
/// Each record's JSON is in a block (`PreparedBlock`), its XML in the file's stream (`xmlStream`,
/// kept as `xmlChunk`s); both count the rows that refer to them and go when none does.
///
/// Used by the writer thread only, inside its transaction.
final class RecordWriter {
    private let db: Database
    /// The database's file, for errors.
    private let path: String
    private let sourceFile: String
    private var seq: Int64
    private let firstSeq: Int64
    private var records = 0, inserted = 0, replaced = 0, deleted = 0, deletionsAbsent = 0
    private let reader = BlockReader()
    /// The `xmlStream` row of this file's stream, and how many rows refer to it so far (written
    /// once, at the end).
    private let stream: Int64
    private var streamLive = 0
    private let sql: Statements
    /// Rows added to the full-text index, with what `searchInfo` keeps of them (written at the end).
    private var searchInfo: [Int64: Int] = [:]

    /// The statements of the hot path, prepared once per file.
    private struct Statements {
        let insertBlock, versions, insertArticle, updateArticle, demote, addSearch, removeSearch, insertChunk: WriterStatement
        let releaseBlock, dropBlock, releaseStream, streamLive, dropChunks, dropStream: WriterStatement
        let byVersion, deleteArticle, insertDeletion, highest, promote, searchSource, docsize: WriterStatement

        init(_ db: Database) throws {
            let columns = "kind, status, year, title, journal, doi, pmcid, pubDate, firstAuthor, sourceFile, seq, block, jsonStart, jsonLength, xmlStream, xmlStart, xmlLength"
            let search = SearchDocument.Column.allCases.map(\.name).joined(separator: ", ")
            let width = SearchDocument.Column.allCases.count
            insertBlock = try WriterStatement(db, "INSERT INTO block (live, data) VALUES (?, ?)")
            versions = try WriterStatement(db, "SELECT id, version, isCurrent, block, xmlStream FROM article WHERE pmid = ?")
            insertArticle = try WriterStatement(db, "INSERT INTO article (pmid, version, isCurrent, \(columns)) VALUES (?, ?, ?, \(Self.marks(17)))")
            updateArticle = try WriterStatement(db, """
                UPDATE article SET (\(columns)) = (\(Self.marks(17))) WHERE id = ?
                """)
            demote = try WriterStatement(db, "UPDATE article SET isCurrent = 0 WHERE id = ?")
            addSearch = try WriterStatement(db, "INSERT INTO articleSearch (rowid, \(search)) VALUES (?, \(Self.marks(width)))")
            removeSearch = try WriterStatement(db, """
                INSERT INTO articleSearch (articleSearch, rowid, \(search)) VALUES ('delete', ?, \(Self.marks(width)))
                """)
            insertChunk = try WriterStatement(db, "INSERT INTO xmlChunk (stream, start, length, bits, window, data) VALUES (?, ?, ?, ?, ?, ?)")
            releaseBlock = try WriterStatement(db, "UPDATE block SET live = live - 1 WHERE id = ?")
            dropBlock = try WriterStatement(db, "DELETE FROM block WHERE id = ? AND live <= 0")
            releaseStream = try WriterStatement(db, "UPDATE xmlStream SET live = live - 1 WHERE id = ?")
            streamLive = try WriterStatement(db, "SELECT live FROM xmlStream WHERE id = ?")
            dropChunks = try WriterStatement(db, "DELETE FROM xmlChunk WHERE stream = ?")
            dropStream = try WriterStatement(db, "DELETE FROM xmlStream WHERE id = ?")
            byVersion = try WriterStatement(db, "SELECT id, isCurrent, block, xmlStream FROM article WHERE pmid = ? AND version = ?")
            deleteArticle = try WriterStatement(db, "DELETE FROM article WHERE id = ?")
            insertDeletion = try WriterStatement(db, "INSERT INTO deletion (seq, pmid, version, sourceFile) VALUES (?, ?, ?, ?)")
            highest = try WriterStatement(db, "SELECT id FROM article WHERE pmid = ? ORDER BY version DESC LIMIT 1")
            promote = try WriterStatement(db, "UPDATE article SET isCurrent = 1, seq = ? WHERE id = ?")
            searchSource = try WriterStatement(db, "SELECT block, jsonStart, jsonLength, pmid, version FROM article WHERE id = ?")
            docsize = try WriterStatement(db, "SELECT sz FROM articleSearch_docsize WHERE id = ?")
        }

        private static func marks(_ count: Int) -> String { Array(repeating: "?", count: count).joined(separator: ", ") }
    }

    init(db: Database, path: String, sourceFile: String) throws {
        self.db = db
        self.path = path
        self.sourceFile = sourceFile
        // Codes folded otherwise than those indexed could not be removed (SearchCode.foldingFingerprint).
        switch try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'codeFolding'") {
        case nil: try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('codeFolding', ?)", arguments: [SearchCode.foldingFingerprint])
        case SearchCode.foldingFingerprint: break
        default: throw IndexError.foldingChanged(path: path)
        }
        seq = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'lastSeq'") ?? 0
        firstSeq = seq + 1
        try db.execute(sql: "INSERT INTO xmlStream (file, live) VALUES (?, 0)", arguments: [sourceFile])
        stream = db.lastInsertedRowID
        sql = try Statements(db)
    }

    func write(_ item: PreparedItem) throws {
        switch item {
        case .block(let block):
            // Every record of the block refers to it; a later record of the same block that
            // replaces an earlier one gives that reference back (`release`).
            try sql.insertBlock.run(.int(block.records.count), .blob(block.data))
            let id = db.lastInsertedRowID
            for record in block.records { try upsert(record, block: id) }
        case .deletion(let pmid, let version):
            try delete(pmid: pmid, version: version)
        case .chunk(let chunk):
            try sql.insertChunk.run(.int(stream), .int(chunk.start), .int(chunk.length), .int(chunk.bits), .blob(chunk.window), .blob(chunk.data))
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
        try SearchInfo.write(searchInfo, db: db)
        if streamLive > 0 {
            try db.execute(sql: "UPDATE xmlStream SET live = ? WHERE id = ?", arguments: [streamLive, stream])
        } else {
            // Nothing refers to this file's XML (a file of deletions only): it is not kept.
            try dropStream(stream)
        }
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

    /// A stored version of a PMID, as `upsert` needs it.
    private struct StoredVersion {
        var id: Int64
        var version: Int64
        var isCurrent: Bool
        var block: Int64
        var stream: Int64
    }

    private func upsert(_ record: PreparedRecord, block: Int64) throws {
        records += 1
        seq += 1
        streamLive += 1
        // Every stored version of this PMID (almost always none or one).
        var versions: [StoredVersion] = []
        try sql.versions.query(.int(record.pmid)) { row in
            versions.append(StoredVersion(id: row.int(0), version: row.int(1), isCurrent: row.int(2) != 0,
                                          block: row.int(3), stream: row.int(4)))
        }
        let values: [SQLValue] = [
            .text(record.kind), .text(record.status), .int(record.year), .text(record.title), .text(record.journal),
            .text(record.doi), .text(record.pmcid), .int(record.pubDate), .text(record.firstAuthor), .text(sourceFile), .int(seq), .int(block),
            .int(record.json.lowerBound), .int(record.json.count), .int(stream), .int(record.xml.lowerBound), .int(record.xml.count),
        ]
        if let same = versions.first(where: { $0.version == Int64(record.version) }) {
            // Read before the row changes: the search index needs the text it holds for this row.
            if same.isCurrent { try removeFromSearch(same.id) }
            try sql.updateArticle.run(values + [.int(same.id)])
            try release(block: same.block, stream: same.stream)
            if same.isCurrent { try addToSearch(same.id, record.search) }
            replaced += 1
            return
        }
        let current = versions.first { $0.isCurrent }
        let becomesCurrent = current.map { Int64(record.version) > $0.version } ?? true
        if becomesCurrent, let current {
            try removeFromSearch(current.id)
            try sql.demote.run(.int(current.id))
        }
        try sql.insertArticle.run([.int(record.pmid), .int(record.version), .bool(becomesCurrent)] + values)
        if becomesCurrent { try addToSearch(db.lastInsertedRowID, record.search) }
        inserted += 1
    }

    private func delete(pmid: Int, version: Int) throws {
        var found: StoredVersion?
        try sql.byVersion.query(.int(pmid), .int(version)) { row in
            found = StoredVersion(id: row.int(0), version: Int64(version), isCurrent: row.int(1) != 0, block: row.int(2), stream: row.int(3))
        }
        guard let row = found else {
            deletionsAbsent += 1
            return
        }
        seq += 1
        if row.isCurrent { try removeFromSearch(row.id) }
        try sql.deleteArticle.run(.int(row.id))
        try release(block: row.block, stream: row.stream)
        try sql.insertDeletion.run(.int(seq), .int(pmid), .int(version), .text(sourceFile))
        deleted += 1
        guard row.isCurrent else { return }
        // The next highest remaining version becomes current.
        var next: Int64?
        try sql.highest.query(.int(pmid)) { row in next = row.int(0) }
        if let next {
            seq += 1
            try sql.promote.run(.int(seq), .int(next))
            try addToSearch(next, try storedDocument(next))
        }
    }

    /// One row no longer refers to `block` and `stream`: a block or stream no row refers to is deleted.
    private func release(block: Int64, stream released: Int64) throws {
        try sql.releaseBlock.run(.int(block))
        try sql.dropBlock.run(.int(block))
        if released == stream {
            streamLive -= 1
            return
        }
        try sql.releaseStream.run(.int(released))
        var live: Int64 = 0
        try sql.streamLive.query(.int(released)) { row in live = row.int(0) }
        if live <= 0 { try dropStream(released) }
    }

    private func dropStream(_ id: Int64) throws {
        try sql.dropChunks.run(.int(id))
        try sql.dropStream.run(.int(id))
    }

    private func addToSearch(_ id: Int64, _ document: SearchDocument) throws {
        try sql.addSearch.run([.int(id)] + document.columns.map { .text($0) })
        // The row's length as FTS5 counted it (its tokenizer decides), for bm25 at search time.
        var length = 0
        try sql.docsize.query(.int(id)) { row in length = SearchInfo.length(docsize: row.blob(0)) }
        searchInfo[id] = length
    }

    /// Takes a row out of the contentless search index, which needs exactly the text it indexed:
    /// rebuilt from the row's stored record, so call this before the row changes.
    private func removeFromSearch(_ id: Int64) throws {
        let document = try storedDocument(id)
        try sql.removeSearch.run([.int(id)] + document.columns.map { .text($0) })
    }

    /// The search document of a stored row, from its record's JSON.
    private func storedDocument(_ id: Int64) throws -> SearchDocument {
        var location: (block: Int64, json: Range<Int>, pmid: Int64, version: Int64)?
        try sql.searchSource.query(.int(id)) { row in
            let start = Int(row.int(1))
            location = (row.int(0), start..<start + Int(row.int(2)), row.int(3), row.int(4))
        }
        guard let location else { throw IndexError.inconsistency("\(path): row \(id) vanished while being changed") }
        guard let json = try SQLiteRecordStore.json(location.json, in: location.block, db: db, reader: reader),
              let document = SearchDocument(json: json)
        else { throw IndexError.damagedRecord(path: path, pmid: Int(location.pmid), version: Int(location.version)) }
        return document
    }

    static func journalName(_ record: PubMedRecord) -> String? {
        record.journal?.isoAbbreviation ?? record.journal?.medlineTA ?? record.journal?.title
    }
}
