import Foundation
import Logging
import PubMedFiles
import PubMedListing
import PubMedSupport
import PubMedTransfer

/// Publishing one file over a worker's session, as the plan says, each attempt retried with the
/// download's backoff:
///
/// 1. The state database records which bytes are about to go to `.NAME.MD5PREFIX.partial` (`pendingMD5`);
///    an upload cut short in this run or an earlier one is resumed (APPE, an SFTP append) only
///    when it was for the same bytes.
/// 2. The server's size of that temporary file must be the file's (and its MD5, where the FTP
///    server has the HASH command), then it is renamed to `NAME`,
///    and the database records the file as in place.
/// 3. Only then is `NAME.md5` written (through a temporary name and a rename, in one request).
struct FileUpload {
    let publisher: Publisher
    let item: PublishPlan.Item
    let target: String
    let session: TransferSession
    let state: StateStore
    let board: ProgressBoard?

    private var folder: MirrorFolder { item.folder }
    private var name: String { item.file.name }
    /// Hidden, and named for the bytes it is to hold: a session of an earlier, killed run that the
    /// server is still finishing never writes into the upload of another version of the file.
    private var temporary: String { Self.temporaryName(name, md5: item.md5) }

    static func temporaryName(_ name: String, md5: String) -> String { "." + name + "." + md5.prefix(8) + ".partial" }

    /// What this run has done to the file so far, across attempts: once it is in place, a retry
    /// sends only its `.md5`.
    private struct Progress {
        var placed: Publisher.ItemOutcome?
    }

    func run(_ retry: RetryPolicy, cancellation: CancellationFlag) -> Publisher.ItemOutcome {
        var record = item.record ?? PublishedFile(target: target, folder: folder, name: name)
        var progress = Progress()
        do throws(MirrorError) {
            let outcome = try FileMirror.retrying(retry, cancellation: cancellation, logger: publisher.logger,
                                                  what: "\(target)\(folder.rawValue)/\(name)") { () throws(MirrorError) in
                if let placed = progress.placed {
                    try sendMD5()
                    board?.end(name, bytes: item.size, received: 0, failed: false)
                    return placed
                }
                return try attempt(&record, &progress)
            }
            if case .uploaded(let sent, let resumed) = outcome {
                publisher.logger.info("published", metadata: ["file.folder": "\(folder.rawValue)", "file.name": "\(name)",
                                                               "bytes.sent": "\(sent)", "bytes.resumed": "\(resumed)"])
            }
            return outcome
        } catch {
            board?.abandon(name)
            board?.end(name, bytes: 0, received: 0, failed: !error.isCancellation)
            if !error.isCancellation {
                record.fail(error)
                try? state.save(record)
                publisher.logger.info("\(error.description)", metadata: ["file.name": "\(name)", "error.code": "\(error.code)"])
            }
            return .failed(error)
        }
    }

    private func attempt(_ record: inout PublishedFile, _ progress: inout Progress) throws(MirrorError) -> Publisher.ItemOutcome {
        switch item.action {
        case .inPlace:
            return .confirmed
        case .sendMD5:
            try sendMD5()
            board?.end(name, bytes: 0, received: 0, failed: false)
            return .md5Sent
        case .confirm:
            if try targetHoldsThisFile() {
                try markInPlace(&record)
                board?.end(name, bytes: item.size, received: 0, failed: false)
                return .confirmed
            }
            return try upload(&record, &progress)
        case .upload:
            return try upload(&record, &progress)
        }
    }

    private func upload(_ record: inout PublishedFile, _ progress: inout Progress) throws(MirrorError) -> Publisher.ItemOutcome {
        let local = publisher.layout.file(folder, name)
        let descriptor = open(local.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .local(FileSystemError(path: local.path, operation: "open", errno: errno)) }
        defer { close(descriptor) }
        let size = item.size
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .local(FileSystemError(path: local.path, operation: "stat", errno: errno)) }
        guard Int64(info.st_size) == size else { throw .changedDuringPublish(file: local.path) }
        var offset: Int64 = 0
        if record.pendingMD5 == item.md5, let there = try transfer({ () throws(TransferError) in try session.remoteSize(folder, temporary) }),
           there <= size {
            offset = there
        } else if record.pendingMD5 != item.md5 {
            if let earlier = record.pendingMD5 {
                // An upload of other bytes (the file was republished since) will not be resumed:
                // its temporary file goes (best effort: it may be gone already).
                try? session.delete([Self.temporaryName(name, md5: earlier)], in: folder)
            }
            record.pendingMD5 = item.md5
            try state.save(record)
        }
        board?.begin(name, total: size, resumedFrom: offset)
        var sent: Int64 = 0
        // The bytes sent are read from this one open file; they are the verified ones only if it
        // still is the file the state database recorded (a fetch may have replaced it meanwhile):
        // its MD5, taken as it is read, decides before anything gets a real name.
        let digest: String
        if offset < size {
            let board = self.board, name = self.name
            do throws(UploadError) {
                let result = try session.upload(descriptor, path: local.path, length: size, to: folder, temporary, from: offset,
                                                progress: { board?.update(name, done: $0) })
                sent = result.sent
                digest = result.md5
            } catch {
                switch error {
                case .transfer(let error): throw .transfer(error)
                case .local(let error): throw .local(error)
                }
            }
        } else {
            do throws(FileSystemError) { digest = try FileDigest.md5(descriptor: descriptor, path: local.path) } catch { throw .local(error) }
        }
        guard digest == item.md5 else { throw .changedDuringPublish(file: local.path) }
        let landed = try transfer({ () throws(TransferError) in try session.remoteSize(folder, temporary) })
        guard landed == size else {
            // Another writer (a session of a killed run the server is still draining, say) may
            // have added to it: the next attempt starts it over.
            throw .uploadSizeMismatch(file: "\(target)\(folder.rawValue)/\(temporary)", expected: size, actual: landed)
        }
        // Where the server can hash what it holds (FTP HASH), its MD5 must be the file's too; if
        // not, the temporary file goes and the next attempt sends it whole.
        if let held = try transfer({ () throws(TransferError) in try session.remoteMD5(folder, temporary) }), held != item.md5 {
            try transfer({ () throws(TransferError) in try session.delete([temporary], in: folder) })
            throw .uploadDigestMismatch(file: "\(target)\(folder.rawValue)/\(temporary)", expected: item.md5, actual: held)
        }
        // The old `.md5` goes in the same request: never beside other bytes, even if this run
        // ends before the new one is sent (the next run then sends only that).
        try transfer({ () throws(TransferError) in try session.rename(in: folder, temporary, to: name, removingFirst: item.file.md5Name) })
        try markInPlace(&record)
        progress.placed = .uploaded(sent: sent, resumedFrom: offset)
        try sendMD5()
        board?.end(name, bytes: size, received: sent, failed: false)
        return .uploaded(sent: sent, resumedFrom: offset)
    }

    /// The file is under its real name: recorded at once, so that a run killed before its `.md5`
    /// is sent sends only that next time.
    private func markInPlace(_ record: inout PublishedFile) throws(MirrorError) {
        record.size = item.size
        record.md5 = item.md5
        record.publishedAt = Date()
        record.pendingMD5 = nil
        record.lastError = nil
        record.lastErrorCode = nil
        record.lastErrorAt = nil
        try state.save(record)
    }

    /// The mirror's own `.md5` file, byte for byte (NCBI's), through a temporary name; it must
    /// name the MD5 of the file sent.
    private func sendMD5() throws(MirrorError) {
        let local = publisher.layout.md5File(folder, name)
        guard let bytes = FileSystem.contents(local) else {
            throw .local(FileSystemError(path: local.path, operation: "read", errno: errno))
        }
        guard (try? MD5File.parse(bytes, expectedFileName: name))?.digest == item.md5 else { throw .changedDuringPublish(file: local.path) }
        try transfer({ () throws(TransferError) in try session.put(bytes, to: folder, item.file.md5Name, through: "." + item.file.md5Name + ".partial") })
    }

    /// Whether the target's `.md5` names the mirror's MD5 (its size was already seen to match).
    private func targetHoldsThisFile() throws(MirrorError) -> Bool {
        let bytes: [UInt8]
        do throws(TransferError) {
            bytes = try session.fetchSmall(session.source.fileURL(folder, item.file.md5Name), limit: MD5File.maximumByteCount)
        } catch {
            if error.code == .transferNotFound { return false }
            throw .transfer(error)
        }
        guard let published = try? MD5File.parse(bytes, expectedFileName: name) else { return false }
        return published.digest == item.md5
    }

    private func transfer<T>(_ body: () throws(TransferError) -> T) throws(MirrorError) -> T {
        do throws(TransferError) { return try body() } catch { throw .transfer(error) }
    }
}
