import Foundation
import Logging
import Synchronization

extension Mirror {
    /// Lists the source, plans, and downloads what is new or changed with `options.jobs` workers,
    /// each file verified (exact size and published MD5) before it is renamed into place.
    ///
    /// Throws only when nothing could be done at all (the lock is held, the listing failed); a run
    /// in which some files failed returns a report with outcome `.partial`.
    public func fetch(_ options: FetchOptions, progress: ProgressBoard? = nil,
                      cancellation: CancellationFlag = CancellationFlag()) async throws(MirrorError) -> FetchReport {
        let clock = ContinuousClock.now
        var lock: FileLock?
        var store: StateStore?
        if !options.dryRun {
            try FileSystem.createDirectory(layout.root)
            lock = try FileLock(path: layout.lockFile.path)
            store = try StateStore(path: layout.stateDatabase.path)
        }
        defer { withExtendedLifetime(lock) {} }

        // 1. List both folders over one connection.
        let logger = self.logger
        let listing = await BlockingThreads.value(name: "listing") { () -> Result<Listing, MirrorError> in
            Result { () throws(MirrorError) -> Listing in
                try Self.list(options, cancellation: cancellation, logger: logger)
            }
        }
        let run = try store?.startRun(source: options.source.description)
        let listed: Listing
        switch listing {
        case .success(let value): listed = value
        case .failure(let error):
            if var failed = run {
                failed.finishedAt = Date()
                failed.outcome = error.isCancellation ? FetchReport.Outcome.interrupted.rawValue : FetchReport.Outcome.failed.rawValue
                failed.error = error.description
                try? store?.finish(failed)
            }
            throw error
        }
        for name in listed.ignored where name.reason == .unsafe || name.reason == .unexpected {
            logger.warning("ignoring a listed name that is not a PubMed file",
                           metadata: ["file.folder": "\(name.folder.rawValue)", "file.name": "\(name.printableName)",
                                      "reason": "\(name.reason.rawValue)"])
        }

        // 2. Plan against the database and the disk.
        var records: [MirroredFile] = []
        if let store { records = try store.files() } else if let reader = try existingState() { records = try reader.files() }
        try Self.refuseEmptyListing(listed, records: records)
        let layout = self.layout
        let plan = MirrorPlan.make(remote: listed.files, records: records) { folder, name in
            layout.size(of: layout.file(folder, name))
        }
        var report = FetchReport(source: options.source.description, outcome: .planned, plan: plan,
                                 ignored: listed.ignored, requests: listed.requests, freeBytes: layout.freeBytes())
        let indexGrowth = options.index ? Int64(Double(plan.bytesToDownload) * Self.indexBytesPerCompressedByte) : 0
        report.bytesNeeded = plan.bytesToDownload + indexGrowth
        guard let store, var currentRun = run else {
            report.seconds = (ContinuousClock.now - clock).inSeconds
            return report
        }

        // 3. Room on the disk for the downloads and what indexing them adds.
        if options.checkSpace, let free = report.freeBytes {
            if report.bytesNeeded > free {
                let error = MirrorError.insufficientSpace(path: layout.root.path, download: plan.bytesToDownload,
                                                          index: indexGrowth, free: free)
                logger.error("\(error.description)")
                report.outcome = .failed
                report.runError = error
                currentRun.finishedAt = Date()
                currentRun.outcome = report.outcome.rawValue
                currentRun.error = error.description
                try store.finish(currentRun)
                report.seconds = (ContinuousClock.now - clock).inSeconds
                return report
            }
        }

        // 4. Record what needs no request: files gone from the server, files with no .md5.
        var immediate: [MirroredFile] = []
        for item in plan.items {
            switch item.action {
            case .gone:
                if var record = item.record {
                    record.status = .gone
                    immediate.append(record)
                }
            case .unverifiable:
                let error = MirrorError.missingMD5(file: item.file.name)
                var record = item.record ?? MirroredFile(folder: item.folder, file: item.file, status: .missing)
                record.lastError = error.description
                record.lastErrorAt = Date()
                immediate.append(record)
                report.failures.append(.init(folder: item.folder, name: item.file.name, message: error.description))
                logger.error("\(error.description)")
            default:
                break
            }
        }
        try store.save(immediate)

        // 5. Download and check, in NCBI's order, on bounded worker threads.
        let work = plan.work
        progress?.plan(files: work.count, bytes: plan.bytesToDownload, phase: "fetched")
        for folder in MirrorFolder.allCases where work.contains(where: { $0.folder == folder }) {
            try FileSystem.createDirectory(layout.folder(folder))
        }
        let results = Mutex<[(MirrorPlan.Item, ItemOutcome)]>([])
        let requests = Atomic<Int>(0)
        let stop = Mutex<MirrorError?>(nil)
        let queue = WorkQueue(work)
        let workers = max(1, min(options.jobs, work.count))
        let mirror = self
        await BlockingThreads.run(count: work.isEmpty ? 0 : workers, name: "transfer") { _ in
            let session: TransferSession
            do throws(TransferError) {
                session = try TransferSession(source: options.source, options: options.transfer, cancellation: cancellation)
            } catch {
                stop.withLock { $0 = $0 ?? .transfer(error) }
                cancellation.cancel()
                return
            }
            defer { requests.add(session.requestCount, ordering: .relaxed) }
            while let item = queue.next(), !cancellation.isCancelled {
                let outcome = mirror.fetchWithRetries(item, session: session, options: options,
                                                      progress: progress, cancellation: cancellation)
                if case .failed(let error) = outcome, error.stopsRun {
                    stop.withLock { $0 = $0 ?? error }
                    cancellation.cancel()
                }
                do throws(MirrorError) {
                    try mirror.record(item, outcome, in: store)
                } catch {
                    stop.withLock { $0 = $0 ?? error }
                    cancellation.cancel()
                }
                results.withLock { $0.append((item, outcome)) }
            }
        }

        // 6. Report.
        for (item, outcome) in results.withLock({ $0 }).sorted(by: { ($0.0.folder, $0.0.file) < ($1.0.folder, $1.0.file) }) {
            switch outcome {
            case .downloaded(let result):
                let reason: MirrorPlan.Reason
                if case .download(let why) = item.action { reason = why } else { reason = .republished }
                report.downloads.append(.init(folder: item.folder, name: item.file.name, reason: reason, size: result.length,
                                              received: result.received, resumedFrom: result.resumedFrom, md5: result.md5))
                report.bytesReceived += result.received
            case .confirmed:
                report.confirmed += 1
            case .failed(let error):
                if error.isCancellation { continue }
                report.failures.append(.init(folder: item.folder, name: item.file.name, message: error.description))
            }
        }
        report.requests += requests.load(ordering: .relaxed)
        let stopped = stop.withLock { $0 }
        if let stopped {
            report.outcome = .failed
            report.runError = stopped
        } else if cancellation.isCancelled {
            report.outcome = .interrupted
        } else if !report.failures.isEmpty {
            report.outcome = .partial
        } else if report.downloads.isEmpty && report.confirmed == 0 && plan.count(.gone) == 0 {
            report.outcome = .upToDate
        } else {
            report.outcome = .updated
        }
        // 7. Index, still holding the lock, unless the run was stopped.
        if options.index && (report.outcome == .upToDate || report.outcome == .updated || report.outcome == .partial) {
            let mirror = self
            let indexOptions = options.indexOptions
            let indexed = await BlockingThreads.value(name: "index") { () -> Result<IndexReport, IndexError> in
                Result { () throws(IndexError) -> IndexReport in try mirror.indexLocked(indexOptions, progress: progress) }
            }
            switch indexed {
            case .success(let index):
                report.index = index
                if !index.failures.isEmpty { report.outcome = .partial }
                else if !index.applied.isEmpty && report.outcome == .upToDate { report.outcome = .updated }
            case .failure(let error):
                report.indexError = error
                report.outcome = .partial
            }
        }
        report.seconds = (ContinuousClock.now - clock).inSeconds
        report.freeBytes = layout.freeBytes()

        currentRun.finishedAt = Date()
        currentRun.outcome = report.outcome.rawValue
        currentRun.filesDownloaded = report.downloads.count
        currentRun.bytesDownloaded = report.bytesReceived
        currentRun.filesFailed = report.failures.count
        currentRun.requests = report.requests
        currentRun.error = report.runError?.description
        do {
            try store.finish(currentRun)
        } catch {
            // The files and the index are consistent either way; only the run's journal entry is lost.
            logger.error("could not record this run in the state database: \(error.description)")
        }
        return report
    }

    /// Index bytes per byte of `.xml.gz` downloaded: 171 MB of index for the 16.6 MB
    /// `pubmed20n0014.xml.gz` (Scripts/bench-index), rounded up.
    static let indexBytesPerCompressedByte = 11.0

    // MARK: Listing

    struct Listing: Sendable {
        var files: [RemoteFile] = []
        var ignored: [IgnoredName] = []
        var requests = 0
    }

    /// Lists `baseline/` and `updatefiles/` over one session, each listing retried on transient errors.
    static func list(_ options: FetchOptions, cancellation: CancellationFlag, logger: Logger) throws(MirrorError) -> Listing {
        let session: TransferSession
        do throws(TransferError) {
            session = try TransferSession(source: options.source, options: options.transfer, cancellation: cancellation)
        } catch { throw .transfer(error) }
        var listing = Listing()
        for folder in MirrorFolder.allCases {
            let entries = try retrying(options.retry, cancellation: cancellation, logger: logger,
                                       what: options.source.folderURL(folder).absoluteString) { () throws(MirrorError) in
                do throws(TransferError) { return try session.list(folder) } catch { throw .transfer(error) }
            }
            let catalog = RemoteCatalog.files(in: folder, from: entries)
            listing.files += catalog.files
            listing.ignored += catalog.ignored
        }
        listing.requests = session.requestCount
        return listing
    }

    /// A server that suddenly lists nothing where the mirror holds files is far more likely broken
    /// than emptied: refuse to plan from it rather than report every file as gone.
    static func refuseEmptyListing(_ listing: Listing, records: [MirroredFile]) throws(MirrorError) {
        for folder in MirrorFolder.allCases {
            let held = records.filter { $0.folder == folder && $0.status == .mirrored }.count
            if held > 0 && !listing.files.contains(where: { $0.folder == folder }) {
                throw .transfer(TransferError(kind: .transient, scope: .run, url: folder.rawValue + "/",
                                              summary: "the server lists no PubMed files in \(folder.rawValue)/ although \(held) are mirrored from it; nothing was changed",
                                              advice: "check --source, or try again later"))
            }
        }
    }

    /// Runs `body`, retrying retryable failures with the policy's backoff.
    static func retrying<T>(_ policy: RetryPolicy, cancellation: CancellationFlag, logger: Logger, what: String,
                            _ body: () throws(MirrorError) -> T) throws(MirrorError) -> T {
        var retry = 0
        while true {
            do {
                return try body()
            } catch {
                guard error.isRetryable, retry < policy.retries, !cancellation.isCancelled else { throw error }
                retry += 1
                let delay = policy.delay(beforeRetry: retry, serverAsked: error.retryAfter)
                logger.warning("\(error.description); retry \(retry) of \(policy.retries) in \(String(format: "%.1f", delay)) s",
                               metadata: ["transfer.url": "\(what)"])
                sleep(seconds: delay, cancellation: cancellation)
                if cancellation.isCancelled { throw error }
            }
        }
    }

    /// Sleeps on a worker thread, waking early when the run is cancelled.
    static func sleep(seconds: Double, cancellation: CancellationFlag) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline, !cancellation.isCancelled {
            Thread.sleep(forTimeInterval: min(0.05, max(0, (deadline - ContinuousClock.now).inSeconds)))
        }
    }
}

extension MirrorError {
    var isCancellation: Bool {
        if case .transfer(let error) = self { return error.kind == .cancelled }
        return false
    }
}
