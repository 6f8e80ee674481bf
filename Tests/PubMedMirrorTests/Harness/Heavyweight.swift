import Foundation
import Testing

/// For tests that start servers or child processes, or parse and index whole files: at most a few
/// of them at a time, whatever Swift Testing runs in parallel (on two cores, a hundred servers and
/// binaries started at once only time each other out), and each on a thread of its own rather
/// than the cooperative pool, so that a test that blocks (a whole file parsed, a store applied)
/// never starves the others' awaits. A test case takes one of the slots (`TestSlots`) for as long
/// as it runs; tests without the trait run beside them unbounded.
struct Heavyweight: TestTrait, SuiteTrait, TestScoping {
    var isRecursive: Bool { true }

    /// One scope per test case (every test has at least one); none around a suite or a whole
    /// parameterized test, so that a case never waits for a slot its own test holds.
    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        testCase == nil ? nil : self
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await TestSlots.shared.acquire()
        let folder: URL
        do {
            folder = try TestPaths.sharedTemporaryDirectory("test")
        } catch {
            await TestSlots.shared.release()  // or every heavyweight test after it waits for ever
            throw error
        }
        let executor = ThreadExecutor(name: "test \(test.name)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try await withTaskExecutorPreference(executor) {
                try await TestPaths.$testFolder.withValue(folder) { try await function() }
            }
        } catch {
            executor.shutdown()
            await TestSlots.shared.release()
            throw error
        }
        executor.shutdown()
        await TestSlots.shared.release()
    }
}

extension Trait where Self == Heavyweight {
    /// The test starts servers or child processes: it runs with a few others at most.
    static var heavyweight: Self { Heavyweight() }
}

/// A counting semaphore for tasks: `acquire` waits (without blocking a thread) until a slot is
/// free; slots are handed out in the order they were asked for.
actor TestSlots {
    static let shared = TestSlots(count: max(2, ProcessInfo.processInfo.activeProcessorCount + 1))

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// Runs the jobs of the tasks that prefer it on one thread of its own, in order: a test's body, and
/// whatever it awaits comes back here. `@unchecked Sendable`: `jobs` and `stopped` are behind `condition`.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread once the jobs queued so far have run.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
