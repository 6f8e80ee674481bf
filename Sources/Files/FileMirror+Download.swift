import Foundation
import Logging
import PubMedListing
import PubMedSupport
import PubMedTransfer
import Synchronization

extension FileMirror {
    /// Lists `baseline/` and `updatefiles/` over one connection, each listing retried on transient
    /// errors, on a thread of its own.
    public func list(_ options: DownloadOptions, cancellation: CancellationFlag) async throws(MirrorError) -> Listing {
        let logger = self.logger
        let result = await BlockingThreads.value(name: "listing", cancellation: cancellation) { () -> Result<Listing, MirrorError> in
            Result { () throws(MirrorError) -> Listing in try Self.list(options, cancellation: cancellation, logger: logger) }
        }
        let listing = try result.get()
        for name in listing.ignored where name.reason == .unsafe || name.reason == .unexpected {
            logger.info("ignoring a listed name that is not a PubMed file",
                        metadata: ["file.folder": "\(name.folder.rawValue)", "file.name": "\(name.printableName)",
                                   "reason": "\(name.reason.rawValue)"])
        }
        return listing
    }

    static func list(_ options: DownloadOptions, cancellation: CancellationFlag, logger: Logger) throws(MirrorError) -> Listing {
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

    /// Compares the listing with the state database's files and the disk. A server that suddenly
    /// lists nothing where the mirror holds files is far more likely broken than emptied: that is
    /// refused rather than planned as every file gone. Only files of the newest baseline cycle
    /// listed count: at the annual rollover NCBI empties `updatefiles/` when it posts the new
    /// baseline, and the old cycle's update files are then rightly not listed.
    public func plan(_ listing: Listing, records: [MirroredFile]) throws(MirrorError) -> MirrorPlan {
        let newestListed = listing.files.filter { $0.folder == .baseline }.map(\.file.cycle).max()
        for folder in MirrorFolder.allCases {
            let held = records.filter { $0.folder == folder && $0.status == .mirrored && $0.cycle >= (newestListed ?? Int.min) }.count
            if held > 0 && !listing.files.contains(where: { $0.folder == folder }) {
                throw .transfer(TransferError(kind: .transient, scope: .run, code: .listingEmpty, url: folder.rawValue + "/",
                                              summary: "the server lists no PubMed files in \(folder.rawValue)/ although \(held) are mirrored from it; nothing was changed",
                                              advice: [.checkSource, .tryAgainLater]))
            }
        }
        let layout = self.layout
        return MirrorPlan.make(remote: listing.files, records: records) { folder, name in
            FileSystem.size(of: layout.file(folder, name))
        }
    }

    /// Records what needs no request (files gone from the server, files with no `.md5`, and every
    /// file listed for the first time, as missing until it is downloaded) and returns the failures
    /// among them. The state database so knows the whole listing before the first download: a run
    /// stopped part way leaves the files it did not reach as missing, not unknown, and the index
    /// plan waits for them (an update file for every listed baseline file, a rollover's switch for
    /// the whole new baseline).
    public func recordUnrequested(_ plan: MirrorPlan, in state: any MirrorState) throws(MirrorError) -> [DownloadReport.Failure] {
        var changed: [MirroredFile] = []
        var failures: [DownloadReport.Failure] = []
        for item in plan.items {
            switch item.action {
            case .download(.new) where item.record == nil:
                changed.append(MirroredFile(folder: item.folder, file: item.file, status: .missing))
            case .gone:
                if var record = item.record {
                    record.status = .gone
                    changed.append(record)
                }
            case .unverifiable:
                let error = MirrorError.missingMD5(file: item.file.name)
                var record = item.record ?? MirroredFile(folder: item.folder, file: item.file, status: .missing)
                record.fail(error)
                changed.append(record)
                failures.append(.init(folder: item.folder, name: item.file.name, error: error))
                logger.info("\(error.description)", metadata: ["error.code": "\(error.code)"])
            default:
                break
            }
        }
        try state.save(changed)
        return failures
    }

    /// Files in a row that may find the server unreachable before a run stops for it.
    static let unreachableFilesBeforeStopping = 3
    /// What "unreachable" is for that count: no connection at all, or no name. A stall, a busy
    /// FTP server (421) or an HTTP 5xx is the server answering, slowly or not now: each file's
    /// retries deal with those.
    static let unreachableCodes: Set<ErrorCode> = [.transferCannotConnect, .transferUnresolvedHost]

    /// Downloads and checks the plan's work in NCBI's order, with `options.jobs` worker threads,
    /// each with one reused connection; records each file's outcome in `state` as it ends.
    public func download(_ plan: MirrorPlan, _ options: DownloadOptions, state: any MirrorState,
                         progress: ProgressBoard?, cancellation: CancellationFlag) async throws(MirrorError) -> DownloadReport {
        let work = plan.work
        progress?.plan(files: work.count, bytes: plan.bytesToDownload, phase: "fetched")
        for folder in MirrorFolder.allCases where work.contains(where: { $0.folder == folder }) {
            do throws(FileSystemError) { try FileSystem.createDirectory(layout.folder(folder)) } catch { throw .local(error) }
        }
        let results = Mutex<[(MirrorPlan.Item, ItemOutcome)]>([])
        let requests = Atomic<Int>(0)
        let stop = Mutex<MirrorError?>(nil)
        // Files in a row that found the server unreachable (no connection, no name) after all their
        // retries: past `unreachableFilesBeforeStopping`, the server is down, not one file's path,
        // and the run stops (exit 5) instead of spending every file's retries on it.
        let unreachableInARow = Atomic<Int>(0)
        let queue = WorkQueue(work)
        let mirror = self
        @Sendable func stopAll(_ error: MirrorError) {
            stop.withLock { $0 = $0 ?? error }
            cancellation.cancel()
        }
        await BlockingThreads.run(count: work.isEmpty ? 0 : max(1, min(options.jobs, work.count)), name: "transfer",
                                  cancellation: cancellation) { _ in
            let session: TransferSession
            do throws(TransferError) {
                session = try TransferSession(source: options.source, options: options.transfer, cancellation: cancellation)
            } catch { return stopAll(.transfer(error)) }
            defer { requests.add(session.requestCount, ordering: .relaxed) }
            while let item = queue.next(), !cancellation.isCancelled {
                let outcome = mirror.fetchWithRetries(item, session: session, options: options, progress: progress, cancellation: cancellation)
                switch outcome {
                case .failed(let error) where error.stopsRun:
                    stopAll(error)
                case .failed(let error) where error.isCancellation:
                    break  // stopped, not an answer from the server: the count stands
                case .failed(let error) where Self.unreachableCodes.contains(error.code):
                    if unreachableInARow.add(1, ordering: .relaxed).newValue >= Self.unreachableFilesBeforeStopping { stopAll(error) }
                default:
                    unreachableInARow.store(0, ordering: .relaxed)
                }
                do throws(MirrorError) { try mirror.record(item, outcome, in: state) } catch { stopAll(error) }
                results.withLock { $0.append((item, outcome)) }
            }
        }
        var report = Self.summarize(results.withLock { $0 })
        report.requests = requests.load(ordering: .relaxed)
        report.stoppedBy = stop.withLock { $0 }
        report.cancelled = cancellation.isCancelled
        return report
    }

    /// The outcomes, in NCBI's order.
    private static func summarize(_ results: [(MirrorPlan.Item, ItemOutcome)]) -> DownloadReport {
        var report = DownloadReport()
        for (item, outcome) in results.sorted(by: { ($0.0.folder, $0.0.file) < ($1.0.folder, $1.0.file) }) {
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
                report.failures.append(.init(folder: item.folder, name: item.file.name, error: error))
            }
        }
        return report
    }

    /// Runs `body`, retrying retryable failures with the policy's backoff.
    package static func retrying<T>(_ policy: RetryPolicy, cancellation: CancellationFlag, logger: Logger, what: String,
                            _ body: () throws(MirrorError) -> T) throws(MirrorError) -> T {
        var retry = 0
        while true {
            do {
                return try body()
            } catch {
                guard error.isRetryable, retry < policy.retries, !cancellation.isCancelled else { throw error }
                retry += 1
                let delay = policy.delay(beforeRetry: retry, serverAsked: error.retryAfter)
                logger.info("\(error.description); retry \(retry) of \(policy.retries) in \(String(format: "%.1f", delay)) s",
                            metadata: ["transfer.url": "\(what)", "error.code": "\(error.code)"])
                cancellation.sleep(seconds: delay)
                if cancellation.isCancelled { throw error }
            }
        }
    }
}

extension ErrorCode {
    /// The server listed no PubMed files where the mirror holds some.
    public static let listingEmpty = ErrorCode("transfer.listing-empty", .serverUnreachable)
}
