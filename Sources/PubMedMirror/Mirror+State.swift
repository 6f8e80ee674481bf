import Foundation
import PubMedFiles
import PubMedPostgreSQL
import PubMedSupport

extension Mirror {
    /// The mirror's state, writable: the folder's `state.sqlite`, or with `--database` the ledger in
    /// the database (holding its ledger lock). The first time a folder that has a `state.sqlite` is
    /// given a database whose ledger is empty, its state is copied in, so that the files already
    /// mirrored are not fetched again. `exclusive: false` leaves the ledger lock to others (for
    /// `publish`, which writes only what the targets hold and may run beside a fetch).
    func openState(exclusive: Bool = true) throws(MirrorError) -> any MirrorState {
        guard let database else { return try SQLiteStateStore(path: layout.stateDatabase.path) }
        let state = try PostgreSQLStateStore(writingTo: database, exclusive: exclusive)
        if FileManager.default.fileExists(atPath: layout.stateDatabase.path) {
            let local = try SQLiteStateStore(path: layout.stateDatabase.path, readOnly: true).contents()
            if !local.isEmpty, try state.adopt(local) {
                logger.info("copied the state of \(layout.stateDatabase.path) into \(database.text): \(local.files.count) files, \(local.runs.count) fetch runs, \(local.publishedFiles.count) published files")
            }
        }
        return state
    }

    /// The mirror's state, read-only; nil when no fetch has recorded anything yet. With
    /// `--database`, a ledger still empty gives way to the folder's `state.sqlite`, which the
    /// next writer copies in.
    func existingState() throws(MirrorError) -> (any MirrorState)? {
        if let database {
            let shared = PostgreSQLStateStore(readingFrom: database)
            if try !shared.isEmpty() { return shared }
        }
        guard FileManager.default.fileExists(atPath: layout.stateDatabase.path) else { return nil }
        return try SQLiteStateStore(path: layout.stateDatabase.path, readOnly: true)
    }
}
