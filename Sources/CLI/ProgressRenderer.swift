import Foundation
import PubMedMirror
import Synchronization

/// Draws a `ProgressBoard`: on a terminal, a live line per active transfer and a total line, redrawn
/// five times a second; elsewhere (cron, a pipe), one log line every `interval` seconds.
final class ProgressRenderer: Sendable {
    private let board: ProgressBoard
    private let verb: String
    private let interval: Double
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    init(board: ProgressBoard, verb: String, interval: Double = 15) {
        self.board = board
        self.verb = verb
        self.interval = interval
    }

    func start() {
        let thread = Thread { [self] in
            let console = Console.shared
            var lastLog = ContinuousClock.now
            while running.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: 0.2)
                let snapshot = board.snapshot()
                if console.isTerminal {
                    console.draw(Self.lines(snapshot, verb: verb))
                } else if ContinuousClock.now - lastLog >= .seconds(interval), snapshot.filesTotal > 0 {
                    lastLog = .now
                    console.printLine(Console.timestamp() + " info: " + Self.totalLine(snapshot, verb: verb))
                }
            }
            if console.isTerminal { console.clearLive() }
            finished.signal()
        }
        thread.name = "progress"
        thread.start()
    }

    /// Runs `body` with progress drawn unless `quiet`, and always stops drawing before returning.
    static func around<T, E: Error>(_ board: ProgressBoard, verb: String, quiet: Bool,
                                    _ body: () async throws(E) -> T) async throws(E) -> T {
        let renderer = quiet ? nil : ProgressRenderer(board: board, verb: verb)
        renderer?.start()
        defer { renderer?.stop() }
        return try await body()
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        finished.wait()
    }

    static func lines(_ snapshot: ProgressBoard.Snapshot, verb: String) -> [String] {
        var lines = snapshot.active.map { transfer -> String in
            let percent = transfer.total > 0 ? Int(Double(transfer.done) * 100 / Double(transfer.total)) : 0
            let elapsed = (ContinuousClock.now - transfer.startedAt).inSeconds
            let rate = elapsed > 0.5 ? Double(transfer.done - transfer.resumedFrom) / elapsed : 0
            return "  \(transfer.name)  \(String(format: "%3d", percent))%  \(ByteCount.format(transfer.done)) of \(ByteCount.format(transfer.total))  \(ByteCount.format(Int64(rate)))/s"
        }
        if snapshot.filesTotal > 0 { lines.append(totalLine(snapshot, verb: verb)) }
        return lines
    }

    static func totalLine(_ snapshot: ProgressBoard.Snapshot, verb: String) -> String {
        let elapsed = (ContinuousClock.now - snapshot.startedAt).inSeconds
        let rate = elapsed > 0.5 ? Double(snapshot.bytesReceived) / elapsed : 0
        let remaining = max(0, snapshot.bytesTotal - snapshot.bytesDone)
        let eta = rate > 0 && remaining > 0 ? ", ETA " + DurationText.format(Double(remaining) / rate) : ""
        let failed = snapshot.filesFailed > 0 ? ", \(snapshot.filesFailed) failed" : ""
        let verb = snapshot.phase.isEmpty ? verb : snapshot.phase
        return "\(verb) \(snapshot.filesDone + snapshot.filesFailed)/\(snapshot.filesTotal) files\(failed), \(ByteCount.format(snapshot.bytesDone)) of \(ByteCount.format(snapshot.bytesTotal)), \(ByteCount.format(Int64(rate)))/s\(eta)"
    }

}


/// A duration as a progress line shows it: "42s", "3m07s", "2h05m".
enum DurationText {
    static func format(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(String(format: "%02d", total % 60))s" }
        return "\(total / 3600)h\(String(format: "%02d", total % 3600 / 60))m"
    }
}

