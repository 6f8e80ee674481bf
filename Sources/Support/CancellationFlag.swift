import Synchronization

/// Set once to ask every worker to stop. Checked by libcurl's progress callback (a running transfer
/// aborts within about a second and leaves its `.partial` file for the next run to resume), between
/// retries (whose waits it cuts short), and by the index pipeline between batches (the file being
/// applied is rolled back). The library's async calls set it when their task is cancelled.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    private let cancelled = OneShot<Bool>()

    public init() {}

    public func cancel() {
        flag.store(true, ordering: .relaxed)
        cancelled.finish(true)
    }

    /// Cheap enough for every progress callback and every batch.
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    /// Waits `seconds`, or less when the flag is set meanwhile; says whether the flag cut the
    /// wait short (woke it before its end).
    @discardableResult
    package func sleep(seconds: Double) -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int64((max(0, seconds) * 1000).rounded()))
        return cancelled.wait(seconds: seconds) != nil && ContinuousClock.now < end
    }
}
