import Foundation
import GRDB
import PubMedSupport

/// After a bulk load, the full-text index merged into one segment.
///
/// FTS5 writes each file's terms as a segment of its own and merges segments 16 at a time as they
/// pile up (`automerge`, schema), so an index built from a baseline is left in a few dozen
/// segments (26 at 1.2 million records), and a search looks up each of its terms in every one.
/// Rewriting the whole full-text index costs about a tenth of building it, so it is done only
/// after a run that applied most of the index's baseline (the first fetch, an annual rollover
/// before its switch, a rebuild: runs that write most of the index anyway), never after a day's
/// update files, whose small segments FTS5 merges as it goes, nor after a baseline file NCBI
/// published again. Figures: Docs/benchmarks.md.
///
/// In steps, with FTS5's incremental `merge`: a negative page count begins merging every segment
/// into one, and each later step writes about that many more pages. Each step is a transaction of
/// its own with a checkpoint after it, so readers go on meanwhile, the log stays small, and an
/// interrupt stops the merge between steps with the index whole. `meta.searchMerge` marks a merge
/// under way, so that the next run finishes one that was stopped.
extension SQLiteRecordStore {
    /// FTS5 pages (about 4 KB each) a step writes: about 16 MB, a fraction of a second.
    static let mergeStepPages = 4000

    /// Merges the full-text index into one segment if this store applied at least half of the
    /// baseline records the index holds, or an earlier merge was stopped; returns a warning when
    /// `cancellation` stopped it.
    func mergeSearchSegments(cancellation: CancellationFlag) throws(IndexError) -> String? {
        let clock = ContinuousClock.now
        var steps = 0
        do {
            let (pending, baseline, before) = try database.read { db in
                (try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'searchMerge'") != nil,
                 try Int.fetchOne(db, sql: "SELECT ifnull(sum(records), 0) FROM appliedFile WHERE folder = 'baseline'") ?? 0,
                 try Self.searchStructure(db))
            }
            let applied = baselineRecordsApplied.load(ordering: .relaxed)
            guard pending || applied > 0 && applied * 2 >= baseline else { return nil }
            let segments = before.flatMap(FTS5Structure.segmentCount)
            guard pending || (segments ?? 2) > 1 else { return nil }
            logger.info("\(path): merging the full-text index\(segments.map { " (\($0) segments)" } ?? "") into one segment, in steps")
            while true {
                if cancellation.isCancelled {
                    return "the full-text index's merge was stopped after \(steps) steps: searches are right, only slower "
                        + "than once it is merged, which the next run does"
                }
                waitForCheckpoint()
                let merged = try database.write { db in try Self.mergeStep(db, first: steps == 0) }
                startCheckpoint()
                steps += 1
                if !merged { break }
            }
        } catch let error as IndexError {
            throw error
        } catch {
            throw .database(failure(error))
        }
        logger.info("\(path): full-text index merged in \(steps) steps, \(String(format: "%.1f", (ContinuousClock.now - clock).inSeconds)) s")
        return nil
    }

    /// One step of the merge, in the caller's transaction: whether it merged anything (a step
    /// that finds nothing left to merge leaves the index's structure as it was, and ends the mark).
    static func mergeStep(_ db: Database, first: Bool, pages: Int = mergeStepPages) throws -> Bool {
        let before = try searchStructure(db)
        try db.execute(sql: "INSERT INTO articleSearch (articleSearch, rank) VALUES ('merge', ?)", arguments: [first ? -pages : pages])
        let merged = try searchStructure(db) != before
        if merged {
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('searchMerge', 1) ON CONFLICT (key) DO NOTHING")
        } else {
            try db.execute(sql: "DELETE FROM meta WHERE key = 'searchMerge'")
        }
        return merged
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
