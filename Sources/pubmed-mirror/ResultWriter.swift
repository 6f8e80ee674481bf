import CStandardStreams
import Foundation

/// Why a command's results could not be written.
enum OutputError: Error, CustomStringConvertible {
    /// The reader closed the pipe (`| head`): the command ends quietly, as Unix tools do.
    case closedByReader
    /// The destination refused the bytes: a full disk (ENOSPC), a closed standard output (EBADF),
    /// permissions. `destination` is "standard output" or the file's path.
    case failed(destination: String, operation: String, errno: Int32)

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
/// it and renamed into place once complete (so that a reader never sees half of one). Every write
/// goes through write(2) and every failure is thrown, never lost: a full disk, a closed standard
/// output, a reader gone. Buffers up to 1 MiB; on a terminal each write is flushed at once, so
/// results and the messages on standard error appear in order. Owned by the command that writes.
final class ResultWriter {
    static let standardOutputName = "standard output"
    /// Standard output was closed when the process started (it holds /dev/null, read-only, now).
    static var standardOutputWasClosed: Bool { cstandardstreams_closed_at_start() & 2 != 0 }

    /// The process's standard output; commands flush it before they return.
    nonisolated(unsafe) static let standardOutput = ResultWriter(descriptor: STDOUT_FILENO)

    private let descriptor: Int32
    private let name: String
    /// For a file: its temporary name, renamed to `name` by `commit`.
    private let temporary: String?
    private let flushesEachWrite: Bool
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 20

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        name = Self.standardOutputName
        temporary = nil
        flushesEachWrite = isatty(descriptor) == 1
    }

    /// A new file at `path`, written as `.NAME.PID.partial` beside it until `commit`.
    init(file path: String) throws(OutputError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).partial").path
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .failed(destination: path, operation: "create \(temporary)", errno: errno) }
        self.descriptor = descriptor
        self.temporary = temporary
        name = path
        flushesEachWrite = false
    }

    deinit {
        if let temporary {
            close(descriptor)
            unlink(temporary)
        }
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
        let failure: Int32? = buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                // `offset < count`, so the buffer is not empty and has a base address.
                let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
        guard let failure else { return }
        if failure == EPIPE { throw .closedByReader }
        throw .failed(destination: name, operation: "write", errno: failure)
    }

    /// For a file: flushes it to the disk and renames it into place (standard output: flushes).
    func commit() throws(OutputError) {
        try flush()
        guard let temporary else { return }
        guard fsync(descriptor) == 0 else { throw .failed(destination: name, operation: "fsync", errno: errno) }
        guard rename(temporary, name) == 0 else { throw .failed(destination: name, operation: "rename", errno: errno) }
        let folder = open(URL(fileURLWithPath: name).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }
}
