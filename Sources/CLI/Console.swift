import Foundation
import Logging
import PubMedMirror
import Synchronization

/// Standard error, shared by the log and the live progress lines so that they never interleave:
/// a log line clears the live lines, prints, and the next tick draws them again.
final class Console: Sendable {
    static let shared = Console()

    let isTerminal = isatty(STDERR_FILENO) == 1
    private let drawnLines = Mutex(0)

    /// Prints one line to stderr, above the live progress lines if any are drawn.
    func printLine(_ text: String) {
        drawnLines.withLock { drawn in
            var output = Self.clear(drawn)
            drawn = 0
            output += text + "\n"
            Self.write(output)
        }
    }

    /// Replaces the live lines with `lines` (terminal only).
    func draw(_ lines: [String]) {
        drawnLines.withLock { drawn in
            var output = Self.clear(drawn)
            for line in lines { output += line + "\u{1B}[K\n" }
            drawn = lines.count
            Self.write(output)
        }
    }

    func clearLive() { draw([]) }

    private static func clear(_ count: Int) -> String {
        count == 0 ? "" : "\u{1B}[\(count)A\u{1B}[J"
    }

    /// The time at the start of a log line that goes to a file or a pipe, UTC, to the second.
    static func timestamp() -> String {
        Date().formatted(.iso8601)
    }

    /// Best effort: a standard error that cannot be written (full, closed) has nowhere else to say so.
    private static func write(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            // `offset < count`, so the array is not empty and has a base address.
            let written = bytes.withUnsafeBytes { Foundation.write(STDERR_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            offset += written
        }
    }
}

/// swift-log handler writing `LEVEL: message key=value …` lines through the `Console`.
struct ConsoleLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let details = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = Console.shared.isTerminal ? "" : Console.timestamp() + " "
        Console.shared.printLine("\(stamp)\(event.level.rawValue): \(event.message)\(details.isEmpty ? "" : " [\(details)]")")
    }
}

/// The process's log: swift-log bootstrapped once, at the level the options ask for.
enum LogSetup {
    static func bootstrap(_ output: OutputOptions) -> Logger {
        let level: Logger.Level = output.verbose ? .debug : output.quiet ? .warning : .info
        LoggingSystem.bootstrap { label in ConsoleLogHandler(logLevel: level, label: label) }
        return Logger(label: "pubmed-mirror")
    }
}
