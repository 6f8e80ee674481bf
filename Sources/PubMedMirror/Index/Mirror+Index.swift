import Foundation
import Logging

public struct IndexOptions: Sendable {
    /// Apply update files even when a predecessor is missing or not applied.
    public var allowGaps = false
    /// Build a new index from the local files beside the old one, then switch to it.
    public var rebuild = false
    public init() {}
}

/// What an `index` run did.
public struct IndexReport: Sendable {
    public struct Problem: Sendable {
        public var name: String
        public var message: String
    }
    public var applied: [AppliedFile] = []
    /// Files not applied: refused (gaps), unreadable or malformed.
    public var failures: [Problem] = []
    /// Files left alone on purpose (an older cycle than the newest baseline).
    public var skipped: [Problem] = []
    public var counts: IndexCounts?
    public var seconds: Double = 0
}

extension Mirror {
    /// The index database in use. A rebuild writes a new file and switches this pointer atomically,
    /// so readers always open a complete index.
    public var indexURL: URL {
        let pointer = layout.root.appendingPathComponent("index.current")
        if let name = try? String(contentsOf: pointer, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           !name.isEmpty, !name.contains("/") {
            return layout.root.appendingPathComponent(name)
        }
        return layout.root.appendingPathComponent("index.sqlite")
    }

    /// The index, read-only, for search, show and export (which may run during a fetch).
    public func openIndex() throws(IndexError) -> SQLiteRecordStore {
        guard FileManager.default.fileExists(atPath: indexURL.path) else { throw .notIndexed(path: layout.root.path) }
        return try SQLiteRecordStore(path: indexURL.path, readOnly: true)
    }

    /// Applies the downloaded files not yet applied, in NCBI's order. Takes the mirror's lock.
    public func index(_ options: IndexOptions = IndexOptions(), progress: ProgressBoard? = nil) async throws(IndexError) -> IndexReport {
        let lock: FileLock
        do throws(MirrorError) { lock = try FileLock(path: layout.lockFile.path) } catch { throw .mirror(error) }
        defer { withExtendedLifetime(lock) {} }
        let mirror = self
        return try await BlockingThreads.value(name: "index") { () -> Result<IndexReport, IndexError> in
            Result { () throws(IndexError) -> IndexReport in try mirror.indexLocked(options, progress: progress) }
        }.get()
    }

    /// Indexes one local file, whatever its name (for pipelines that bring their own files).
    public func index(file url: URL) async throws(IndexError) -> AppliedFile {
        let lock: FileLock
        do throws(MirrorError) {
            try FileSystem.createDirectory(layout.root)
            lock = try FileLock(path: layout.lockFile.path)
        } catch { throw .mirror(error) }
        defer { withExtendedLifetime(lock) {} }
        let mirror = self
        return try await BlockingThreads.value(name: "index") { () -> Result<AppliedFile, IndexError> in
            Result { () throws(IndexError) -> AppliedFile in
                let digest: String
                do { digest = try Mirror.hashFile(url) } catch {
                    throw .other("\(url.path): cannot be read (\(error))")
                }
                let name = url.lastPathComponent
                let parsed = PubMedFileName(name)
                let identity = FileIdentity(name: name, folder: "local", cycle: parsed?.cycle, number: parsed?.number, md5: digest)
                let store = try SQLiteRecordStore(path: mirror.indexURL.path)
                // Re-applying an applied file changes nothing.
                if let done = try store.appliedFiles().first(where: { $0.name == name && $0.md5 == digest }) {
                    mirror.logger.info("\(name) was applied already (\(done.appliedAt)); nothing to do")
                    return done
                }
                return try mirror.apply(identity, from: url, to: store)
            }
        }.get()
    }

    /// The body of `index`, for callers that hold the lock (`fetch`).
    func indexLocked(_ options: IndexOptions, progress: ProgressBoard?) throws(IndexError) -> IndexReport {
        let clock = ContinuousClock.now
        var report = IndexReport()
        let existing: StateStore?
        do throws(MirrorError) { existing = try existingState() } catch { throw .mirror(error) }
        guard let state = existing else {
            throw .other("\(layout.root.path) has no mirrored files yet: run `pubmed-mirror fetch` first")
        }
        let mirrored: [MirroredFile]
        do throws(MirrorError) { mirrored = try state.files().filter { $0.status == .mirrored } } catch { throw .mirror(error) }

        // Only the newest cycle: a new baseline replaces everything before it (NCBI.md).
        let newest = mirrored.filter { $0.folder == .baseline }.map(\.cycle).max() ?? mirrored.map(\.cycle).max()
        for file in mirrored where file.cycle != newest {
            report.skipped.append(.init(name: file.name, message: "older cycle than the newest baseline (\(newest.map(String.init) ?? "?"))"))
        }
        let candidates = mirrored.filter { $0.cycle == newest }.sorted { ($0.folder, $0.fileName) < ($1.folder, $1.fileName) }

        let target: URL
        let finalPointer: String?
        if options.rebuild {
            let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!,
                                                   formatOptions: [.withYear, .withMonth, .withDay, .withTime])
            let name = "index-\(stamp)-\(getpid()).sqlite"
            target = layout.root.appendingPathComponent(name)
            finalPointer = name
        } else {
            target = indexURL
            finalPointer = nil
        }
        let store = try SQLiteRecordStore(path: target.path)
        if let oldCycle = try store.appliedFiles().compactMap(\.cycle).max(), let newest, oldCycle < newest, !options.rebuild {
            throw .other("the index holds cycle \(oldCycle) but the mirror's newest baseline is cycle \(newest): run `pubmed-mirror index --rebuild`")
        }
        var applied = Dictionary(try store.appliedFiles().map { ($0.name, $0.md5) }, uniquingKeysWith: { $1 })
        let pending = candidates.filter { applied[$0.name] == nil || applied[$0.name] != $0.md5 }
        progress?.plan(files: pending.count, bytes: pending.reduce(0) { $0 + ($1.size ?? 0) }, phase: "indexed")

        for file in pending {
            if file.folder == .updatefiles && !options.allowGaps {
                if let missing = candidates.first(where: { $0.folder == .baseline && applied[$0.name] == nil }) {
                    report.failures.append(.init(name: file.name, message: IndexError.gap(file: file.name, missing: missing.name).description))
                    continue
                }
                let previous = PubMedFileName(cycle: file.cycle, number: file.number - 1).name
                if applied[previous] == nil {
                    report.failures.append(.init(name: file.name, message: IndexError.gap(file: file.name, missing: previous).description))
                    continue
                }
            }
            let identity = FileIdentity(name: file.name, folder: file.folder.rawValue, cycle: file.cycle, number: file.number,
                                        md5: file.md5 ?? "")
            progress?.begin(file.name, total: file.size ?? 0, resumedFrom: 0)
            do throws(IndexError) {
                let result = try apply(identity, from: layout.file(file.folder, file.name), to: store)
                applied[file.name] = file.md5
                report.applied.append(result)
                progress?.end(file.name, bytes: file.size ?? 0, received: 0, failed: false)
                logger.info("\(file.folder.rawValue)/\(file.name): indexed \(result.records) records (\(result.inserted) new, \(result.replaced) replaced), \(result.deleted) deleted, \(result.deletionsAbsent) deletions of absent records, in \(String(format: "%.1f", result.seconds)) s")
            } catch {
                progress?.end(file.name, bytes: 0, received: 0, failed: true)
                report.failures.append(.init(name: file.name, message: error.description))
                logger.error("\(error.description)")
            }
        }
        report.counts = try store.counts()
        if let finalPointer {
            guard report.failures.isEmpty else {
                throw .other("the rebuilt index was not switched to because \(report.failures.count) files failed; the old index is unchanged")
            }
            let old = indexURL
            do throws(MirrorError) {
                try FileSystem.writeAtomically(Array((finalPointer + "\n").utf8), to: layout.root.appendingPathComponent("index.current"))
            } catch { throw .mirror(error) }
            if old.lastPathComponent != finalPointer {
                for suffix in ["", "-wal", "-shm"] { FileSystem.remove(URL(fileURLWithPath: old.path + suffix)) }
            }
        }
        report.seconds = (ContinuousClock.now - clock).seconds
        return report
    }

    /// Parses one file and applies it in one transaction.
    func apply(_ identity: FileIdentity, from url: URL, to store: some RecordStore) throws(IndexError) -> AppliedFile {
        try store.apply(identity) { sink in
            _ = try ArticleFile.read(url) { item in try sink(item) }
        }
    }
}
