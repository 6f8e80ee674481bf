import Foundation
import Logging

/// How one planned file ended.
enum ItemOutcome: Sendable {
    case downloaded(DownloadResult)
    /// A `.check` found the published MD5 unchanged: nothing downloaded.
    case confirmed
    case failed(MirrorError)
}

extension Mirror {
    /// Brings one file up to date, retrying what can be retried. Runs on a worker thread.
    func fetchWithRetries(_ item: MirrorPlan.Item, session: TransferSession, options: FetchOptions,
                          progress: ProgressBoard?, cancellation: CancellationFlag) -> ItemOutcome {
        let name = item.file.name
        do {
            let outcome = try Self.retrying(options.retry, cancellation: cancellation, logger: logger,
                                            what: options.source.fileURL(item.folder, name).absoluteString) { () throws(MirrorError) in
                try fetchFile(item, session: session, progress: progress)
            }
            if case .downloaded(let result) = outcome {
                progress?.end(name, bytes: result.length, received: result.received, failed: false)
                let resumed = result.resumedFrom > 0 ? ", resumed at byte \(result.resumedFrom)" : ""
                logger.info("\(item.folder.rawValue)/\(name): downloaded, \(result.length) bytes, size and MD5 verified\(resumed)",
                            metadata: ["file.md5": "\(result.md5)"])
            } else {
                progress?.end(name, bytes: 0, received: 0, failed: false)
            }
            return outcome
        } catch {
            progress?.abandon(name)
            progress?.end(name, bytes: 0, received: 0, failed: !error.isCancellation)
            if !error.isCancellation { logger.error("\(error.description)") }
            return .failed(error)
        }
    }

    /// One attempt: fetch the published `.md5`; for a check, stop there if it did not change;
    /// otherwise download to `NAME.partial` (resuming), verify size and MD5, flush, and rename into
    /// place. A download that fails verification is deleted so the retry starts clean.
    func fetchFile(_ item: MirrorPlan.Item, session: TransferSession, progress: ProgressBoard?) throws(MirrorError) -> ItemOutcome {
        let folder = item.folder
        let name = item.file.name
        let source = session.source

        // The published MD5.
        let md5Bytes: [UInt8]
        do throws(TransferError) {
            md5Bytes = try session.fetchSmall(source.fileURL(folder, item.file.md5Name), limit: 4096)
        } catch {
            if error.kind == .permanent && error.scope == .file { throw .missingMD5(file: name) }
            throw .transfer(error)
        }
        let published: MD5File
        do throws(MD5FileError) {
            published = try MD5File.parse(md5Bytes, expectedFileName: name)
        } catch {
            throw .badMD5File(file: name, problem: error.description)
        }

        let finalURL = layout.file(folder, name)
        if item.action == .check, let record = item.record, record.md5 == published.digest,
           let size = record.size, layout.size(of: finalURL) == size {
            try writeMD5IfChanged(md5Bytes, folder: folder, name: name)
            return .confirmed
        }

        // The exact size: from the listing, or asked of the server when the listing rounds it.
        let expected: Int64
        if let exact = item.remote?.data.size?.exactBytes {
            expected = exact
        } else {
            let info: RemoteFileInfo
            do throws(TransferError) { info = try session.probe(source.fileURL(folder, name)) } catch { throw .transfer(error) }
            guard let size = info.size else {
                throw .transfer(TransferError(kind: .transient, scope: .file, url: source.fileURL(folder, name).absoluteString,
                                              summary: "the server did not tell the file's size"))
            }
            if let hint = item.remote?.data.size, !hint.admits(size) {
                throw .sizeMismatch(file: name, expected: hint.estimate, actual: size)
            }
            expected = size
        }

        let partial = layout.partial(folder, name)
        progress?.begin(name, total: expected, resumedFrom: layout.size(of: partial).map { min($0, expected) } ?? 0)
        let result: DownloadResult
        do throws(MirrorError) {
            result = try session.download(source.fileURL(folder, name), to: partial, expectedSize: expected) { done in
                progress?.update(name, done: done)
            }
        } catch {
            progress?.abandon(name)
            switch error {
            case .tooLong:
                FileSystem.remove(partial)
            case .local(_, _, let code) where code == ENOSPC || code == EDQUOT:
                // It cannot be finished in this run, and keeping it would leave no room to record the
                // run's outcome: give the space back.
                FileSystem.remove(partial)
            default:
                break
            }
            throw error
        }
        guard result.length == expected else {
            progress?.abandon(name)
            FileSystem.remove(partial)
            throw .sizeMismatch(file: name, expected: expected, actual: result.length)
        }
        guard result.md5 == published.digest else {
            progress?.abandon(name)
            FileSystem.remove(partial)
            throw .md5Mismatch(file: name, published: published.digest, actual: result.md5)
        }
        try FileSystem.sync(partial)
        try writeMD5IfChanged(md5Bytes, folder: folder, name: name)
        try FileSystem.rename(partial, to: finalURL)
        return .downloaded(result)
    }

    /// Keeps the published `.md5` beside its file, byte for byte as the server has it.
    private func writeMD5IfChanged(_ bytes: [UInt8], folder: MirrorFolder, name: String) throws(MirrorError) {
        let url = layout.md5File(folder, name)
        if FileSystem.contents(url) == bytes { return }
        try FileSystem.writeAtomically(bytes, to: url)
    }

    /// Writes one file's outcome to the state database.
    func record(_ item: MirrorPlan.Item, _ outcome: ItemOutcome, in store: StateStore) throws(MirrorError) {
        var record = item.record ?? MirroredFile(folder: item.folder, file: item.file, status: .missing)
        switch outcome {
        case .downloaded(let result):
            record.status = .mirrored
            record.size = result.length
            record.md5 = result.md5
            record.remoteModified = result.remoteModified
            record.fetchedAt = Date()
            record.lastError = nil
            record.lastErrorAt = nil
            if let remote = item.remote { record.remember(remote) }
        case .confirmed:
            record.status = .mirrored
            record.lastError = nil
            record.lastErrorAt = nil
            if let remote = item.remote { record.remember(remote) }
        case .failed(let error):
            if error.isCancellation { return }
            // A republished file that failed keeps its verified old copy (and its old listing
            // stamps, so the next run tries again).
            record.lastError = error.description
            record.lastErrorAt = Date()
        }
        try store.save(record)
    }
}
