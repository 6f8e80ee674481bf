import Foundation
import Logging
import PubMedFiles
import PubMedIndex
import PubMedPostgreSQL
import PubMedSupport

/// Where a mirror's index lives: SQLite files in the mirror folder (the default), or a PostgreSQL
/// database that a team shares (`--database`). Both keep an index in use, build another beside it
/// for an annual rollover or a rebuild, and switch to it at once when it is complete: a file
/// pointer renamed into place, or one transaction that moves the live schema.
enum IndexHome {
    case files(MirrorLayout, Logger)
    case database(PostgreSQLIndex)

    /// The index in use, writable; nil when there is none yet.
    func openLive() throws(IndexError) -> (any RecordStore)? {
        switch self {
        case .files(let layout, let logger):
            let current = layout.currentIndex()
            guard FileManager.default.fileExists(atPath: current.path) else { return nil }
            return try SQLiteRecordStore(path: current.path, logger: logger)
        case .database(let index):
            return try index.openLive()
        }
    }

    /// The high-water mark of the index in use, for an index built to replace it
    /// (`RecordStore.continueNumbering`); nil when there is none or it cannot be read.
    func liveHighWaterMark() -> Int64? {
        switch self {
        case .files(let layout, _): SQLiteRecordStore.highWaterMark(ofFileAt: layout.currentIndex().path)
        case .database(let index): index.liveHighWaterMark()
        }
    }

    /// The files the index in use holds, read without writing to it (a rebuild does not open it
    /// otherwise: it may be damaged or of an earlier format); nil when there is none or it
    /// cannot be read.
    func liveAppliedFiles() -> [AppliedFile]? {
        switch self {
        case .files(let layout, _):
            let current = layout.currentIndex()
            guard FileManager.default.fileExists(atPath: current.path) else { return nil }
            return try? SQLiteRecordStore(path: current.path, readOnly: true).appliedFiles()
        case .database(let index):
            return (try? index.openLive()?.appliedFiles()) ?? nil
        }
    }

    /// The index in use, created empty when there is none.
    func openLiveCreating() throws(IndexError) -> any RecordStore {
        switch self {
        case .files(let layout, let logger): try SQLiteRecordStore(path: layout.currentIndex().path, logger: logger)
        case .database(let index): try index.openLiveCreating()
        }
    }

    /// The index of cycle `cycle`, built beside the one in use (resumed where a run left it).
    func openRollover(cycle: Int) throws(IndexError) -> any RecordStore {
        switch self {
        case .files(let layout, let logger): try SQLiteRecordStore(path: layout.rolloverIndex(cycle: cycle).path, logger: logger)
        case .database(let index): try index.openBuilding("pubmed_c\(cycle)")
        }
    }

    /// A new, empty index beside the one in use, for a rebuild. What earlier rebuilds left (a
    /// run killed before it could delete its index) is deleted first: a rebuild is never resumed.
    func openRebuild() throws(IndexError) -> any RecordStore {
        switch self {
        case .files(let layout, let logger):
            if let current = layout.knownCurrentIndex() {
                for leftover in layout.rebuiltIndexes() where leftover.lastPathComponent != current.lastPathComponent {
                    logger.info("deleting \(leftover.lastPathComponent), left by a rebuild that did not finish")
                    Self.remove(leftover, layout)
                }
            } else {
                logger.warning("\(layout.indexPointer.path) cannot be read: no index left by an earlier rebuild is deleted")
            }
            // A name of its own, even for a second rebuild in the same second by the same process.
            var date = Date()
            while FileManager.default.fileExists(atPath: layout.rebuiltIndex(at: date).path) { date += 1 }
            return try SQLiteRecordStore(path: layout.rebuiltIndex(at: date).path, logger: logger)
        case .database(let index):
            return try index.openRebuild()
        }
    }

    /// The rollover index of `cycle` if one is being built, read-only (for `status`).
    func building(cycle: Int) throws(IndexError) -> (any RecordStore)? {
        switch self {
        case .files(let layout, _):
            let building = layout.rolloverIndex(cycle: cycle)
            guard FileManager.default.fileExists(atPath: building.path) else { return nil }
            return try SQLiteRecordStore(path: building.path, readOnly: true)
        case .database(let index):
            return try index.building("pubmed_c\(cycle)")
        }
    }

    /// Deletes a rebuild's index that will not be switched to: its files, or its schema (what
    /// cannot be deleted now, the next rebuild deletes, as it does what a killed run left).
    func discard(_ store: any RecordStore) {
        switch self {
        case .files(let layout, _):
            guard let store = store as? SQLiteRecordStore, let current = layout.knownCurrentIndex(), store.path != current.path else { return }
            Self.remove(URL(fileURLWithPath: store.path), layout)
        case .database(let index):
            guard let store = store as? PostgreSQLRecordStore else { return }
            try? index.discard(store)
        }
    }

    /// Deletes an SQLite index with its log and shared memory.
    private static func remove(_ database: URL, _ layout: MirrorLayout) {
        for file in layout.databaseFiles(database) { FileSystem.remove(file) }
    }

    /// Makes `store` (opened by this home) the index in use, and deletes the one it replaces.
    func switchTo(_ store: any RecordStore) throws(IndexError) {
        switch self {
        case .files(let layout, _):
            guard let store = store as? SQLiteRecordStore else { throw .inconsistency("an SQLite index was to be switched to another store") }
            // Flushed whole to the disk, then `index.current` pointed at it in one atomic rename,
            // then the index it replaces deleted.
            try store.flush()
            let old = layout.currentIndex()
            let new = URL(fileURLWithPath: store.path)
            do throws(FileSystemError) {
                try FileSystem.writeAtomically(Array((new.lastPathComponent + "\n").utf8), to: layout.indexPointer)
            } catch { throw .local(error) }
            if old.lastPathComponent != new.lastPathComponent {
                Self.remove(old, layout)
            }
        case .database(let index):
            guard let store = store as? PostgreSQLRecordStore else { throw .inconsistency("a PostgreSQL index was to be switched to another store") }
            try index.switchTo(store)
        }
    }

}
