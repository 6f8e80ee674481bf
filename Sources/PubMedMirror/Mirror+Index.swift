import Foundation
import Logging
import PubMedFiles
import PubMedIndex
import PubMedListing
import PubMedRecords
import PubMedSupport

extension Mirror {
    /// Applies the mirrored files not yet applied, in NCBI's order (see `IndexPlan`), and carries
    /// out an annual rollover when the mirror holds a newer baseline cycle than the index. Takes
    /// the mirror's lock. Cancelling (the flag, or the calling task) stops at the next batch, with
    /// the file being applied rolled back.
    public func index(_ options: IndexOptions = IndexOptions(), progress: ProgressBoard? = nil,
                      cancellation: CancellationFlag = CancellationFlag()) async throws(IndexError) -> IndexReport {
        let mirrored: Bool
        do throws(MirrorError) { mirrored = try existingState() != nil } catch { throw IndexError(state: error) }
        guard mirrored, FileManager.default.fileExists(atPath: layout.root.path) else { throw .nothingMirrored(path: layout.root.path) }
        let lock: FileLock
        let state: any MirrorState
        do throws(MirrorError) {
            lock = try self.lock(creating: false)
            state = try openState()
        } catch { throw IndexError(state: error) }
        defer { withExtendedLifetime(lock) {} }
        let mirror = self
        return try await BlockingThreads.value(name: "index", cancellation: cancellation) { () -> Result<IndexReport, IndexError> in
            Result { () throws(IndexError) -> IndexReport in
                try mirror.indexLocked(options, state: state, progress: progress, cancellation: cancellation)
            }
        }.get()
    }

    /// The body of `index`, for callers that hold the lock and have the state database open (`fetch`).
    func indexLocked(_ options: IndexOptions, state: any MirrorState, progress: ProgressBoard?,
                     cancellation: CancellationFlag) throws(IndexError) -> IndexReport {
        let clock = ContinuousClock.now
        let records: [MirroredFile]
        do throws(MirrorError) { records = try state.files() } catch { throw IndexError(state: error) }
        let home = try indexHome(writable: true)
        let (plan, live, store) = try prepare(options, records: records, home: home)
        var report = IndexReport()
        report.skipped = plan.skipped.map {
            .init(name: $0.name, message: "older cycle than the newest baseline (\(plan.cycle.map(String.init) ?? "?"))", code: .olderCycle)
        }
        if case .rollover(let from, let to) = plan.target {
            logger.info("annual rollover from cycle \(from) to \(to): \(plan.baselineMirrored) of \(plan.baselineListed) new baseline files mirrored; the cycle \(from) index keeps answering until the new one is complete")
        }
        var applied = Dictionary(try store.appliedFiles().map { ($0.name, $0.md5) }, uniquingKeysWith: { $1 })
        try apply(plan, to: store, applied: &applied, report: &report, progress: progress, cancellation: cancellation)
        report.counts = try store.counts()
        report.rollover = plan.rollover(filesIndexed: report.counts?.files ?? 0)
        try finish(plan, store: store, live: live, home: home, applied: applied, records: records, state: state, report: &report,
                   cancellation: cancellation)
        report.seconds = (ContinuousClock.now - clock).inSeconds
        return report
    }

    /// Opens the index in use and the index to apply to (the same one unless a rollover or a
    /// rebuild builds a new one beside it), and plans.
    private func prepare(_ options: IndexOptions, records: [MirroredFile], home: IndexHome)
        throws(IndexError) -> (IndexPlan, live: (any RecordStore)?, target: any RecordStore) {
        // A rebuild never opens the index in use for writing: it may be damaged or in an earlier format.
        let live = options.rebuild ? nil : try home.openLive()
        // What the index in use holds: a rebuild reads it without opening it for writing, and
        // must hold as much before it may replace it.
        let liveFiles = try options.rebuild ? home.liveAppliedFiles() : live.map { live throws(IndexError) in try live.appliedFiles() }
        let liveCycle = liveFiles.flatMap(IndexPlan.cycle(of:))
        let target = IndexPlan.target(records: records, liveCycle: liveCycle, rebuild: options.rebuild)
        let store: any RecordStore
        switch target {
        case .live:
            if let live { store = live } else { store = try home.openLiveCreating() }
        case .rollover(_, let cycle): store = try home.openRollover(cycle: cycle)
        case .rebuild: store = try home.openRebuild()
        }
        // An index built to replace the one in use numbers its changes after it, so that a
        // pipeline's `--since` from the old one is refused rather than answered wrongly.
        if target != .live {
            if let mark = home.liveHighWaterMark() {
                try store.continueNumbering(after: mark)
            } else if live != nil || options.rebuild {
                logger.warning("the high-water mark of the index in use could not be read: the new index numbers its changes from 1, and an export --since of the old one may not be refused")
            }
        }
        let plan = IndexPlan.make(records: records, liveCycle: liveCycle, target: target, applied: try store.appliedFiles(),
                                  allowGaps: options.allowGaps, keepOld: options.keepOld, liveFiles: liveFiles.map { Set($0.map(\.name)) })
        // A rebuild that could not replace the index in use is refused before it builds anything
        // (on all of PubMed that is hours).
        if target == .rebuild, let reason = plan.incomplete {
            home.discard(store)
            throw .rebuildIncomplete(reason: reason, stoppedBy: nil)
        }
        return (plan, live, store)
    }

    /// Applies the plan's steps in order, each in its own transaction; a step whose prerequisites
    /// are not applied (before or during this run) is refused as a gap.
    private func apply(_ plan: IndexPlan, to store: any RecordStore, applied: inout [String: String], report: inout IndexReport,
                       progress: ProgressBoard?, cancellation: CancellationFlag) throws(IndexError) {
        progress?.plan(files: plan.steps.count, bytes: plan.steps.reduce(0) { $0 + ($1.file.size ?? 0) }, phase: "indexed")
        for (position, step) in plan.steps.enumerated() {
            let file = step.file
            if cancellation.isCancelled {
                report.interrupted = true
                return
            }
            if let gap = plan.refusal(of: step, applied: applied) {
                report.failures.append(.init(name: file.name, error: gap))
                continue
            }
            let identity = FileIdentity(name: file.name, folder: file.folder.rawValue, cycle: file.cycle, number: file.number,
                                        md5: file.md5 ?? "")
            progress?.begin(file.name, total: file.size ?? 0, resumedFrom: 0)
            do throws(IndexError) {
                let result = try store.apply(identity, contentsOf: layout.file(file.folder, file.name), cancellation: cancellation)
                applied[file.name] = file.md5
                report.applied.append(result)
                progress?.end(file.name, bytes: file.size ?? 0, received: 0, failed: false)
                logger.info("\(file.folder.rawValue)/\(file.name): indexed \(result.records) records (\(result.inserted) new, \(result.replaced) replaced), \(result.deleted) deleted, \(result.deletionsAbsent) deletions of absent records, in \(String(format: "%.1f", result.seconds)) s")
            } catch {
                progress?.end(file.name, bytes: 0, received: 0, failed: true)
                if case .cancelled = error {
                    report.interrupted = true
                    return
                }
                report.failures.append(.init(name: file.name, error: error))
                logger.info("\(error.description)", metadata: ["error.code": "\(error.code)"])
                // A full disk, a server gone or a lock lost fails every file after this one too,
                // each after writing and rolling back its share: the run stops here instead.
                if Self.stopsTheRun.contains(error.code) {
                    report.stoppedBy = report.failures.last
                    let left = plan.steps.count - position - 1
                    if left > 0 { logger.info("stopping: the \(left) file\(left == 1 ? "" : "s") after \(file.name) \(left == 1 ? "is" : "are") left for the next run") }
                    return
                }
            }
        }
    }

    /// Failures of the store rather than of a file.
    static let stopsTheRun: Set<ErrorCode> = [.diskFull, .databaseFull, .databaseUnreachable, .databaseLocked, .databaseLogin, .databasePermission,
                                              .databaseMissing, .foldingChanged]

    /// After the steps: a rebuild or rollover that is complete replaces the index in use, and the
    /// old cycle's files are pruned as the plan says.
    private func finish(_ plan: IndexPlan, store: any RecordStore, live: (any RecordStore)?, home: IndexHome, applied: [String: String],
                        records: [MirroredFile], state: any MirrorState, report: inout IndexReport,
                        cancellation: CancellationFlag) throws(IndexError) {
        guard !report.interrupted else {
            // A rebuild starts afresh each time: what this one wrote would only take up room.
            if plan.target == .rebuild { home.discard(store) }
            return
        }
        switch plan.target {
        case .live:
            // The PostgreSQL store builds its full-text indexes after a bulk load, or merges what
            // is still in their pending lists; the SQLite store merges its full-text index into
            // one segment after a baseline. An interrupt stops that merge alone, with a warning:
            // the files are applied, and a rollover or rebuild that is complete is switched to.
            finished(try store.finishRun(cancellation: cancellation))
            if let cycle = plan.prunesBefore {
                let pruned = try prune(before: cycle, records: records, state: state)
                report.rollover = RolloverState(fromCycle: records.map(\.cycle).min() ?? cycle, toCycle: cycle, baselineListed: 0,
                                                baselineMirrored: 0, filesIndexed: report.counts?.files ?? 0, switched: true, filesPruned: pruned)
            }
        case .rebuild:
            // (What it may lack was decided before it began: `IndexPlan.rebuildLacks`.)
            guard report.failures.isEmpty, plan.candidates.allSatisfy({ applied[$0.name] == $0.md5 }) else {
                home.discard(store)
                for failure in report.failures { logger.warning("\(failure.name): \(failure.message)") }
                guard let first = report.failures.first else {
                    throw .rebuildIncomplete(reason: "not every mirrored file of the cycle was applied", stoppedBy: nil)
                }
                let count = report.failures.count == 1 ? "\(first.name) failed" : "\(report.failures.count) files failed, the first \(first.name)"
                throw .rebuildIncomplete(reason: "\(count): \(first.message)", stoppedBy: report.stoppedBy?.code)
            }
            finished(try store.finishRun(cancellation: cancellation))
            try home.switchTo(store)
        case .rollover(_, let cycle):
            guard report.failures.isEmpty, plan.isComplete(applied: applied) else { return }
            finished(try store.finishRun(cancellation: cancellation))
            try home.switchTo(store)
            report.rollover?.switched = true
            logger.info("annual rollover complete: now answering from the cycle \(cycle) index")
            if let before = plan.prunesBefore {
                report.rollover?.filesPruned = try prune(before: before, records: records, state: state)
            }
        }
        withExtendedLifetime(live) {}
    }

    /// Logs what the store's end of run could not do that the applied files do not depend on.
    func finished(_ warning: String?) {
        if let warning { logger.warning("\(warning)") }
    }

    /// Deletes the files of cycles older than `cycle` (data, `.md5`, `.partial`) and forgets them.
    private func prune(before cycle: Int, records: [MirroredFile], state: any MirrorState) throws(IndexError) -> Int {
        let old = records.filter { $0.cycle < cycle }
        for record in old {
            for url in [layout.file(record.folder, record.name), layout.md5File(record.folder, record.name),
                        layout.partial(record.folder, record.name)] {
                FileSystem.remove(url)
            }
        }
        do throws(MirrorError) { try state.forget(old) } catch { throw IndexError(state: error) }
        if !old.isEmpty { logger.info("pruned \(old.count) files of cycles before \(cycle)") }
        return old.count
    }
}

extension ErrorCode {
    /// A mirrored file of an older cycle than the newest baseline, left alone.
    public static let olderCycle = ErrorCode("index.older-cycle", .badFile)
}

extension IndexError {
    /// A failure of the state database (or of the lock or a file beside it), as an index run reports it.
    init(state error: MirrorError) {
        switch error {
        case .database(let failure): self = .database(failure)
        case .server(let failure): self = .server(failure)
        case .local(let failure): self = .local(failure)
        case .lock(let failure): self = .lock(failure)
        default: self = .inconsistency("the state database failed unexpectedly: \(error.description)")
        }
    }
}
