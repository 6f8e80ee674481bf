import Foundation
import GRDB
import PubMedSupport

/// After a bulk load, the full-text index merged into one segment.
///
/// FTS5 writes each file's terms as a segment of its own and merges segments 16 at a time as they
/// pile up (`automerge`, schema), so an index built from a baseline is left in a few dozen
/// segments (26 at 1.2 million records), and a search looks up each of its terms in every one.
/// Rewriting the whole full-text index costs about a tenth of building it, so it is done only when
/// most of the index's baseline came since the last merge (after the first fetch, an annual
/// rollover before its switch, a rebuild, or whichever later run finishes one of those that was
/// stopped), never for a day's update files, whose small segments FTS5 merges as it goes, nor for
/// a baseline file NCBI published again. `meta.searchMergedThrough` keeps the position of the last
/// file applied before the last merge that finished. Figures: Docs/benchmarks.md.
///
/// In steps, with FTS5's incremental `merge`: a negative page count begins merging every segment
/// into one, and each later step writes about that many more pages. Each step is a transaction of
/// its own with a checkpoint after it, so readers go on meanwhile, the log stays small, and an
/// interrupt stops the merge between steps with the index whole; a merge that was stopped, or that
/// failed (a full disk), is begun again by the next run, since what decides it is still so.
extension SQLiteRecordStore {
    /// FTS5 pages (about 4 KB each) a step writes: about 16 MB, a fraction of a second.
    static let mergeStepPages = 4000

    /// Merges the full-text index into one segment if at least half of the baseline records the
    /// index holds came in files applied since the last merge. Returns a warning, rather than
    /// throwing, when `cancellation` stopped the merge or a step failed: the files are applied
    /// either way, and searches are right, only slower until a later run merges.
    func mergeSearchSegments(cancellation: CancellationFlag) -> String? {
        let clock = ContinuousClock.now
        var steps = 0
        var segments: Int?
        do {
            let (wanted, structure) = try database.read { db in (try Self.mergeWanted(db), try Self.searchStructure(db)) }
            guard let through = wanted else { return nil }
            segments = structure.flatMap(FTS5Structure.segmentCount)
            if segments != 1 {
                logger.info("\(path): merging the full-text index\(segments.map { "'s \($0) segments" } ?? "") into one, in steps")
            }
            while true {
                if cancellation.isCancelled {
                    return "the full-text index's merge was stopped after \(steps) steps: searches are right, only slower "
                        + "until the next run merges it"
                }
                waitForCheckpoint()
                let merged = try database.write { db in
                    let merged = try Self.mergeStep(db, first: steps == 0)
                    if !merged {
                        try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('searchMergedThrough', ?) "
                                       + "ON CONFLICT (key) DO UPDATE SET value = excluded.value", arguments: [through])
                    }
                    return merged
                }
                startCheckpoint()
                steps += 1
                if !merged { break }
            }
        } catch {
            // As after a failed file: the log gives back what the failed step grew it by.
            _ = try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            return "the full-text index's merge failed after \(steps) steps (\(DatabaseFailure.describe(error))): searches are "
                + "right, only slower until a later run merges it"
        }
        if segments != 1 {
            logger.info("\(path): full-text index merged in \(steps) steps, \(String(format: "%.1f", (ContinuousClock.now - clock).inSeconds)) s")
        }
        return nil
    }

    /// The position of the last applied file, when the index should be merged: at least half its
    /// baseline records came after `meta.searchMergedThrough`. (An index already in one segment
    /// gets the mark from the first step, which finds nothing to merge.)
    private static func mergeWanted(_ db: Database) throws -> Int? {
        let mark = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'searchMergedThrough'") ?? 0
        guard let row = try Row.fetchOne(db, sql: """
                SELECT ifnull(sum(records), 0) AS total, ifnull(sum(records) FILTER (WHERE position > ?), 0) AS since,
                       (SELECT max(position) FROM appliedFile) AS last
                FROM appliedFile WHERE folder = 'baseline'
                """, arguments: [mark]),
              let last = row["last"] as Int?
        else { return nil }
        let total: Int = row["total"], since: Int = row["since"]
        guard since > 0, since * 2 >= total else { return nil }
        return last
    }

    /// One step of the merge, in the caller's transaction: whether it merged anything (a step
    /// that finds nothing left to merge leaves the index's structure as it was).
    static func mergeStep(_ db: Database, first: Bool, pages: Int = mergeStepPages) throws -> Bool {
        let before = try searchStructure(db)
        try db.execute(sql: "INSERT INTO articleSearch (articleSearch, rank) VALUES ('merge', ?)", arguments: [first ? -pages : pages])
        return try searchStructure(db) != before
    }

    /// FTS5's structure record (the segments and their levels), row 10 of its `_data` table.
    static func searchStructure(_ db: Database) throws -> [UInt8]? {
        try Data.fetchOne(db, sql: "SELECT block FROM articleSearch_data WHERE id = 10").map { [UInt8]($0) }
    }

    /// The number of segments of the full-text index (nil if its structure cannot be read).
    public func searchSegmentCount() throws(IndexError) -> Int? {
        do {
            return try database.read { db in try Self.searchStructure(db).flatMap(FTS5Structure.segmentCount) }
        } catch {
            throw .database(failure(error))
        }
    }
}

/// FTS5's structure record, as far as the number of segments: a 4-byte cookie, FTS5's version 2
/// marker where present, then the number of levels and of segments as SQLite varints
/// (`fts5StructureDecode` in SQLite's fts5_index.c; SQLite keeps its file formats readable).
enum FTS5Structure {
    static func segmentCount(_ record: [UInt8]) -> Int? {
        var index = 4
        guard record.count > index else { return nil }
        if record.count >= 8, record[4...7].elementsEqual([0xFF, 0x00, 0x00, 0x01]) { index = 8 }
        guard varint(record, &index) != nil, let segments = varint(record, &index) else { return nil }
        return segments
    }

    /// A varint of at most 4 bytes (FTS5 keeps these counts in 32 bits), moving `index` past it.
    private static func varint(_ bytes: [UInt8], _ index: inout Int) -> Int? {
        var value = 0
        for _ in 0..<4 {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            value = value << 7 | Int(byte & 0x7F)
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }
}
