import Foundation
import Logging

public struct IndexOptions: Sendable {
    /// Apply update files even when a predecessor is missing or not applied.
    public var allowGaps = false
    /// Build a new index from the local files beside the old one, then switch to it.
    public var rebuild = false
    /// After an annual rollover, keep the old cycle's files instead of deleting them.
    public var keepOld = false
    public init() {}
}

/// Where an annual rollover stands: a new baseline cycle is being indexed beside the old index.
public struct RolloverState: Sendable, Codable {
    public var fromCycle: Int
    public var toCycle: Int
    /// Baseline files of the new cycle the server lists, and how many are mirrored.
    public var baselineListed: Int
    public var baselineMirrored: Int
    /// Files applied to the new index so far.
    public var filesIndexed: Int
    /// The new index is complete and in use.
    public var switched: Bool
    /// Old-cycle files deleted after the switch.
    public var filesPruned: Int
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
    /// Set while (and when) a new baseline cycle replaces the old one.
    public var rollover: RolloverState?
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
        let results = try await index(files: [url])
        // One file in, one result out.
        return try results[0].get()
    }

    /// Indexes local files, whatever their names, one after another in the order given, each in
    /// its own transaction; a file that fails does not stop the others. With one store for all, the
    /// next file is read while the last one is checkpointed. Fails as a whole only when the index
    /// cannot be opened or the lock taken.
    public func index(files urls: [URL]) async throws(IndexError) -> [Result<AppliedFile, IndexError>] {
        let lock: FileLock
        do throws(MirrorError) {
            try FileSystem.createDirectory(layout.root)
            lock = try FileLock(path: layout.lockFile.path)
        } catch { throw .mirror(error) }
        defer { withExtendedLifetime(lock) {} }
        let mirror = self
        return try await BlockingThreads.value(name: "index") { () -> Result<[Result<AppliedFile, IndexError>], IndexError> in
            Result { () throws(IndexError) -> [Result<AppliedFile, IndexError>] in
                let store = try SQLiteRecordStore(path: mirror.indexURL.path, logger: mirror.logger)
                return urls.map { url in Result { () throws(IndexError) -> AppliedFile in try mirror.indexLocal(url, into: store) } }
            }
        }.get()
    }

    /// One local file into `store`, unless it was applied already.
    private func indexLocal(_ url: URL, into store: SQLiteRecordStore) throws(IndexError) -> AppliedFile {
        let name = url.lastPathComponent
        let parsed = PubMedFileName(name)
        var identity = FileIdentity(name: name, folder: "local", cycle: parsed?.cycle, number: parsed?.number, md5: "")
        // Re-applying an applied file changes nothing: a file of a name already applied is hashed
        // first, to tell. Any other is hashed as it is read (an empty MD5 asks for that).
        let sameName = try store.appliedFiles().filter { $0.name == name }
        if !sameName.isEmpty {
            do { identity.md5 = try Mirror.hashFile(url) } catch {
                throw .other("\(url.path): cannot be read (\(error))")
            }
            if let done = sameName.first(where: { $0.md5 == identity.md5 }) {
                logger.info("\(name) was applied already (\(done.appliedAt)); nothing to do")
                return done
            }
        }
        return try apply(identity, from: url, to: store)
    }

    /// The body of `index`, for callers that hold the lock (`fetch`).
    ///
    /// Normally it applies files to the index in use. When the mirror holds a newer baseline cycle
    /// than the index (NCBI's annual rollover), it builds `index-cycleYY.sqlite` beside the index in
    /// use, which keeps answering queries; baseline files are applied as they arrive, update files
    /// once every listed baseline file of the new cycle is mirrored; then it switches
    /// `index.current` atomically and prunes the old cycle's files. An interrupted rollover resumes
    /// where it stopped, since the new index records what it has applied.
    func indexLocked(_ options: IndexOptions, progress: ProgressBoard?) throws(IndexError) -> IndexReport {
        let clock = ContinuousClock.now
        var report = IndexReport()
        let existing: StateStore?
        do throws(MirrorError) { existing = try existingState() } catch { throw .mirror(error) }
        guard let state = existing else {
            throw .other("\(layout.root.path) has no mirrored files yet: run `pubmed-mirror fetch` first")
        }
        let records: [MirroredFile]
        do throws(MirrorError) { records = try state.files() } catch { throw .mirror(error) }
        let mirrored = records.filter { $0.status == .mirrored }

        // Only the newest cycle: a new baseline replaces everything before it (NCBI.md).
        let newest = mirrored.filter { $0.folder == .baseline }.map(\.cycle).max() ?? mirrored.map(\.cycle).max()
        for file in mirrored where file.cycle != newest {
            report.skipped.append(.init(name: file.name, message: "older cycle than the newest baseline (\(newest.map(String.init) ?? "?"))"))
        }
        let candidates = mirrored.filter { $0.cycle == newest }.sorted { ($0.folder, $0.fileName) < ($1.folder, $1.fileName) }

        // Where to apply: the index in use, a rollover index beside it, or a rebuild.
        var live: SQLiteRecordStore?
        var liveCycle: Int?
        // A rebuild never opens the index in use: it may be damaged or in an earlier format.
        if !options.rebuild, FileManager.default.fileExists(atPath: indexURL.path) {
            let store = try SQLiteRecordStore(path: indexURL.path, logger: logger)
            live = store
            liveCycle = try store.appliedFiles().compactMap(\.cycle).max()
        }
        let target: URL
        var switchTo: String?
        var baselineReady = true
        if options.rebuild {
            let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!,
                                                   formatOptions: [.withYear, .withMonth, .withDay, .withTime])
            switchTo = "index-\(stamp)-\(getpid()).sqlite"
            target = layout.root.appendingPathComponent(switchTo!)
        } else if let liveCycle, let newest, liveCycle < newest {
            switchTo = "index-cycle\(newest).sqlite"
            target = layout.root.appendingPathComponent(switchTo!)
            let listed = records.filter { $0.folder == .baseline && $0.cycle == newest && $0.status != .gone }
            let ready = listed.filter { $0.status == .mirrored }.count
            baselineReady = ready == listed.count
            report.rollover = RolloverState(fromCycle: liveCycle, toCycle: newest, baselineListed: listed.count,
                                            baselineMirrored: ready, filesIndexed: 0, switched: false, filesPruned: 0)
            logger.info("annual rollover from cycle \(liveCycle) to \(newest): \(ready) of \(listed.count) new baseline files mirrored; the cycle \(liveCycle) index keeps answering until the new one is complete")
        } else {
            target = indexURL
        }
        let store: SQLiteRecordStore
        if target == indexURL, let live { store = live } else { store = try SQLiteRecordStore(path: target.path, logger: logger) }
        var applied = Dictionary(try store.appliedFiles().map { ($0.name, $0.md5) }, uniquingKeysWith: { $1 })
        var pending = candidates.filter { applied[$0.name] == nil || applied[$0.name] != $0.md5 }
        if !baselineReady { pending.removeAll { $0.folder == .updatefiles } }
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
        report.rollover?.filesIndexed = report.counts?.files ?? 0

        if let switchTo {
            if options.rebuild && !report.failures.isEmpty {
                throw .other("the rebuilt index was not switched to because \(report.failures.count) files failed; the old index is unchanged")
            }
            let complete = baselineReady && report.failures.isEmpty
                && candidates.allSatisfy { applied[$0.name] == $0.md5 }
            if complete {
                // The new index must be whole on the disk before it replaces the old one.
                try store.flush()
                try switchIndex(to: switchTo)
                if report.rollover != nil {
                    report.rollover?.switched = true
                    logger.info("annual rollover complete: now answering from the cycle \(newest ?? 0) index")
                    if !options.keepOld, let newest {
                        report.rollover?.filesPruned = try pruneCycles(before: newest, records: records, state: state)
                    }
                }
            }
        }
        // Old-cycle files left by a rollover that was interrupted after its switch (or kept once with
        // --keep-old) are pruned by the next run that does not ask to keep them.
        if switchTo == nil, !options.keepOld, let newest, liveCycle == newest,
           records.contains(where: { $0.cycle < newest }) {
            let pruned = try pruneCycles(before: newest, records: records, state: state)
            report.rollover = RolloverState(fromCycle: records.map(\.cycle).min() ?? newest, toCycle: newest,
                                            baselineListed: 0, baselineMirrored: 0, filesIndexed: report.counts?.files ?? 0,
                                            switched: true, filesPruned: pruned)
        }
        report.seconds = (ContinuousClock.now - clock).inSeconds
        return report
    }

    /// Points `index.current` at `name` (atomically) and deletes the index it replaces.
    private func switchIndex(to name: String) throws(IndexError) {
        let old = indexURL
        do throws(MirrorError) {
            try FileSystem.writeAtomically(Array((name + "\n").utf8), to: layout.root.appendingPathComponent("index.current"))
        } catch { throw .mirror(error) }
        if old.lastPathComponent != name {
            for suffix in ["", "-wal", "-shm"] { FileSystem.remove(URL(fileURLWithPath: old.path + suffix)) }
        }
    }

    /// Deletes the files of cycles older than `cycle` (data, `.md5`, `.partial`) and forgets them.
    private func pruneCycles(before cycle: Int, records: [MirroredFile], state: StateStore) throws(IndexError) -> Int {
        let old = records.filter { $0.cycle < cycle }
        for record in old {
            for url in [layout.file(record.folder, record.name), layout.md5File(record.folder, record.name),
                        layout.partial(record.folder, record.name)] {
                FileSystem.remove(url)
            }
        }
        do throws(MirrorError) {
            let writable = try StateStore(path: state.path)
            try writable.forget(old)
        } catch { throw .mirror(error) }
        if !old.isEmpty { logger.info("pruned \(old.count) files of cycles before \(cycle) (use --keep-old to keep them)") }
        return old.count
    }

    /// Parses one file and applies it in one transaction.
    func apply(_ identity: FileIdentity, from url: URL, to store: some RecordStore) throws(IndexError) -> AppliedFile {
        try store.apply(identity, contentsOf: url)
    }
}
