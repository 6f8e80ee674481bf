import Foundation
import Synchronization

/// Runs blocking work (libcurl transfers, file hashing) on threads of its own, never on the async
/// pool, and resumes the caller when all of it is done.
enum BlockingThreads {
    /// Runs `body(index)` on `count` new threads and returns when every one has returned.
    static func run(count: Int, name: String, _ body: @escaping @Sendable (Int) -> Void) async {
        guard count > 0 else { return }
        let remaining = Countdown(count)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            for index in 0..<count {
                let thread = Thread {
                    body(index)
                    if remaining.decrement() { continuation.resume() }
                }
                thread.name = "\(name)-\(index)"
                thread.start()
            }
        }
    }

    /// Runs one blocking `body` on a thread of its own and returns its result.
    static func value<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        let box = Mutex<T?>(nil)
        await run(count: 1, name: name) { _ in
            let result = body()
            box.withLock { $0 = result }
        }
        // `run` returns only after the body stored its result.
        return box.withLock { $0! }
    }
}

final class Countdown: Sendable {
    private let value: Atomic<Int>
    init(_ count: Int) { value = Atomic(count) }
    /// True for the call that brings it to zero.
    func decrement() -> Bool { value.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 }
}

/// Hands out items to worker threads in order, each item once.
final class WorkQueue<Item: Sendable>: Sendable {
    private let state: Mutex<(items: [Item], next: Int)>

    init(_ items: [Item]) { state = Mutex((items, 0)) }

    func next() -> Item? {
        state.withLock { state in
            guard state.next < state.items.count else { return nil }
            defer { state.next += 1 }
            return state.items[state.next]
        }
    }
}
