import Foundation
import GRDB
import PubMedRecords
import PubMedSupport

extension SQLiteRecordStore {
    public func apply(_ file: FileIdentity,
                      produce: @escaping @Sendable (_ sink: (ArticleFileItem) throws -> Void) throws -> Void) throws(IndexError) -> AppliedFile {
        try apply(file, xmlSource: .compressedHere, cancellation: CancellationFlag(), produce: IndexPipeline.produce(produce))
    }

    public func apply(_ file: FileIdentity, contentsOf url: URL, cancellation: CancellationFlag) throws(IndexError) -> AppliedFile {
        let isGzip: Bool
        do throws(PubMedRecords.RecordError) { isGzip = try ArticleFile.isGzip(url) } catch { throw .parse(error) }
        let hashing = file.md5.isEmpty
        // A gzip file's own stream is kept as the records' XML; a plain file's XML is compressed here.
        return try apply(file, xmlSource: isGzip ? .fileStream : .compressedHere, cancellation: cancellation) { sink in
            try ArticleFile.read(url, keepingStream: isGzip, hashing: hashing) { item in try sink(item) }
        }
    }

    /// Runs the file through the `IndexPipeline`, the writer inside one write transaction. A file
    /// whose identity has no MD5 gets the one the parser computed.
    private func apply(_ file: FileIdentity, xmlSource: RecordPreparer.XMLSource, cancellation: CancellationFlag,
                       produce: @escaping IndexPipeline.Produce) throws(IndexError) -> AppliedFile {
        let clock = ContinuousClock.now
        do {
            // The write transaction waits for the previous file's checkpoint: it starts on a fully
            // copied log, which SQLite then reuses from its start.
            waitForCheckpoint()
            let applied = try IndexPipeline.run(sourceFile: file.name, xmlSource: xmlSource, cancellation: cancellation,
                                                produce: produce) { next, summary in
                try database.write { db in
                    let writer = try RecordWriter(db: db, path: path, sourceFile: file.name)
                    while let batch = try next() {
                        for item in batch { try writer.write(item) }
                    }
                    var identity = file
                    if identity.md5.isEmpty { identity.md5 = summary()?.md5 ?? "" }
                    var applied = writer.counts(for: identity)
                    applied.seconds = (ContinuousClock.now - clock).inSeconds
                    try writer.finish(applied)
                    return applied
                }
            }
            startCheckpoint()
            return applied
        } catch {
            // The transaction rolled back, but the WAL keeps the size it grew to; on a full disk that
            // space is needed back at once (to record the run, and for the rerun).
            _ = try? database.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            throw applyError(error)
        }
    }

    /// What a failed `apply` reports: the parse error, the index's own, or the database's failure.
    private func applyError(_ error: any Error) -> IndexError {
        switch error {
        case let error as IndexError:
            return error
        case let error as PubMedRecords.RecordError:
            // The reader wraps what the sink threw (the preparer's or writer's failure): not a parse error.
            if error.kind == .handler, let underlying = error.underlying {
                return applyError(underlying)
            }
            return .parse(error)
        default:
            return .database(failure(error))
        }
    }
}
