import Foundation
import Logging
import PubMedListing
import PubMedSupport
import PubMedTransfer

/// How one planned file ended.
enum ItemOutcome: Sendable {
    case downloaded(DownloadResult)
    /// A `.check` found the published MD5 unchanged: nothing downloaded.
    case confirmed
    case failed(MirrorError)
}

extension FileMirror {
    /// Brings one file up to date, retrying what can be retried. Runs on a worker thread.
    func fetchWithRetries(_ item: MirrorPlan.Item, session: TransferSession, options: DownloadOptions,
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
            if !error.isCancellation { logger.info("\(error.description)", metadata: ["error.code": "\(error.code)"]) }
            return .failed(error)
        }
    }

    /// One attempt: fetch the published `.md5`; for a check, stop there if it did not change;
    /// otherwise download to `NAME.partial` (resuming), verify size and MD5, and rename into place
    /// (the download is flushed to the disk first). A download that fails verification is deleted
    /// so the retry starts clean.
    func fetchFile(_ item: MirrorPlan.Item, session: TransferSession, progress: ProgressBoard?) throws(MirrorError) -> ItemOutcome {
        let (md5Bytes, published) = try publishedMD5(item, session: session)
        let finalURL = layout.file(item.folder, item.file.name)
        if item.action == .check, let record = item.record, record.md5 == published.digest,
           let size = record.size, FileSystem.size(of: finalURL) == size {
            try writeMD5IfChanged(md5Bytes, folder: item.folder, name: item.file.name)
            return .confirmed
        }
        let expected = try exactSize(item, session: session)
        let result = try downloadAndVerify(item, expectedSize: expected, md5: published.digest, session: session, progress: progress)
        try writeMD5IfChanged(md5Bytes, folder: item.folder, name: item.file.name)
        do throws(FileSystemError) {
            try FileSystem.rename(layout.partial(item.folder, item.file.name), to: finalURL)
        } catch { throw .local(error) }
        return .downloaded(result)
    }

    /// The file's `.md5` as published (its bytes, kept beside the file) and what it says.
    private func publishedMD5(_ item: MirrorPlan.Item, session: TransferSession) throws(MirrorError) -> ([UInt8], MD5File) {
        let name = item.file.name
        let bytes: [UInt8]
        do throws(TransferError) {
            bytes = try session.fetchSmall(session.source.fileURL(item.folder, item.file.md5Name), limit: MD5File.maximumByteCount)
        } catch {
            if error.kind == .permanent && error.scope == .file { throw .missingMD5(file: name) }
            throw .transfer(error)
        }
        do throws(MD5FileError) {
            return (bytes, try MD5File.parse(bytes, expectedFileName: name))
        } catch {
            throw .badMD5File(file: name, problem: error)
        }
    }

    /// The exact size: from the listing, or asked of the server when the listing rounds it.
    private func exactSize(_ item: MirrorPlan.Item, session: TransferSession) throws(MirrorError) -> Int64 {
        if let exact = item.remote?.data.size?.exactBytes { return exact }
        let url = session.source.fileURL(item.folder, item.file.name)
        let info: RemoteFileInfo
        do throws(TransferError) { info = try session.probe(url) } catch { throw .transfer(error) }
        guard let size = info.size else {
            throw .transfer(TransferError(kind: .transient, scope: .file, url: url.absoluteString,
                                          summary: "the server did not tell the file's size"))
        }
        if let hint = item.remote?.data.size, !hint.admits(size) {
            throw .sizeMismatch(file: item.file.name, expected: hint.estimate, actual: size)
        }
        return size
    }

    /// Downloads into `NAME.partial` and checks length and MD5; a partial file that cannot be
    /// finished is removed (too long, or no room left for it).
    private func downloadAndVerify(_ item: MirrorPlan.Item, expectedSize expected: Int64, md5: String,
                                   session: TransferSession, progress: ProgressBoard?) throws(MirrorError) -> DownloadResult {
        let name = item.file.name
        let partial = layout.partial(item.folder, name)
        progress?.begin(name, total: expected, resumedFrom: FileSystem.size(of: partial).map { min($0, expected) } ?? 0)
        let result: DownloadResult
        do throws(DownloadError) {
            result = try session.download(session.source.fileURL(item.folder, name), to: partial, expectedSize: expected) { done in
                progress?.update(name, done: done)
            }
        } catch {
            progress?.abandon(name)
            switch error {
            case .tooLong:
                FileSystem.remove(partial)
            case .local(let local) where local.isOutOfSpace:
                // It cannot be finished in this run, and keeping it would leave no room to record the
                // run's outcome: give the space back.
                FileSystem.remove(partial)
            default:
                break
            }
            throw MirrorError(error)
        }
        guard result.length == expected else {
            progress?.abandon(name)
            FileSystem.remove(partial)
            throw .sizeMismatch(file: name, expected: expected, actual: result.length)
        }
        guard result.md5 == md5 else {
            progress?.abandon(name)
            FileSystem.remove(partial)
            throw .md5Mismatch(file: name, published: md5, actual: result.md5)
        }
        return result
    }

    /// Keeps the published `.md5` beside its file, byte for byte as the server has it.
    private func writeMD5IfChanged(_ bytes: [UInt8], folder: MirrorFolder, name: String) throws(MirrorError) {
        let url = layout.md5File(folder, name)
        if FileSystem.contents(url) == bytes { return }
        do throws(FileSystemError) { try FileSystem.writeAtomically(bytes, to: url) } catch { throw .local(error) }
    }

    /// Writes one file's outcome to the state database.
    func record(_ item: MirrorPlan.Item, _ outcome: ItemOutcome, in store: any MirrorState) throws(MirrorError) {
        var record = item.record ?? MirroredFile(folder: item.folder, file: item.file, status: .missing)
        switch outcome {
        case .downloaded(let result):
            record.status = .mirrored
            record.size = result.length
            record.md5 = result.md5
            record.remoteModified = result.remoteModified
            record.fetchedAt = Date()
            record.clearError()
            if let remote = item.remote { record.remember(remote) }
        case .confirmed:
            record.status = .mirrored
            record.clearError()
            if let remote = item.remote { record.remember(remote) }
        case .failed(let error):
            if error.isCancellation { return }
            // A republished file that failed keeps its verified old copy (and its old listing
            // stamps, so the next run tries again).
            record.fail(error)
        }
        try store.save(record)
    }
}
