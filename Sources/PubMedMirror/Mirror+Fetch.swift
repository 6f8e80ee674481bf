import Foundation
import Logging
import PubMedFiles
import PubMedIndex
import PubMedListing
import PubMedSupport
import PubMedTransfer

extension Mirror {
    /// Lists the source, plans, downloads what is new or changed with `options.jobs` workers (each
    /// file verified, exact size and published MD5, before it is renamed into place), then indexes
    /// every mirrored file not yet applied, all under the mirror's lock and over one connection to
    /// the state database.
    ///
    /// Throws only when nothing could be done at all (the lock is held, the listing failed); a run
    /// in which some files failed returns a report with outcome `.partial`. Cancelling (the flag,
    /// or the calling task) stops the transfers within about a second and indexing at its next batch.
    public func fetch(_ options: FetchOptions, progress: ProgressBoard? = nil,
                      cancellation: CancellationFlag = CancellationFlag()) async throws(MirrorError) -> FetchReport {
        let clock = ContinuousClock.now
        var lock: FileLock?
        var state: (any MirrorState)?
        if !options.dryRun {
            lock = try self.lock(creating: true)
            state = try openState()
        }
        defer { withExtendedLifetime(lock) {} }

        let listing: Listing
        do throws(MirrorError) {
            listing = try await files.list(options.downloads, cancellation: cancellation)
        } catch {
            if let state {
                var run = try state.startRun(source: options.source.description)
                try finish(&run, outcome: error.isCancellation ? .interrupted : .failed, error: error, in: state)
            }
            throw error
        }
        let records: [MirroredFile]
        if let state { records = try state.files() } else if let existing = try existingState() { records = try existing.files() } else { records = [] }
        var report = try plan(options, listing: listing, records: records)
        guard let state else {
            report.seconds = (ContinuousClock.now - clock).inSeconds
            return report
        }
        var run = try state.startRun(source: options.source.description)
        if let refusal = spaceRefusal(options, report) {
            report.outcome = .failed
            report.runError = refusal
        } else {
            try await download(&report, options, state: state, progress: progress, cancellation: cancellation)
            await indexAfterDownloads(&report, options, state: state, progress: progress, cancellation: cancellation)
        }
        report.seconds = (ContinuousClock.now - clock).inSeconds
        report.freeBytes = layout.freeBytes()
        do {
            try finish(&run, report: report, in: state)
        } catch {
            // The files and the index are consistent either way; only the run's journal entry is lost.
            logger.info("could not record this run in the state database: \(error.description)")
        }
        return report
    }

    /// Index bytes per byte of `.xml.gz` downloaded, reserved before a download: indexing the
    /// 16.6 MB `pubmed20n0014.xml.gz` peaks at 125 MB on disk (the database and its write-ahead
    /// log) and leaves 62 MB (Docs/benchmarks.md); 11 leaves room for FTS5's merges.
    static let indexBytesPerCompressedByte = 11.0

    /// The listing compared with the database and the disk: what the run would do.
    private func plan(_ options: FetchOptions, listing: Listing, records: [MirroredFile]) throws(MirrorError) -> FetchReport {
        let plan = try files.plan(listing, records: records)
        var report = FetchReport(source: options.source.description, outcome: .planned, plan: plan, ignored: listing.ignored,
                                 requests: listing.requests, freeBytes: layout.freeBytes())
        // The shared store grows on the database server, not on this disk.
        let indexGrowth = options.index && database == nil ? Int64(Double(plan.bytesToDownload) * Self.indexBytesPerCompressedByte) : 0
        report.bytesNeeded = plan.bytesToDownload + indexGrowth
        return report
    }

    /// The refusal to start when the disk cannot hold the downloads and what indexing them adds.
    private func spaceRefusal(_ options: FetchOptions, _ report: FetchReport) -> MirrorError? {
        guard options.checkSpace, let free = report.freeBytes, report.bytesNeeded > free else { return nil }
        let download = report.plan.bytesToDownload
        let error = MirrorError.insufficientSpace(path: layout.root.path, download: download, index: report.bytesNeeded - download, free: free)
        logger.info("\(error.description)", metadata: ["error.code": "\(error.code)"])
        return error
    }

    /// Records what needs no request, downloads the rest, and sets the outcome.
    private func download(_ report: inout FetchReport, _ options: FetchOptions, state: any MirrorState,
                          progress: ProgressBoard?, cancellation: CancellationFlag) async throws(MirrorError) {
        report.failures = try files.recordUnrequested(report.plan, in: state)
        let downloaded = try await files.download(report.plan, options.downloads, state: state, progress: progress, cancellation: cancellation)
        report.downloads = downloaded.downloads
        report.confirmed = downloaded.confirmed
        report.failures += downloaded.failures
        report.requests += downloaded.requests
        report.bytesReceived = downloaded.bytesReceived
        if let stopped = downloaded.stoppedBy {
            report.outcome = .failed
            report.runError = stopped
        } else if downloaded.cancelled {
            report.outcome = .interrupted
        } else if !report.failures.isEmpty {
            report.outcome = .partial
        } else if report.downloads.isEmpty && report.confirmed == 0 && report.plan.count(.gone) == 0 {
            report.outcome = .upToDate
        } else {
            report.outcome = .updated
        }
    }

    /// Indexes, still holding the lock, unless the run was stopped or `--no-index` asked not to.
    private func indexAfterDownloads(_ report: inout FetchReport, _ options: FetchOptions, state: any MirrorState,
                                     progress: ProgressBoard?, cancellation: CancellationFlag) async {
        guard options.index, [.upToDate, .updated, .partial].contains(report.outcome) else { return }
        let mirror = self
        let indexOptions = options.indexOptions
        let indexed = await BlockingThreads.value(name: "index", cancellation: cancellation) { () -> Result<IndexReport, IndexError> in
            Result { () throws(IndexError) -> IndexReport in
                try mirror.indexLocked(indexOptions, state: state, progress: progress, cancellation: cancellation)
            }
        }
        switch indexed {
        case .success(let index):
            report.index = index
            if index.interrupted {
                report.outcome = .interrupted
            } else if !index.failures.isEmpty {
                report.outcome = .partial
            } else if !index.applied.isEmpty && report.outcome == .upToDate {
                report.outcome = .updated
            }
        case .failure(let error):
            report.indexError = error
            report.outcome = .partial
        }
    }

    /// The run's journal entry, from its report.
    private func finish(_ run: inout FetchRun, report: FetchReport, in state: any MirrorState) throws(MirrorError) {
        run.filesDownloaded = report.downloads.count
        run.bytesDownloaded = report.bytesReceived
        run.filesFailed = report.failures.count
        run.requests = report.requests
        try finish(&run, outcome: report.outcome.run ?? .failed, error: report.runError, in: state)
    }

    private func finish(_ run: inout FetchRun, outcome: FetchRun.Outcome, error: MirrorError?, in state: any MirrorState) throws(MirrorError) {
        run.finishedAt = Date()
        run.outcome = outcome
        run.error = error?.description
        run.errorCode = error?.code.name
        try state.finish(run)
    }
}
