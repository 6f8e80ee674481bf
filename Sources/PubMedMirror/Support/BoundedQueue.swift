import Foundation

/// A blocking, bounded hand-off between one producer thread and one consumer thread: memory stays
/// flat because the producer waits when the consumer falls behind. Either side can stop the other:
/// the producer by finishing or failing, the consumer by cancelling.
final class BoundedQueue<Item>: @unchecked Sendable {
    struct Cancelled: Error {}

    private let condition = NSCondition()
    /// A ring of `capacity` slots; a taken slot is emptied at once, so the queue holds on to no
    /// more than `capacity` items.
    private var slots: [Item?]
    private var head = 0
    private var count = 0
    private let capacity: Int
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        slots = Array(repeating: nil, count: capacity)
    }

    /// Adds an item, waiting while the queue is full; throws `Cancelled` once the consumer gave up.
    func put(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        while count == capacity && !cancelled { condition.wait() }
        if cancelled { throw Cancelled() }
        slots[(head + count) % capacity] = item
        count += 1
        condition.broadcast()
    }

    /// No more items will come.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The producer failed: the consumer's next `take` throws `error`.
    func fail(_ error: any Error) {
        condition.lock()
        failure = error
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops: the producer's next `put` throws.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, nil when the producer finished, or the producer's error.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !finished { condition.wait() }
        if let failure { throw failure }
        guard count > 0 else { return nil }
        let item = slots[head].take()
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return item
    }
}
