import Foundation
import GRDB

/// Copies the index's write-ahead log into the database after each file, on a thread and a
/// connection of its own, so that a run over many files reads and prepares the next file while
/// the last one is checkpointed (a fifth to a third of a file's time: the WAL and then the database
/// are flushed to the disk).
///
/// The writer connection never checkpoints itself (`wal_autocheckpoint = 0`): after each commit it
/// calls `start`, and before the next write transaction `wait`, so that the transaction begins on
/// a fully copied log and SQLite writes the log from its start again instead of growing it. When
/// the store goes, it waits for the last checkpoint (the running thread keeps this object alive
/// until it is done), so a finished run leaves the database whole
/// and flushed. A checkpoint that fails leaves the log as it was (nothing is lost); the next one
/// copies it. https://www.sqlite.org/wal.html#checkpointing
final class Checkpointer: @unchecked Sendable {
    private let path: String
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var running = false
    private var connection: DatabaseQueue?
    /// What went wrong with a checkpoint (the data is safe in the log either way).
    struct Problem {
        /// It failed, rather than stopping short of a reader's snapshot (which is normal).
        var failed: Bool
        var message: String
    }

    /// The last checkpoint's problem, for `wait` to hand on.
    private var lastProblem: Problem?

    init(path: String) {
        self.path = path
    }

    /// Starts copying the log into the database in the background (a PASSIVE checkpoint: it never
    /// blocks readers, and waits for no one).
    func start() {
        condition.lock()
        while running { condition.wait() }
        running = true
        condition.unlock()
        let thread = Thread { [self] in
            var problem: Problem?
            do {
                let connection = try self.openConnection()
                // One row: busy (always 0 for PASSIVE), frames in the log, frames copied.
                let row = try connection.writeWithoutTransaction { db in try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
                if let row, let frames = row[1] as Int?, let copied = row[2] as Int?, frames >= 0, copied < frames {
                    problem = Problem(failed: false, message: "the checkpoint copied \(copied) of \(frames) log frames (a reader holds an older snapshot); the next one copies the rest")
                }
            } catch {
                problem = Problem(failed: true, message: "the checkpoint failed (\(SQLiteDatabase.describe(error))); the log keeps everything and the next one retries")
            }
            condition.lock()
            running = false
            lastProblem = problem
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "index-checkpoint"
        thread.start()
    }

    /// Waits for the checkpoint in progress, if any; returns what went wrong with it, if anything.
    @discardableResult
    func wait() -> Problem? {
        condition.lock()
        defer { condition.unlock() }
        while running { condition.wait() }
        defer { lastProblem = nil }
        return lastProblem
    }

    /// The checkpointing connection, opened on first use (only the checkpoint thread touches it,
    /// one checkpoint at a time).
    private func openConnection() throws -> DatabaseQueue {
        if let connection { return connection }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let opened = try DatabaseQueue(path: path, configuration: configuration)
        connection = opened
        return opened
    }
}
