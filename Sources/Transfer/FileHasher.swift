import Crypto
import Foundation
import PubMedSupport

/// Hashes a file on a thread of its own while another thread appends to it, reading behind the
/// writer (from the page cache). The transfer thread then only receives and writes, so on two cores
/// receiving and hashing overlap instead of taking turns; a resumed download's existing bytes are
/// hashed while the rest arrives.
///
/// The writer says how far it has written (`advance`); the lengths go to the hashing thread through
/// a `BlockingChannel`, one every MiB at most, and the digest comes back through a `OneShot`, so
/// `finish` and `cancel` may each be called any number of times. Owned by the writer's thread.
final class FileHasher {
    /// How many bytes are written between two messages to the hashing thread.
    private static let step: Int64 = 1 << 20
    /// Messages the channel holds: how far, in steps, the writer may run ahead of the hash.
    private static let capacity = 64

    private let path: String
    private let written = BlockingChannel<Int64, Never>(capacity: FileHasher.capacity)
    private let digest = OneShot<Result<String, FileSystemError>>()
    /// The writer's length, and the last one sent.
    private var length: Int64
    private var sent: Int64

    /// Starts hashing `path`, whose first `available` bytes are already written.
    init(path: String, available: Int64) throws(FileSystemError) {
        self.path = path
        length = available
        sent = available
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(path: path, operation: "open for hashing", errno: errno) }
        let written = self.written, digest = self.digest
        let thread = Thread {
            // However the hash ends (a read failing part way included), the channel is cancelled:
            // the writer's sends then return at once instead of filling it and waiting for ever,
            // inside libcurl's write callback, where neither the stall limit nor Ctrl-C can reach.
            defer {
                written.cancel()
                close(descriptor)
            }
            digest.finish(Self.hash(descriptor: descriptor, path: path, available: available, written: written))
        }
        thread.name = "md5"
        thread.start()
    }

    /// The writer has written the file up to `length` bytes.
    func advance(to length: Int64) {
        self.length = length
        guard length - sent >= Self.step else { return }
        sent = length
        _ = written.send(length)
    }

    /// Waits until every written byte is hashed and returns the lower-case hex MD5.
    func finish() throws(FileSystemError) -> String {
        if sent < length {
            sent = length
            _ = written.send(length)
        }
        written.finish()
        return try digest.wait().get()
    }

    /// Stops hashing (the file is being started over or abandoned) and waits for the thread.
    func cancel() {
        written.cancel()
        _ = digest.wait()
    }

    /// The hashing thread: reads the file as far as the writer has written, until it is told the end.
    private static func hash(descriptor: Int32, path: String, available: Int64,
                             written: BlockingChannel<Int64, Never>) -> Result<String, FileSystemError> {
        var hasher = Insecure.MD5()
        var limit = available
        do throws(FileSystemError) {
            try FileChunks.read(descriptor: descriptor, path: path, chunkSize: 1 << 20, limit: { position in
                // Waits for the writer to get past `position`; nil once it has finished (or gone).
                while limit <= position {
                    guard let next = written.receive() else { return nil }
                    limit = next
                }
                return limit
            }, mapError: { $0 }) { (chunk) throws(FileSystemError) in hasher.update(bufferPointer: chunk) }
        } catch {
            return .failure(FileSystemError(path: error.path, operation: "read for hashing", errno: error.errno))
        }
        return .success(hasher.finalize().hex)
    }
}
