import Foundation
import Logging
import PubMedFiles
import PubMedListing
import PubMedSupport
import PubMedTransfer
import Synchronization

/// Copies a mirror's verified files to an internal server in NCBI's layout, so that machines that
/// cannot reach NCBI run `fetch --source` against it. Only what changed is sent; a file reaches its
/// real name only whole (uploaded to a hidden temporary name, its size checked on the server, then
/// renamed), and its `.md5` follows it; deletions come last. Each target has its own records in the
/// state database and its own lock.
public struct Publisher: Sendable {
    public let layout: MirrorLayout
    public let logger: Logger

    public init(layout: MirrorLayout, logger: Logger) {
        self.layout = layout
        self.logger = logger
    }

    /// Lists the target, plans, uploads with `options.jobs` workers, then deletes (with
    /// `options.delete`), recording each file's outcome in `state` as it ends. Throws only when
    /// nothing could be done (the lock is held, the listing failed); a run in which some files
    /// failed returns a report with outcome `.partial`.
    public func publish(_ options: PublishOptions, state: any MirrorState, progress: ProgressBoard? = nil,
                        cancellation: CancellationFlag) async throws(PublishError) -> PublishReport {
        let clock = ContinuousClock.now
        let target = options.targetKey
        let lock: FileLock?
        do throws(LockError) {
            lock = options.dryRun ? nil : try FileLock(path: layout.publishLock(target: target).path)
        } catch { throw .mirror(.lock(error)) }
        defer { withExtendedLifetime(lock) {} }

        let local = try mirrored(state)
        let records: [PublishedFile]
        do throws(MirrorError) { records = try state.publishedFiles(target: target) } catch { throw .mirror(error) }
        let (listing, missing, listingRequests) = try await list(options, cancellation: cancellation)
        let plan = PublishPlan.make(local: local, records: records, listing: listing, delete: options.delete)
        if let held = plan.heldBack {
            logger.info("cycle \(held.cycle) is not published yet, nor anything deleted: \(held.mirrored) of its \(held.listed) baseline files are mirrored, and the target keeps the cycle before it until the new one is whole")
        }
        var report = PublishReport(target: target, outcome: .planned, plan: plan, requests: listingRequests)
        if options.dryRun {
            report.seconds = (ContinuousClock.now - clock).inSeconds
            return report
        }
        var run: PublishRun
        do throws(MirrorError) { run = try state.startPublishRun(target: target) } catch { throw .mirror(error) }
        await createFolders(missing, &report, options, cancellation: cancellation)
        await upload(&report, options, state: state, progress: progress, cancellation: cancellation)
        await deleteIfWhole(&report, options, state: state, cancellation: cancellation)
        await removeLeftovers(&report, options, cancellation: cancellation)
        report.outcome = Self.outcome(report, cancelled: cancellation.isCancelled)
        report.seconds = (ContinuousClock.now - clock).inSeconds
        run.finishedAt = Date()
        run.outcome = report.outcome.run
        run.filesUploaded = report.uploads.count
        run.bytesUploaded = report.bytesSent
        run.filesDeleted = report.deleted.count
        run.filesFailed = report.failures.count
        run.requests = report.requests
        run.error = report.runError?.description
        run.errorCode = report.runError?.code.name
        do throws(MirrorError) { try state.finish(run) } catch {
            // What is on the target and the file records are right either way; only the journal entry is lost.
            logger.info("could not record this run in the state database: \(error.description)")
        }
        return report
    }

    /// The mirror's verified files; refuses a mirror that has none.
    private func mirrored(_ state: any MirrorState) throws(PublishError) -> [MirroredFile] {
        let files: [MirroredFile]
        do throws(MirrorError) { files = try state.files() } catch { throw .mirror(error) }
        guard files.contains(where: { $0.status == .mirrored }) else { throw .nothingMirrored(path: layout.root.path) }
        return files
    }

    /// Both folders of the target, over one connection, each retried; a folder that does not
    /// exist yet (the first publish) lists as empty, and is named among the missing.
    private func list(_ options: PublishOptions, cancellation: CancellationFlag) async throws(PublishError)
        -> ([MirrorFolder: [ListingEntry]], [MirrorFolder], Int) {
        let logger = self.logger
        let (requests, result) = await Self.onSession(options, name: "listing", cancellation: cancellation) { (session) throws(MirrorError) in
            var listing: [MirrorFolder: [ListingEntry]] = [:]
            var missing: [MirrorFolder] = []
            for folder in MirrorFolder.allCases {
                listing[folder] = try Self.retried(folder, options, logger: logger, cancellation: cancellation) { () throws(TransferError) in
                    do throws(TransferError) { return try session.list(folder) } catch {
                        guard error.code == .transferNotFound else { throw error }
                        missing.append(folder)
                        return []
                    }
                }
            }
            return (listing, missing)
        }
        do throws(MirrorError) {
            let (listing, missing) = try result.get()
            return (listing, missing, requests)
        } catch { throw .mirror(error) }
    }

    /// Makes the folders the target lacks: NCBI's tree has both, and a reader (`fetch --source`)
    /// refuses a source without one, even before the first update file exists.
    private func createFolders(_ missing: [MirrorFolder], _ report: inout PublishReport, _ options: PublishOptions,
                               cancellation: CancellationFlag) async {
        guard !missing.isEmpty else { return }
        let logger = self.logger
        let (requests, result) = await Self.onSession(options, name: "folders", cancellation: cancellation) { (session) throws(MirrorError) in
            for folder in missing {
                try Self.retried(folder, options, logger: logger, cancellation: cancellation) { () throws(TransferError) in
                    try session.createFolder(folder)
                }
            }
        }
        report.requests += requests
        // Uploads into a folder that cannot be made would fail the same way: the run stops here.
        if case .failure(let error) = result, !error.isCancellation {
            report.runError = .mirror(error)
            cancellation.cancel()
        }
    }

    static func session(_ options: PublishOptions, cancellation: CancellationFlag) throws(MirrorError) -> TransferSession {
        do throws(TransferError) {
            return try TransferSession(source: options.target, options: options.transfer, cancellation: cancellation)
        } catch { throw .transfer(error) }
    }

    /// Runs `body` on a thread of its own over one new session of the target (one connection);
    /// returns the requests it made beside what it returned or threw.
    private static func onSession<T: Sendable>(_ options: PublishOptions, name: String, cancellation: CancellationFlag,
                                               _ body: @escaping @Sendable (TransferSession) throws(MirrorError) -> T) async
        -> (requests: Int, result: Result<T, MirrorError>) {
        await BlockingThreads.value(name: name, cancellation: cancellation) { () -> (Int, Result<T, MirrorError>) in
            let session: TransferSession
            do throws(MirrorError) { session = try Self.session(options, cancellation: cancellation) } catch { return (0, .failure(error)) }
            let result = Result { () throws(MirrorError) -> T in try body(session) }
            return (session.requestCount, result)
        }
    }

    /// One request about `folder`, retried with the policy's backoff.
    private static func retried<T>(_ folder: MirrorFolder, _ options: PublishOptions, logger: Logger, cancellation: CancellationFlag,
                                   _ request: () throws(TransferError) -> T) throws(MirrorError) -> T {
        try FileMirror.retrying(options.retry, cancellation: cancellation, logger: logger,
                                what: options.target.folderURL(folder).absoluteString) { () throws(MirrorError) in
            do throws(TransferError) { return try request() } catch { throw .transfer(error) }
        }
    }

    /// What happened to one file.
    enum ItemOutcome: Sendable {
        case uploaded(sent: Int64, resumedFrom: Int64)
        case md5Sent
        case confirmed
        case failed(MirrorError)
    }

    /// Sends the plan's work in NCBI's order with `options.jobs` workers, each over one reused
    /// connection; a failure that dooms every file (login, no room, host key) stops them all.
    private func upload(_ report: inout PublishReport, _ options: PublishOptions, state: any MirrorState,
                        progress: ProgressBoard?, cancellation: CancellationFlag) async {
        let work = report.plan.work
        progress?.plan(files: work.count, bytes: report.plan.bytesToUpload, phase: "published")
        let results = Mutex<[(PublishPlan.Item, ItemOutcome)]>([])
        let requests = Atomic<Int>(0)
        let stop = Mutex<MirrorError?>(nil)
        let queue = WorkQueue(work)
        let publisher = self
        @Sendable func stopAll(_ error: MirrorError) {
            stop.withLock { $0 = $0 ?? error }
            cancellation.cancel()
        }
        await BlockingThreads.run(count: work.isEmpty ? 0 : max(1, min(options.jobs, work.count)), name: "publish",
                                  cancellation: cancellation) { _ in
            let session: TransferSession
            do throws(MirrorError) { session = try Self.session(options, cancellation: cancellation) } catch { return stopAll(error) }
            defer { requests.add(session.requestCount, ordering: .relaxed) }
            while let item = queue.next(), !cancellation.isCancelled {
                let file = FileUpload(publisher: publisher, item: item, target: options.targetKey, session: session,
                                      state: state, board: progress)
                let outcome = file.run(options.retry, cancellation: cancellation)
                if case .failed(let error) = outcome, error.stopsRun { stopAll(error) }
                results.withLock { $0.append((item, outcome)) }
            }
        }
        for (item, outcome) in results.withLock({ $0 }).sorted(by: { ($0.0.folder, $0.0.file) < ($1.0.folder, $1.0.file) }) {
            switch outcome {
            case .uploaded(let sent, let resumedFrom):
                let reason: PublishPlan.Reason
                if case .upload(let why) = item.action { reason = why } else { reason = .unconfirmed }
                report.uploads.append(.init(folder: item.folder, name: item.file.name, reason: reason, size: item.size,
                                            sent: sent, resumedFrom: resumedFrom))
                report.bytesSent += sent
            case .md5Sent:
                report.md5Sent += 1
            case .confirmed:
                report.confirmed += 1
            case .failed(let error):
                if error.isCancellation { continue }
                report.failures.append(.init(folder: item.folder, name: item.file.name, error: error))
            }
        }
        report.requests += requests.load(ordering: .relaxed)
        // A failure before the uploads (a folder that could not be made) stays the run's error.
        report.runError = report.runError ?? stop.withLock { $0 }.map(PublishError.mirror)
    }

    /// Deletes what the plan names, only once every file is in place: after an annual rollover
    /// the old cycle stays until the new one is whole on the target.
    private func deleteIfWhole(_ report: inout PublishReport, _ options: PublishOptions, state: any MirrorState,
                               cancellation: CancellationFlag) async {
        let deletions = report.plan.deletions
        guard !deletions.isEmpty else { return }
        guard report.failures.isEmpty, report.runError == nil, !cancellation.isCancelled else {
            report.deletionsHeldBack = deletions.count
            logger.info("\(deletions.count) deletions held back: not every file reached the target")
            return
        }
        let logger = self.logger
        let target = options.targetKey
        // What went and what was refused so far, kept when a later folder's deletion fails.
        let done = Mutex<(deleted: [PublishPlan.Deletion], refused: [PublishPlan.Deletion])>(([], []))
        let (requests, result) = await Self.onSession(options, name: "delete", cancellation: cancellation) { (session) throws(MirrorError) in
            for folder in MirrorFolder.allCases where deletions.contains(where: { $0.folder == folder }) {
                let (gone, kept) = try Self.delete(deletions.filter { $0.folder == folder }, session: session, options, logger: logger,
                                                   cancellation: cancellation)
                try state.forget(gone.map { PublishedFile(target: target, folder: folder, name: $0.name) })
                done.withLock { $0.deleted += gone; $0.refused += kept }
            }
        }
        let outcome = done.withLock { $0 }
        report.requests += requests
        report.deleted = outcome.deleted
        for deletion in outcome.refused {
            let error = TransferError(kind: .permanent, scope: .file, code: .transferWriteRefused,
                                      url: options.target.fileURL(deletion.folder, deletion.name).absoluteString,
                                      summary: "the server did not delete it", advice: [.checkTargetPermissions])
            report.failures.append(.init(folder: deletion.folder, name: deletion.name, error: .transfer(error)))
        }
        if case .failure(let error) = result { report.runError = .mirror(error) }
    }

    /// Removes the hidden temporary files of earlier runs that nothing resumes (the plan's
    /// leftovers): tidying, so what fails is logged, not made the run's failure.
    private func removeLeftovers(_ report: inout PublishReport, _ options: PublishOptions, cancellation: CancellationFlag) async {
        let leftovers = report.plan.leftovers
        guard !leftovers.isEmpty, !cancellation.isCancelled else { return }
        let logger = self.logger
        let removed = Mutex(0)
        let (requests, result) = await Self.onSession(options, name: "tidy", cancellation: cancellation) { (session) throws(MirrorError) in
            for folder in MirrorFolder.allCases where leftovers.contains(where: { $0.folder == folder }) {
                let (gone, _) = try Self.delete(leftovers.filter { $0.folder == folder }, session: session, options, logger: logger,
                                                cancellation: cancellation)
                removed.withLock { $0 += gone.count }
            }
        }
        report.requests += requests
        report.leftoversRemoved = removed.withLock { $0 }
        let left = leftovers.count - report.leftoversRemoved
        if case .failure(let error) = result {
            logger.info("\(left) temporary file\(left == 1 ? "" : "s") of earlier runs left on the target: \(error.description)")
        } else if left > 0 {
            logger.info("\(left) temporary file\(left == 1 ? "" : "s") of earlier runs could not be removed from the target")
        }
    }

    /// Deletes one folder's names in one request (a name already gone is no failure, so a cut
    /// deletion is simply done again), then lists the folder: what is still listed was refused.
    private static func delete(_ deletions: [PublishPlan.Deletion], session: TransferSession, _ options: PublishOptions, logger: Logger,
                               cancellation: CancellationFlag) throws(MirrorError) -> (gone: [PublishPlan.Deletion], kept: [PublishPlan.Deletion]) {
        guard let folder = deletions.first?.folder else { return ([], []) }
        let listed = try retried(folder, options, logger: logger, cancellation: cancellation) { () throws(TransferError) in
            try session.delete(deletions.map(\.name), in: folder)
            return Set(try session.list(folder).map(\.name))
        }
        let gone = deletions.filter { !listed.contains($0.name) }
        for deletion in gone {
            logger.info("deleted from the target", metadata: ["file.folder": "\(folder.rawValue)", "file.name": "\(deletion.name)"])
        }
        return (gone, deletions.filter { listed.contains($0.name) })
    }

    private static func outcome(_ report: PublishReport, cancelled: Bool) -> PublishReport.Outcome {
        if report.runError?.isCancellation == false { return .failed }
        if cancelled { return .interrupted }
        if !report.failures.isEmpty { return .partial }
        if report.uploads.isEmpty && report.md5Sent == 0 && report.confirmed == 0 && report.deleted.isEmpty { return .upToDate }
        return .updated
    }
}
