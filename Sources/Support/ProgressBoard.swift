import Foundation
import Synchronization

/// The live state of a fetch, written by the worker threads and read by whatever draws progress
/// (a terminal line per transfer, or a log line now and then). Thread-safe.
public final class ProgressBoard: Sendable {
    public struct Transfer: Sendable, Equatable {
        public var name: String
        public var total: Int64
        /// Bytes in the local file so far (resumed bytes included).
        public var done: Int64
        public var resumedFrom: Int64
        public var startedAt: ContinuousClock.Instant
    }

    public struct Snapshot: Sendable {
        public var active: [Transfer]
        public var filesTotal: Int
        public var filesDone: Int
        public var filesFailed: Int
        public var bytesTotal: Int64
        /// Bytes of finished files plus bytes so far of active ones.
        public var bytesDone: Int64
        /// Bytes that crossed the network in this run (for the rate).
        public var bytesReceived: Int64
        public var startedAt: ContinuousClock.Instant
        /// What the numbers count: "fetched", "indexed", "verified".
        public var phase: String
    }

    private struct State {
        var active: [String: Transfer] = [:]
        var filesTotal = 0
        var filesDone = 0
        var filesFailed = 0
        var bytesTotal: Int64 = 0
        var bytesFinished: Int64 = 0
        var receivedFinished: Int64 = 0
        var startedAt = ContinuousClock.now
        var phase = ""
    }

    private let state = Mutex(State())

    public init() {}

    package func plan(files: Int, bytes: Int64, phase: String) {
        state.withLock {
            $0 = State()
            $0.phase = phase
            $0.filesTotal = files
            $0.bytesTotal = bytes
            $0.startedAt = .now
        }
    }

    package func begin(_ name: String, total: Int64, resumedFrom: Int64) {
        state.withLock {
            $0.active[name] = Transfer(name: name, total: total, done: resumedFrom, resumedFrom: resumedFrom, startedAt: .now)
        }
    }

    package func update(_ name: String, done: Int64) {
        state.withLock { $0.active[name]?.done = done }
    }

    /// A file is finished (downloaded, confirmed unchanged, or failed for good).
    package func end(_ name: String, bytes: Int64, received: Int64, failed: Bool) {
        state.withLock {
            $0.active[name] = nil
            if failed { $0.filesFailed += 1 } else { $0.filesDone += 1 }
            $0.bytesFinished += bytes
            $0.receivedFinished += received
        }
    }

    /// A transfer attempt ended without finishing the file (it will be retried).
    package func abandon(_ name: String) {
        state.withLock { state in
            if let transfer = state.active[name] {
                state.receivedFinished += max(0, transfer.done - transfer.resumedFrom)
            }
            state.active[name] = nil
        }
    }

    public func snapshot() -> Snapshot {
        state.withLock { state in
            let active = state.active.values.sorted { $0.name < $1.name }
            let activeDone = active.reduce(Int64(0)) { $0 + $1.done }
            let activeReceived = active.reduce(Int64(0)) { $0 + max(0, $1.done - $1.resumedFrom) }
            return Snapshot(active: active, filesTotal: state.filesTotal, filesDone: state.filesDone,
                            filesFailed: state.filesFailed, bytesTotal: state.bytesTotal,
                            bytesDone: state.bytesFinished + activeDone,
                            bytesReceived: state.receivedFinished + activeReceived, startedAt: state.startedAt,
                            phase: state.phase)
        }
    }
}
