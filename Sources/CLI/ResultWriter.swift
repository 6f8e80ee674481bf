import Foundation
import PubMedMirror

/// Why a command's results could not be written.
enum OutputError: CodedError {
    /// The reader closed the pipe (`| head`): the command ends quietly, as Unix tools do.
    case closedByReader
    /// The destination refused the bytes: a full disk (ENOSPC), a closed standard output (EBADF),
    /// permissions. `destination` is "standard output" or the file's path.
    case failed(destination: String, operation: String, errno: Int32)

    var code: ErrorCode { .outputUnwritable }

    var description: String {
        switch self {
        case .closedByReader:
            return "the reader closed standard output"
        case .failed(let destination, let operation, let code):
            if destination == ResultWriter.standardOutputName {
                if code == EBADF && ResultWriter.standardOutputWasClosed {
                    return "the results could not be written: standard output was closed when the command started"
                }
                return "the results could not be written to standard output: \(String(cString: strerror(code)))"
            }
            return "the results could not be written to \(destination): \(operation) failed: \(String(cString: strerror(code)))"
        }
    }
}

/// Where a command's results go: standard output, or a file written under a temporary name beside
/// it and renamed into place once complete (`AtomicFile`: a reader never sees half of one). Every write
/// goes through write(2) and every failure is thrown, never lost: a full disk, a closed standard
/// output, a reader gone. Buffers up to 1 MiB; on a terminal each write is flushed at once, so
/// results and the messages on standard error appear in order. Owned by the command that writes.
public final class ResultWriter {
    static let standardOutputName = "standard output"
    /// Standard output was closed when the process started (it holds /dev/null, read-only, now):
    /// the executable says so before anything runs. Unchecked (`nonisolated(unsafe)`) because it
    /// is written once, in `main.swift` before any task or thread starts, and only read after.
    nonisolated(unsafe) public static var standardOutputWasClosed = false

    /// The process's standard output; commands flush it before they return. Unchecked because one
    /// command at a time writes to it, from its `run`, and a `ResultWriter` is not `Sendable`
    /// (its buffer): every use is on that command's task, never from two at once.
    nonisolated(unsafe) static let standardOutput = ResultWriter(descriptor: STDOUT_FILENO)

    /// Where the bytes go: standard output, or a file that appears whole when committed.
    private enum Destination {
        case descriptor(Int32)
        case file(AtomicFile)
    }

    private let destination: Destination
    private let name: String
    private let flushesEachWrite: Bool
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 20

    private init(descriptor: Int32) {
        destination = .descriptor(descriptor)
        name = Self.standardOutputName
        flushesEachWrite = isatty(descriptor) == 1
    }

    /// A new file at `path`, written under a temporary name beside it until `commit`.
    init(file path: String) throws(OutputError) {
        do throws(FileSystemError) {
            destination = .file(try AtomicFile(URL(fileURLWithPath: path)))
        } catch { throw .failed(destination: path, operation: "create \(error.path)", errno: error.errno) }
        name = path
        flushesEachWrite = false
    }

    func write(_ text: String) throws(OutputError) {
        buffer.append(contentsOf: text.utf8)
        try flushIfDue()
    }

    func write(_ bytes: [UInt8]) throws(OutputError) {
        buffer.append(contentsOf: bytes)
        try flushIfDue()
    }

    /// Writes `text` and a newline.
    func line(_ text: String) throws(OutputError) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(UInt8(ascii: "\n"))
        try flushIfDue()
    }

    private func flushIfDue() throws(OutputError) {
        if flushesEachWrite || buffer.count >= Self.capacity { try flush() }
    }

    /// Writes out what is buffered.
    func flush() throws(OutputError) {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        switch destination {
        case .descriptor(let descriptor):
            if let failure = FileSystem.writeAll(buffer, to: descriptor) {
                if failure == EPIPE { throw .closedByReader }
                throw .failed(destination: name, operation: "write", errno: failure)
            }
        case .file(let file):
            do throws(FileSystemError) { try file.write(buffer) } catch { throw .failed(destination: name, operation: error.operation, errno: error.errno) }
        }
    }

    /// For a file: flushes it to the disk and renames it into place (standard output: flushes).
    func commit() throws(OutputError) {
        try flush()
        guard case .file(let file) = destination else { return }
        do throws(FileSystemError) { try file.commit() } catch { throw .failed(destination: name, operation: error.operation, errno: error.errno) }
    }
}

extension ErrorCode {
    /// The results cannot be written: a full disk, a closed standard output.
    static let outputUnwritable = ErrorCode("local.output", .local)
}
