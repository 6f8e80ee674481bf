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
    let state: any MirrorState
    let board: ProgressBoard?

    private var folder: MirrorFolder { item.folder }
    private var name: String { item.file.name }
    /// Hidden, and named for the bytes it is to hold: a session of an earlier, killed run that the
    /// server is still finishing never writes into the upload of another version of the file.
    private var temporary: String { Self.temporaryName(name, md5: item.md5) }

    static func temporaryName(_ name: String, md5: String) -> String { "." + name + "." + md5.prefix(8) + ".partial" }

    /// The `.md5`'s temporary name: written and renamed in one request.
    static func temporaryMD5Name(_ file: PubMedFileName) -> String { "." + file.md5Name + ".partial" }

    enum TemporaryKind { case file, md5 }

    /// Whether `name` is one of the temporary names above (of a PubMed file's name), and which.
    static func temporaryKind(_ name: String) -> TemporaryKind? {
        guard name.hasPrefix("."), name.hasSuffix(".partial") else { return nil }
        let inner = name.dropFirst().dropLast(".partial".count)
        if let file = PubMedFileName(md5Name: String(inner)), file.md5Name == inner { return .md5 }
        guard let dot = inner.lastIndex(of: "."), inner.distance(from: dot, to: inner.endIndex) == 9,
              inner[inner.index(after: dot)...].allSatisfy(\.isHexDigit),
              let file = PubMedFileName(String(inner[..<dot])), file.name == inner[..<dot] else { return nil }
        return .file
    }

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
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .local(FileSystemError(path: local.path, operation: "stat", errno: errno)) }
        guard Int64(info.st_size) == item.size else { throw .changedDuringPublish(file: local.path) }
        let offset = try resumableOffset(&record)
        board?.begin(name, total: item.size, resumedFrom: offset)
        let sent = try send(descriptor, path: local.path, from: offset)
        try checkOnServer()
        // The old `.md5` goes in the same request: never beside other bytes, even if this run
        // ends before the new one is sent (the next run then sends only that).
        try transfer({ () throws(TransferError) in try session.rename(in: folder, temporary, to: name, removingFirst: item.file.md5Name) })
        try markInPlace(&record)
        progress.placed = .uploaded(sent: sent, resumedFrom: offset)
        try sendMD5()
        board?.end(name, bytes: item.size, received: sent, failed: false)
        return .uploaded(sent: sent, resumedFrom: offset)
    }

    /// Where the upload starts: after what an earlier attempt left in the temporary file, when the
    /// record says that was for these bytes; else at 0, the record saying which bytes are coming.
    private func resumableOffset(_ record: inout PublishedFile) throws(MirrorError) -> Int64 {
        if record.pendingMD5 == item.md5 {
            let there = try transfer({ () throws(TransferError) in try session.remoteSize(folder, temporary) })
            return there.map { $0 <= item.size ? $0 : 0 } ?? 0
        }
        if let earlier = record.pendingMD5 {
            // An upload of other bytes (the file was republished since) will not be resumed:
            // its temporary file goes (best effort: it may be gone already).
            try? session.delete([Self.temporaryName(name, md5: earlier)], in: folder)
        }
        record.pendingMD5 = item.md5
        try state.save(record)
        return 0
    }

    /// Sends the bytes from `offset` on; returns how many. They are read from this one open file,
    /// and are the verified ones only if it still is the file the state database recorded (a fetch
    /// may have replaced it meanwhile): its MD5, taken as it is read, decides before anything gets
    /// a real name.
    private func send(_ descriptor: Int32, path: String, from offset: Int64) throws(MirrorError) -> Int64 {
        var sent: Int64 = 0
        let digest: String
        if offset < item.size {
            let board = self.board, name = self.name
            do throws(UploadError) {
                let result = try session.upload(descriptor, path: path, length: item.size, to: folder, temporary, from: offset,
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
            do throws(FileSystemError) { digest = try FileDigest.md5(descriptor: descriptor, path: path) } catch { throw .local(error) }
        }
        guard digest == item.md5 else { throw .changedDuringPublish(file: path) }
        return sent
    }

    /// The temporary file as the server holds it: the file's exact size, and its MD5 where the FTP
    /// server can hash it (HASH). Another writer (a session of a killed run the server is still
    /// draining, say) may have added to it: the next attempt then starts it over.
    private func checkOnServer() throws(MirrorError) {
        let landed = try transfer({ () throws(TransferError) in try session.remoteSize(folder, temporary) })
        guard landed == item.size else {
            throw .uploadSizeMismatch(file: "\(target)\(folder.rawValue)/\(temporary)", expected: item.size, actual: landed)
        }
        if let held = try transfer({ () throws(TransferError) in try session.remoteMD5(folder, temporary) }), held != item.md5 {
            try transfer({ () throws(TransferError) in try session.delete([temporary], in: folder) })
            throw .uploadDigestMismatch(file: "\(target)\(folder.rawValue)/\(temporary)", expected: item.md5, actual: held)
        }
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
        try transfer({ () throws(TransferError) in try session.put(bytes, to: folder, item.file.md5Name, through: Self.temporaryMD5Name(item.file)) })
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
