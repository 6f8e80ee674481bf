import Foundation
import PubMedIndex
import PubMedSupport

/// Applies one file's items inside the store's transaction, by NCBI.md's rules and with the same
/// counts and sequence numbers as the SQLite store's `RecordWriter`: (PMID, version) keys; the
/// highest version present is current; a later copy of a (PMID, version) replaces the stored one; a
/// deletion removes one (PMID, version) and promotes the next highest; a deletion of something absent
/// is counted; every change takes the next sequence number.
///
/// Not row by row: items are gathered in chunks; a chunk reads the stored versions of its PMIDs in
/// one query, works out in memory what each item does in file order (`VersionLedger`), then sends
/// the outcome as a few set-based statements and COPY streams (deletes, flag updates, new rows).
final class PGWriter {
    private let connection: PGConnection
    private let schema: String
    private let sourceFile: String
    private var seq: Int64
    let firstSeq: Int64
    private(set) var records = 0, inserted = 0, replaced = 0, deleted = 0, deletionsAbsent = 0
    /// How many more PMIDs have a current version than before the file.
    private var currentChange = 0
    private var pending: [PGPrepared] = []
    private var pendingRecords = 0
    /// Records gathered before the next chunk is sent.
    private var chunkLimit = firstChunkRecords

    /// Records gathered before a chunk is sent, once the file is under way. The server is the
    /// load's slower side, so what counts is that it seldom waits: a chunk is a batch fewer than
    /// the pipeline's channel holds (`IndexPipeline.itemsHeld`, 4,096), so that the next chunk is
    /// ready when one is sent (NCBI's deletions, also items, come at a file's end). At 5,000 the
    /// server waited 0.1-0.2 s before each chunk's rows; 4,000 and 4,032 measured alike.
    static let chunkRecords = IndexPipeline.itemsHeld - IndexPipeline.batchSize
    /// The file's first chunk, doubled chunk by chunk up to `chunkRecords`: the server starts on
    /// the rows 0.1 s into the file rather than 0.45 s, and each chunk is ready before the last
    /// one is done.
    static let firstChunkRecords = 500

    init(connection: PGConnection, schema: String, sourceFile: String) throws(ServerDatabaseFailure) {
        self.connection = connection
        self.schema = PGCatalog.quote(schema)
        self.sourceFile = sourceFile
        let value = try connection.execute("SELECT value FROM \(self.schema).meta WHERE key = 'last_seq' FOR UPDATE").string(0, 0)
        seq = Int64(value ?? "0") ?? 0
        firstSeq = seq + 1
    }

    func write(_ item: PGPrepared) throws(ServerDatabaseFailure) {
        pending.append(item)
        if case .record = item { pendingRecords += 1 }
        if pendingRecords >= chunkLimit { try flush() }
    }

    /// Sends what is still gathered: call it at the file's end, before `counts`.
    func flushPending() throws(ServerDatabaseFailure) { try flush() }

    func counts(for file: FileIdentity) -> AppliedFile {
        AppliedFile(name: file.name, folder: file.folder, cycle: file.cycle, number: file.number, md5: file.md5,
                    appliedAt: Date(), records: records, inserted: inserted, replaced: replaced, deleted: deleted,
                    deletionsAbsent: deletionsAbsent, firstSeq: seq >= firstSeq ? firstSeq : nil,
                    lastSeq: seq >= firstSeq ? seq : nil, seconds: 0)
    }

    /// Records the file as applied, the new high-water mark and the record counts (after `flushPending`).
    func finish(_ applied: AppliedFile) throws(ServerDatabaseFailure) {
        try flush()
        // The counts move with the high-water mark only when they were kept to the mark the file
        // started from (PGSchema.counts); otherwise they stay behind and are counted anew.
        try connection.execute("""
            UPDATE \(schema).meta SET value = CASE key WHEN 'current_records' THEN (value::bigint + $1::bigint)::text
                                                      WHEN 'versions' THEN (value::bigint + $2::bigint)::text
                                                      ELSE $3 END
            WHERE key = ANY($5::text[]) AND (SELECT value FROM \(schema).meta WHERE key = 'counts_seq') = $4
            """, [String(currentChange), String(inserted - deleted), String(seq), String(firstSeq - 1), PGArray.texts(PGSchema.counts)])
        try connection.execute("UPDATE \(schema).meta SET value = $1 WHERE key = 'last_seq'", [String(seq)])
        try connection.execute("DELETE FROM \(schema).applied_file WHERE name = $1", [applied.name])
        try connection.execute("""
            INSERT INTO \(schema).applied_file (name, folder, cycle, number, md5, applied_at, records, inserted, replaced, deleted,
                                               deletions_absent, first_seq, last_seq, seconds, position)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                    (SELECT coalesce(max(position), 0) + 1 FROM \(schema).applied_file))
            """, [applied.name, applied.folder, applied.cycle.map(String.init), applied.number.map(String.init), applied.md5,
                  PGTime.text(applied.appliedAt), String(applied.records), String(applied.inserted), String(applied.replaced),
                  String(applied.deleted), String(applied.deletionsAbsent), applied.firstSeq.map(String.init),
                  applied.lastSeq.map(String.init), String(applied.seconds)])
    }

    // MARK: Chunks

    private func flush() throws(ServerDatabaseFailure) {
        guard !pending.isEmpty else { return }
        let items = pending
        pending.removeAll(keepingCapacity: true)
        pendingRecords = 0
        chunkLimit = min(chunkLimit * 2, Self.chunkRecords)

        var pmids = Set<Int>()
        for item in items {
            switch item {
            case .record(let rows): pmids.insert(rows.pmid)
            case .deletion(let pmid, _): pmids.insert(pmid)
            }
        }
        let stored = try connection.execute(
            "SELECT pmid, version, is_current, seq FROM \(schema).article WHERE pmid = ANY($1::integer[])", [PGArray.integers(pmids)])
        var ledger = VersionLedger(seq: seq)
        for row in 0..<stored.count {
            ledger.addStored(pmid: stored.int(row, 0) ?? 0, version: stored.int(row, 1) ?? 0, isCurrent: stored.bool(row, 2),
                             seq: stored.int64(row, 3) ?? 0)
        }
        for (index, item) in items.enumerated() {
            switch item {
            case .record(let rows): ledger.upsert(pmid: rows.pmid, version: rows.version, content: index)
            case .deletion(let pmid, let version): ledger.delete(pmid: pmid, version: version)
            }
        }
        seq = ledger.seq
        records += ledger.records
        inserted += ledger.inserted
        replaced += ledger.replaced
        deleted += ledger.deleted
        deletionsAbsent += ledger.deletionsAbsent
        currentChange += ledger.currentChange
        try send(ledger.outcome(), items: items)
    }

    private func send(_ outcome: VersionLedger.Outcome, items: [PGPrepared]) throws(ServerDatabaseFailure) {
        if !outcome.removed.isEmpty {
            let pmids = PGArray.integers(outcome.removed.map(\.pmid)), versions = PGArray.integers(outcome.removed.map(\.version))
            for table in ["article"] + PGSchema.childTables {
                try connection.execute("""
                    DELETE FROM \(schema).\(table) t USING unnest($1::integer[], $2::integer[]) AS d(pmid, version)
                    WHERE t.pmid = d.pmid AND t.version = d.version
                    """, [pmids, versions])
            }
        }
        if !outcome.flagged.isEmpty {
            try connection.execute("""
                UPDATE \(schema).article a SET is_current = u.current, seq = u.seq
                FROM unnest($1::integer[], $2::integer[], $3::boolean[], $4::bigint[]) AS u(pmid, version, current, seq)
                WHERE a.pmid = u.pmid AND a.version = u.version
                """, [PGArray.integers(outcome.flagged.map(\.pmid)), PGArray.integers(outcome.flagged.map(\.version)),
                      PGArray.booleans(outcome.flagged.map(\.isCurrent)), PGArray.integers(outcome.flagged.map(\.seq))])
        }
        if !outcome.added.isEmpty {
            var children = [[UInt8]](repeating: [], count: PGSchema.childTables.count)
            // The rows go to the server a megabyte at a time as they are put together, so that it
            // starts on the chunk's first rows at once (the server is the load's slower side).
            try connection.copyIn("COPY \(schema).article FROM STDIN (FORMAT binary)") { (send: PGConnection.CopySender) throws(ServerDatabaseFailure) in
                var article = CopyBinary(capacity: PGConnection.copyPiece + (1 << 16))
                article.append(CopyBinary.header[...])
                for row in outcome.added {
                    guard case .record(let rows) = items[row.content] else { continue }
                    // The four columns decided here, then the prepared ones.
                    article.row(fields: 4 + rows.articleFields)
                    article.int32(rows.pmid)
                    article.int32(rows.version)
                    article.bool(row.isCurrent)
                    article.int64(row.seq)
                    article.append(rows.article[...])
                    for (table, lines) in rows.children.enumerated() { children[table].append(contentsOf: lines) }
                    if article.bytes.count >= PGConnection.copyPiece {
                        try send(article.bytes[...])
                        article.removeAll()
                    }
                }
                article.append(CopyBinary.trailer[...])
                try send(article.bytes[...])
            }
            for (table, lines) in children.enumerated() where !lines.isEmpty {
                try connection.copyIn("COPY \(schema).\(PGSchema.childTables[table]) FROM STDIN", lines)
            }
        }
        if !outcome.deletions.isEmpty {
            var lines = CopyText()
            for deletion in outcome.deletions {
                lines.int(Int(deletion.seq)); lines.int(deletion.pmid); lines.int(deletion.version); lines.text(sourceFile)
                lines.end()
            }
            try connection.copyIn("COPY \(schema).deletion FROM STDIN", lines.bytes)
        }
    }
}

/// The versions of a chunk's PMIDs, stored and as the chunk's items change them, in file order:
/// the rules of `RecordWriter`, worked out in memory, and what the database must then do.
struct VersionLedger {
    struct Version {
        var isCurrent: Bool
        var seq: Int64
        /// The item whose record this version now holds; nil while it is the stored row.
        var content: Int?
        var stored: Bool
        var flagsChanged = false
    }

    struct Key: Hashable {
        var pmid: Int
        var version: Int
    }

    struct Outcome {
        /// Stored rows to delete: gone, or replaced by a new copy.
        var removed: [Key] = []
        /// Stored rows kept whose current flag or sequence number changed.
        var flagged: [(pmid: Int, version: Int, isCurrent: Bool, seq: Int64)] = []
        /// Rows to insert, from the item `content`.
        var added: [(content: Int, isCurrent: Bool, seq: Int64)] = []
        var deletions: [(seq: Int64, pmid: Int, version: Int)] = []
    }

    private(set) var seq: Int64
    private(set) var records = 0, inserted = 0, replaced = 0, deleted = 0, deletionsAbsent = 0
    /// PMIDs that gained a current version (a first one) less those that lost their last.
    private(set) var currentChange = 0
    private var versions: [Int: [Int: Version]] = [:]
    /// Stored rows deleted (or replaced) in this chunk, kept to be removed from the database.
    private var removedStored = Set<Key>()
    private var deletionLog: [(seq: Int64, pmid: Int, version: Int)] = []

    init(seq: Int64) { self.seq = seq }

    mutating func addStored(pmid: Int, version: Int, isCurrent: Bool, seq: Int64) {
        versions[pmid, default: [:]][version] = Version(isCurrent: isCurrent, seq: seq, content: nil, stored: true)
    }

    mutating func upsert(pmid: Int, version: Int, content: Int) {
        records += 1
        seq += 1
        var known = versions[pmid] ?? [:]
        if var same = known[version] {
            // The same version again: its content replaced, its current flag kept.
            if same.stored && same.content == nil { removedStored.insert(Key(pmid: pmid, version: version)) }
            same.content = content
            same.seq = seq
            same.stored = false
            known[version] = same
            versions[pmid] = known
            replaced += 1
            return
        }
        let current = known.first { $0.value.isCurrent }
        let becomesCurrent = current.map { version > $0.key } ?? true
        if current == nil { currentChange += 1 }
        if becomesCurrent, let current {
            known[current.key]?.isCurrent = false
            known[current.key]?.flagsChanged = true
        }
        known[version] = Version(isCurrent: becomesCurrent, seq: seq, content: content, stored: false)
        versions[pmid] = known
        inserted += 1
    }

    mutating func delete(pmid: Int, version: Int) {
        guard var known = versions[pmid], let row = known[version] else {
            deletionsAbsent += 1
            return
        }
        seq += 1
        known[version] = nil
        if row.stored { removedStored.insert(Key(pmid: pmid, version: version)) }
        deletionLog.append((seq, pmid, version))
        deleted += 1
        if row.isCurrent, let next = known.keys.max() {
            seq += 1
            known[next]?.isCurrent = true
            known[next]?.seq = seq
            known[next]?.flagsChanged = true
        } else if row.isCurrent {
            currentChange -= 1
        }
        versions[pmid] = known
    }

    func outcome() -> Outcome {
        var outcome = Outcome()
        outcome.removed = Array(removedStored)
        outcome.deletions = deletionLog
        for (pmid, known) in versions {
            for (version, row) in known {
                if let content = row.content {
                    outcome.added.append((content, row.isCurrent, row.seq))
                } else if row.flagsChanged {
                    outcome.flagged.append((pmid, version, row.isCurrent, row.seq))
                }
            }
        }
        // In file order, so that COPY writes rows in the order the file gave them.
        outcome.added.sort { $0.content < $1.content }
        return outcome
    }
}

/// Array parameters in PostgreSQL's text form.
enum PGArray {
    static func integers<S: Sequence>(_ values: S) -> String where S.Element: BinaryInteger {
        "{" + values.map { String($0) }.joined(separator: ",") + "}"
    }

    static func booleans(_ values: [Bool]) -> String {
        "{" + values.map { $0 ? "t" : "f" }.joined(separator: ",") + "}"
    }

    /// A text array literal for `$n::text[]`, each value quoted.
    static func texts(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}

/// Times as PostgreSQL reads and writes `timestamptz` in UTC.
enum PGTime {
    static func text(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        // `2026-12-06 00:22:19.123+00` as the server prints it with TimeZone UTC.
        var iso = text.replacingOccurrences(of: " ", with: "T")
        if iso.hasSuffix("+00") { iso += ":00" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: iso) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: iso)
    }
}
