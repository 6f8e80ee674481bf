import Foundation

/// A bounded, blocking FIFO between threads: `send` waits while it is full and `receive` while it is
/// empty, so that memory stays flat however far one side runs ahead of the other (the back-pressure
/// between the index pipeline's stages, and between the gunzip thread and the parser).
///
/// Either side can end it. The sending side `finish`es (receivers get nil once the items sent are
/// taken) or `fail`s (receivers get the error, after the items sent before it). The receiving side
/// `cancel`s: every `send` then returns false at once, blocked ones included, and `receive` nil.
/// Each call is safe from any thread; ending it a second time changes nothing.
///
/// The one hand-off of its kind in the project: it, `OneShot` and the lock inside them are what
/// the stages' threads share. `@unchecked Sendable`: all its state is behind `condition`.
package final class BlockingChannel<Item: Sendable, Failure: Error & Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    /// A ring of `capacity` slots; a taken slot is emptied at once, so the channel holds on to no
    /// more than `capacity` items.
    private var slots: [Item?]
    private var head = 0
    private var count = 0
    private var finished = false
    private var failure: Failure?
    private var cancelled = false

    package let capacity: Int

    package init(capacity: Int) {
        precondition(capacity > 0, "a channel needs room for at least one item")
        self.capacity = capacity
        slots = Array(repeating: nil, count: capacity)
    }

    /// Adds an item, waiting while the channel is full. False when the receiver has cancelled (the
    /// item is dropped; the sender should stop), or after the sending side ended the channel. The
    /// item is moved in (`consuming`): a buffer handed over with `consume` stays uniquely referenced.
    package func send(_ item: consuming Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while count == capacity && !cancelled { condition.wait() }
        guard !cancelled, !finished else { return false }
        slots[(head + count) % capacity] = item
        count += 1
        condition.broadcast()
        return true
    }

    /// No more items will come.
    package func finish() {
        end { $0.finished = true }
    }

    /// The sender failed: receivers get `error` once they have taken the items sent before it.
    package func fail(_ error: Failure) {
        end { channel in
            if !channel.finished { channel.failure = error }
            channel.finished = true
        }
    }

    /// The receiver stops: waiting and later `send`s return false, `receive` returns nil.
    package func cancel() {
        end { $0.cancelled = true }
    }

    /// The next item; nil once the channel is finished and empty, or cancelled; the sender's error
    /// once the items before it are taken.
    package func receive() throws(Failure) -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !finished && !cancelled { condition.wait() }
        guard !cancelled else { return nil }
        if count == 0 {
            if let failure { throw failure }
            return nil
        }
        let item = slots[head].take()
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return item
    }

    /// Whether the receiver has cancelled.
    package var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private func end(_ change: (BlockingChannel) -> Void) {
        condition.lock()
        change(self)
        condition.broadcast()
        condition.unlock()
    }
}

/// A result set once and waited for by any number of threads: the first `finish` wins and later
/// ones change nothing (they return false), so two parties that may both end a piece of work can
/// both say so. Replaces a semaphore signalled once, whose second wait would hang forever.
/// `@unchecked Sendable`: all its state is behind `condition`.
package final class OneShot<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var stored: Value?

    package init() {}

    /// Sets the value, unless it is set already; true for the call that set it.
    @discardableResult
    package func finish(_ value: Value) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard stored == nil else { return false }
        stored = value
        condition.broadcast()
        return true
    }

    /// Waits for the value (returns at once when it is set).
    package func wait() -> Value {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let stored { return stored }
            condition.wait()
        }
    }

    /// Waits for the value for at most `seconds`; nil when it did not come in time.
    package func wait(seconds: Double) -> Value? {
        let deadline = Date().addingTimeInterval(max(0, seconds))
        condition.lock()
        defer { condition.unlock() }
        while stored == nil {
            if !condition.wait(until: deadline) { break }
        }
        return stored
    }

    /// The value if it is set, without waiting.
    package var value: Value? {
        condition.lock()
        defer { condition.unlock() }
        return stored
    }
}
