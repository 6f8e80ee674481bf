import Foundation
import Synchronization
import Testing
@testable import PubMedSupport

/// The one bounded hand-off between threads, and the one result set once: what every stage's
/// threads rely on, tested on threads of their own (never on the test pool: these calls block).
@Suite struct BlockingChannelTests {
    struct Failed: Error, Equatable { let id: Int }

    /// Runs `body` on a thread of its own and waits for it without blocking the pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await BlockingThreads.value(name: "test", cancellation: CancellationFlag(), body)
    }

    /// Waits (up to 30 s: the whole suite on two busy cores can keep a new thread waiting for
    /// seconds) until `condition` holds, without blocking the pool.
    static func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(30)
        while !condition() && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        return condition()
    }

    @Test func itemsComeOutInOrderAcrossThreads() async {
        let channel = BlockingChannel<Int, Never>(capacity: 3)
        let sender = Task.detached {
            await Self.onThread {
                for item in 0..<10_000 { guard channel.send(item) else { return false } }
                channel.finish()
                return true
            }
        }
        let received = await Self.onThread { () -> [Int] in
            var items: [Int] = []
            while let item = channel.receive() { items.append(item) }
            return items
        }
        #expect(await sender.value)
        #expect(received == Array(0..<10_000))
    }

    @Test func aFullChannelMakesTheSenderWait() async throws {
        let channel = BlockingChannel<Int, Never>(capacity: 2)
        let sent = Atomic<Int>(0)
        let sender = Task.detached {
            await Self.onThread {
                for item in 0..<5 {
                    _ = channel.send(item)
                    sent.add(1, ordering: .relaxed)
                }
            }
        }
        // Two fit; the third send waits for room.
        #expect(try await Self.eventually { sent.load(ordering: .relaxed) == 2 })
        try await Task.sleep(for: .milliseconds(50))
        #expect(sent.load(ordering: .relaxed) == 2, "no more than the capacity is taken")
        #expect(channel.receive() == 0)
        #expect(try await Self.eventually { sent.load(ordering: .relaxed) == 3 })
        for expected in 1..<5 { #expect(await Self.onThread { channel.receive() } == expected) }
        await sender.value
    }

    @Test func aFailureComesAfterTheItemsSentBeforeIt() throws {
        let channel = BlockingChannel<Int, Failed>(capacity: 4)
        #expect(channel.send(1) && channel.send(2))
        channel.fail(Failed(id: 7))
        #expect(!channel.send(3), "nothing is taken after the end")
        #expect(try channel.receive() == 1)
        #expect(try channel.receive() == 2)
        #expect(throws: Failed(id: 7)) { try channel.receive() }
        #expect(throws: Failed(id: 7)) { try channel.receive() }
    }

    @Test func endingTwiceChangesNothing() throws {
        let channel = BlockingChannel<Int, Failed>(capacity: 1)
        channel.finish()
        channel.fail(Failed(id: 1))  // after finish: ignored
        channel.finish()
        #expect(try channel.receive() == nil)
        let failed = BlockingChannel<Int, Failed>(capacity: 1)
        failed.fail(Failed(id: 1))
        failed.fail(Failed(id: 2))  // the first failure stands
        failed.finish()
        #expect(throws: Failed(id: 1)) { try failed.receive() }
    }

    @Test func cancellingWakesASenderBlockedOnAFullChannel() async throws {
        let channel = BlockingChannel<Int, Never>(capacity: 1)
        #expect(channel.send(0))
        let blocked = Task.detached { await Self.onThread { channel.send(1) } }
        try await Task.sleep(for: .milliseconds(50))
        channel.cancel()
        #expect(await blocked.value == false, "the blocked send returns false once the receiver has gone")
        #expect(!channel.send(2))
        #expect(channel.receive() == nil)
        #expect(channel.isCancelled)
    }

    @Test func finishingWakesAReceiverBlockedOnAnEmptyChannel() async throws {
        let channel = BlockingChannel<Int, Never>(capacity: 1)
        let blocked = Task.detached { await Self.onThread { channel.receive() } }
        try await Task.sleep(for: .milliseconds(50))
        channel.finish()
        #expect(await blocked.value == nil)
    }

    @Test func cancellingWakesAReceiverToo() async throws {
        let channel = BlockingChannel<Int, Never>(capacity: 1)
        let blocked = Task.detached { await Self.onThread { channel.receive() } }
        try await Task.sleep(for: .milliseconds(50))
        channel.cancel()
        #expect(await blocked.value == nil)
    }

    @Test func aMovedBufferStaysUniquelyReferenced() {
        // What InflatingReader relies on: a buffer sent with `consume` and received back is the
        // same storage, so refilling it copies nothing.
        let channel = BlockingChannel<[UInt8], Never>(capacity: 1)
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let address = buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        #expect(channel.send(consume buffer))
        buffer = channel.receive()!
        buffer[0] = 1
        #expect(buffer.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == address)
    }
}

@Suite struct OneShotTests {
    @Test func theFirstFinishWinsAndWaitersAllGetIt() async {
        let result = OneShot<Int>()
        let waiters = (0..<4).map { _ in Task.detached { await BlockingChannelTests.onThread { result.wait() } } }
        #expect(result.value == nil)
        #expect(result.finish(1))
        #expect(!result.finish(2), "a second finish changes nothing")
        for waiter in waiters { #expect(await waiter.value == 1) }
        #expect(result.wait() == 1, "waiting again returns at once")
    }

    @Test func aWaitWithATimeoutReturnsNilWhenNothingCame() {
        let result = OneShot<Int>()
        #expect(result.wait(seconds: 0.02) == nil)
        result.finish(3)
        #expect(result.wait(seconds: 10) == 3)
    }
}

@Suite struct CancellationTests {
    @Test func aSetFlagCutsASleepShort() async {
        let flag = CancellationFlag()
        // The sleep says whether the flag ended it before its end: a wake-up that never came
        // would end it after the whole 60 s, and say false.
        let sleeper = Task.detached { await BlockingChannelTests.onThread { flag.sleep(seconds: 60) } }
        try? await Task.sleep(for: .milliseconds(20))
        flag.cancel()
        #expect(await sleeper.value)
        #expect(CancellationFlag().sleep(seconds: 0.01) == false)
    }

    @Test func cancellingTheCallingTaskSetsTheWorksFlag() async throws {
        let flag = CancellationFlag()
        let started = OneShot<Bool>()
        let work = Task {
            await BlockingThreads.run(count: 2, name: "test", cancellation: flag) { _ in
                started.finish(true)
                // Blocking work that checks its flag, as transfers and indexing do.
                while !flag.isCancelled { flag.sleep(seconds: 0.01) }
            }
            return flag.isCancelled
        }
        _ = await BlockingChannelTests.onThread { started.wait() }
        work.cancel()
        #expect(await work.value, "the threads saw the task's cancellation and returned")
    }
}
