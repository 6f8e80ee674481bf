import Foundation
import Synchronization

/// Runs blocking work (libcurl transfers, file hashing, indexing) on threads of its own, never on
/// the async pool, and resumes the caller when all of it is done. Cancelling the calling task sets
/// the work's `CancellationFlag`, which the work checks.
package enum BlockingThreads {
    /// Runs `body(index)` on `count` new threads and returns when every one has returned.
    package static func run(count: Int, name: String, cancellation: CancellationFlag,
                            _ body: @escaping @Sendable (Int) -> Void) async {
        guard count > 0 else { return }
        let remaining = Countdown(count)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                for index in 0..<count {
                    start("\(name)-\(index)") {
                        body(index)
                        if remaining.decrement() { continuation.resume() }
                    }
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
    }

    /// Runs one blocking `body` on a thread of its own and returns its result.
    package static func value<T: Sendable>(name: String, cancellation: CancellationFlag,
                                           _ body: @escaping @Sendable () -> T) async -> T {
        let result = OneShot<T>()
        await run(count: 1, name: name, cancellation: cancellation) { _ in result.finish(body()) }
        // `run` returns only after the body has finished the result.
        return result.wait()
    }

    /// Starts `body` on a new thread. `body` is handed over (`sending`): whatever it captures is the
    /// new thread's alone from now on, which is what lets a stage move its non-`Sendable` state
    /// (a parser, a scanner) to the thread that runs it.
    package static func start(_ name: String, _ body: sending @escaping () -> Void) {
        // `sending` guarantees that the caller keeps no access to `body` or what it captures.
        nonisolated(unsafe) let handedOver = body
        let thread = Thread { handedOver() }
        thread.name = name
        thread.start()
    }
}

package final class Countdown: Sendable {
    private let value: Atomic<Int>
    package init(_ count: Int) { value = Atomic(count) }
    /// True for the call that brings it to zero.
    package func decrement() -> Bool { value.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 }
}

/// Hands out items to worker threads in order, each item once.
package final class WorkQueue<Item: Sendable>: Sendable {
    private let state: Mutex<(items: [Item], next: Int)>

    package init(_ items: [Item]) { state = Mutex((items, 0)) }

    package func next() -> Item? {
        state.withLock { state in
            guard state.next < state.items.count else { return nil }
            defer { state.next += 1 }
            return state.items[state.next]
        }
    }
}
