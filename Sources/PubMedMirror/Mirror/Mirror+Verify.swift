import Crypto
import Foundation
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
}

extension Mirror {
    /// Re-hashes every mirrored file and compares it with the `.md5` beside it and with the MD5 the
    /// database recorded. A damaged or missing file is marked so that the next `fetch` downloads it
    /// again. Takes the mirror's lock, since it writes to the database.
    public func verify(jobs: Int = 2, progress: ProgressBoard? = nil) async throws(MirrorError) -> VerifyReport {
        let clock = ContinuousClock.now
        guard FileManager.default.fileExists(atPath: layout.stateDatabase.path) else {
            return VerifyReport(files: [], bytesHashed: 0, seconds: 0)
        }
        let lock = try FileLock(path: layout.lockFile.path)
        defer { withExtendedLifetime(lock) {} }
        let store = try StateStore(path: layout.stateDatabase.path)
        let records = try store.files().filter { $0.status == .mirrored || $0.status == .damaged }
        progress?.plan(files: records.count, bytes: records.reduce(0) { $0 + ($1.size ?? 0) }, phase: "verified")

        let queue = WorkQueue(records)
        let results = Mutex<[(MirroredFile, VerifiedFile, Int64)]>([])
        let layout = self.layout
        await BlockingThreads.run(count: max(1, min(jobs, records.count)), name: "verify") { _ in
            while let record = queue.next() {
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
        guard let size = layout.size(of: url) else {
            progress?.end(record.name, bytes: 0, received: 0, failed: true)
            return (result(.missing, "\(record.name): not on disk"), 0)
        }
        progress?.begin(record.name, total: size, resumedFrom: 0)
        let digest: String
        do {
            digest = try hashFile(url) { progress?.update(record.name, done: $0) }
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

    /// MD5 of a whole file, read in 1 MiB blocks.
    static func hashFile(_ url: URL, progress: (Int64) -> Void = { _ in }) throws -> String {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        var hasher = Insecure.MD5()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
            progress(total)
        }
        return hasher.finalize().hex
    }
}
