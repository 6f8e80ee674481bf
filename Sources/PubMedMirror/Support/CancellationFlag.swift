import Synchronization

/// Set once to ask every worker to stop; checked by libcurl's progress callback, so a running
/// transfer aborts within about a second and leaves its `.partial` file for the next run to resume.
public final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .relaxed) }

    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}
