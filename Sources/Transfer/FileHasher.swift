import Crypto
import Foundation
import PubMedSupport

/// Hashes a file on a thread of its own while another thread appends to it, reading behind the
/// writer (from the page cache). The transfer thread then only receives and writes, so on two cores
/// receiving and hashing overlap instead of taking turns; a resumed download's existing bytes are
/// hashed while the rest arrives.
///
/// The writer calls `advance(to:)` after each write and `finish()` at the end; the state behind the
/// lock is shared by exactly those two threads.
final class FileHasher: @unchecked Sendable {
    private let path: String
    private let descriptor: Int32
    private let condition = NSCondition()
    private var available: Int64
    private var finished = false
    private var cancelled = false
    private var hashed: Int64 = 0
    private var hasher = Insecure.MD5()
    private var readErrno: Int32 = 0
    private let done = DispatchSemaphore(value: 0)

    /// Starts hashing `path`, whose first `available` bytes are already written.
    init(path: String, available: Int64) throws(FileSystemError) {
        self.path = path
        self.available = available
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileSystemError(path: path, operation: "open for hashing", errno: errno) }
        let thread = Thread { [self] in run() }
        thread.name = "md5"
        thread.start()
    }

    deinit {
        close(descriptor)
    }

    /// The writer has written the file up to `length` bytes.
    func advance(to length: Int64) {
        condition.lock()
        available = length
        condition.signal()
        condition.unlock()
    }

    /// Waits until every written byte is hashed and returns the lower-case hex MD5.
    func finish() throws(FileSystemError) -> String {
        condition.lock()
        finished = true
        condition.signal()
        condition.unlock()
        done.wait()
        if readErrno != 0 { throw FileSystemError(path: path, operation: "read for hashing", errno: readErrno) }
        return hasher.finalize().hex
    }

    /// Stops hashing (the file is being started over or abandoned) and waits for the thread.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.signal()
        condition.unlock()
        done.wait()
    }

    private func run() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer {
            buffer.deallocate()
            done.signal()
        }
        while true {
            condition.lock()
            while hashed >= available && !finished && !cancelled { condition.wait() }
            let target = available
            let stop = cancelled || (finished && hashed >= target)
            condition.unlock()
            if stop { return }
            let wanted = Int(min(Int64(buffer.count), target - hashed))
            let count = pread(descriptor, buffer.baseAddress, wanted, off_t(hashed))
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                readErrno = count < 0 ? errno : EIO
                return
            }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            hashed += Int64(count)
        }
    }
}
