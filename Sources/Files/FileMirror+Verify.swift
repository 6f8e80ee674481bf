import Foundation
import PubMedListing
import PubMedSupport
import Synchronization

/// What `verify` found for one file.
public struct VerifiedFile: Sendable {
    public enum Result: String, Sendable {
        case ok
        /// The bytes no longer hash to the published MD5.
        case damaged
        /// The database lists the file but it is not on disk.
        case missing
        /// The `.md5` beside the file is missing or unreadable.
        case md5Unreadable = "md5-unreadable"
    }
    public var folder: MirrorFolder
    public var name: String
    public var result: Result
    public var detail: String?
}

public struct VerifyReport: Sendable {
    public var files: [VerifiedFile]
    public var bytesHashed: Int64
    public var seconds: Double
    public var problems: [VerifiedFile] { files.filter { $0.result != .ok } }

    /// Nothing to verify (no state database yet).
    public static let nothing = VerifyReport(files: [], bytesHashed: 0, seconds: 0)
}

extension FileMirror {
    /// Re-hashes every mirrored file and compares it with the `.md5` beside it and with the MD5 the
    /// database recorded. A damaged or missing file is marked in `store` so that the next fetch
    /// downloads it again. The caller holds the mirror's lock.
    public func verify(jobs: Int = 2, store: any MirrorState, progress: ProgressBoard? = nil,
                       cancellation: CancellationFlag = CancellationFlag()) async throws(MirrorError) -> VerifyReport {
        let clock = ContinuousClock.now
        let records = try store.files().filter { $0.status == .mirrored || $0.status == .damaged }
        progress?.plan(files: records.count, bytes: records.reduce(0) { $0 + ($1.size ?? 0) }, phase: "verified")

        let queue = WorkQueue(records)
        let results = Mutex<[(MirroredFile, VerifiedFile, Int64)]>([])
        let layout = self.layout
        await BlockingThreads.run(count: max(1, min(jobs, records.count)), name: "verify", cancellation: cancellation) { _ in
            while let record = queue.next(), !cancellation.isCancelled {
                let (verified, hashed) = Self.verifyOne(record, layout: layout, progress: progress)
                results.withLock { $0.append((record, verified, hashed)) }
            }
        }
        let all = results.withLock { $0 }.sorted { ($0.0.folder, $0.0.fileName) < ($1.0.folder, $1.0.fileName) }
        var changed: [MirroredFile] = []
        for (record, verified, _) in all {
            var updated = record
            switch verified.result {
            case .ok: updated.status = .mirrored
            case .damaged, .missing: updated.status = .damaged
            case .md5Unreadable: continue
            }
            if updated.status != record.status {
                updated.lastError = verified.detail
                updated.lastErrorCode = verified.result == .ok ? nil : ErrorCode.damagedFile.name
                updated.lastErrorAt = Date()
                changed.append(updated)
            }
        }
        try store.save(changed)
        return VerifyReport(files: all.map(\.1), bytesHashed: all.reduce(0) { $0 + $1.2 },
                            seconds: (ContinuousClock.now - clock).inSeconds)
    }

    static func verifyOne(_ record: MirroredFile, layout: MirrorLayout, progress: ProgressBoard?) -> (VerifiedFile, Int64) {
        let url = layout.file(record.folder, record.name)
        func result(_ result: VerifiedFile.Result, _ detail: String? = nil) -> VerifiedFile {
            VerifiedFile(folder: record.folder, name: record.name, result: result, detail: detail)
        }
        guard let size = FileSystem.size(of: url) else {
            progress?.end(record.name, bytes: 0, received: 0, failed: true)
            return (result(.missing, "\(record.name): not on disk"), 0)
        }
        progress?.begin(record.name, total: size, resumedFrom: 0)
        let digest: String
        do throws(FileSystemError) {
            digest = try FileDigest.md5(of: url) { progress?.update(record.name, done: $0) }
        } catch {
            progress?.end(record.name, bytes: 0, received: 0, failed: true)
            return (result(.missing, "\(record.name): cannot be read: \(error)"), 0)
        }
        progress?.end(record.name, bytes: size, received: 0, failed: false)
        let published: MD5File
        do throws(MD5FileError) {
            guard let bytes = FileSystem.contents(layout.md5File(record.folder, record.name)) else {
                return (result(.md5Unreadable, "\(record.name).md5 is missing"), size)
            }
            published = try MD5File.parse(bytes, expectedFileName: record.name)
        } catch {
            return (result(.md5Unreadable, error.description), size)
        }
        if digest != published.digest {
            return (result(.damaged, "\(record.name): MD5 \(digest) does not match the published \(published.digest)"), size)
        }
        if let recorded = record.md5, recorded != digest {
            return (result(.damaged, "\(record.name): MD5 \(digest) differs from the \(recorded) recorded when it was fetched"), size)
        }
        return (result(.ok), size)
    }
}

extension ErrorCode {
    /// A mirrored file no longer matches its MD5, or is gone from the disk.
    public static let damagedFile = ErrorCode("mirror.damaged-file", .local)
}
