import Foundation

/// Reads and decompresses a gzip file on a thread of its own, a few chunks ahead of the caller,
/// so that decompression (about a third of the work of parsing a PubMed file) overlaps with what
/// the caller does with the bytes. An optional `ahead` step also runs on that thread, on each
/// buffer in order, and its result travels with the buffer.
///
/// Memory is bounded: `bufferCount` buffers of `bufferSize` bytes circulate between the two
/// threads; when the caller falls behind, the reading thread waits. The caller's closure runs on
/// the caller's thread, in file order. The reading thread has ended when `read` returns, whether
/// it succeeds or throws.
enum InflatingReader {
    static let bufferSize = 256 * 1024
    static let bufferCount = 4

    /// Calls `body` with the decompressed bytes of the file, in order, each time with what `ahead`
    /// returned for those bytes (`ahead` runs on the reading thread), and returns the size of the
    /// file. Errors: the gzip errors of `GzipInflater` (after every byte before the damage has
    /// been handed over), and whatever `body` throws (the reading thread is then stopped).
    @discardableResult
    static func read<Found: Sendable>(_ url: URL, readSize: Int = 1 << 20,
                                      ahead: @escaping @Sendable (UnsafeRawBufferPointer) -> Found,
                                      _ body: (UnsafeRawBufferPointer, Found) throws(RecordError) -> Void) throws(RecordError) -> Int {
        try read(url, readSize: readSize, cutting: false, hashing: nil, ahead: ahead) { (bytes, found, _) throws(RecordError) in
            try body(bytes, found)
        }
    }

    /// The same, and when `cutting`, the file is also cut into `CompressedChunk`s on the reading
    /// thread: `body` gets those completed since its last call, the last ones with the last bytes
    /// (which may then be none). `hashing`, when given, is fed the file's compressed bytes on the
    /// reading thread; its digest is ready when this returns.
    static func read<Found: Sendable>(_ url: URL, readSize: Int = 1 << 20, cutting: Bool, hashing: RunningMD5?,
                                      ahead: @escaping @Sendable (UnsafeRawBufferPointer) -> Found,
                                      _ body: (UnsafeRawBufferPointer, Found, [CompressedChunk]) throws(RecordError) -> Void)
        throws(RecordError) -> Int {
        let channel = Channel<Found>(bufferCount: bufferCount, bufferSize: bufferSize)
        defer { channel.deallocateBuffers() }
        let thread = Thread { produce(url, readSize: readSize, cutting: cutting, hashing: hashing, ahead: ahead, into: channel) }
        thread.name = "gunzip \(url.lastPathComponent)"
        thread.start()
        do throws(RecordError) {
            while true {
                switch channel.take() {
                case .data(let buffer, let count, let found, let chunks):
                    defer { channel.recycle(buffer) }
                    try body(UnsafeRawBufferPointer(start: buffer.pointer, count: count), found, chunks)
                case .end(let fileSize):
                    channel.waitForProducer()
                    return fileSize
                case .failed(let error):
                    channel.waitForProducer()
                    throw error
                }
            }
        } catch {
            channel.cancel()
            channel.waitForProducer()
            throw error
        }
    }

    /// Calls `body` with the decompressed bytes of the file, in order, and returns the size of the file.
    @discardableResult
    static func read(_ url: URL, readSize: Int = 1 << 20,
                     _ body: (UnsafeRawBufferPointer) throws(RecordError) -> Void) throws(RecordError) -> Int {
        try read(url, readSize: readSize, ahead: { _ in () }) { (bytes, _) throws(RecordError) in try body(bytes) }
    }

    /// The reading thread: fills buffers and hands them over, then says how it ended.
    private static func produce<Found>(_ url: URL, readSize: Int, cutting: Bool, hashing: RunningMD5?,
                                       ahead: (UnsafeRawBufferPointer) -> Found, into channel: Channel<Found>) {
        defer { channel.producerFinished() }
        var current: (buffer: Channel<Found>.Buffer, count: Int)?
        let recorder = cutting ? AccessPointRecorder() : nil
        func handOver(_ buffer: Channel<Found>.Buffer, _ count: Int) {
            let bytes = UnsafeRawBufferPointer(start: buffer.pointer, count: count)
            channel.put(.data(buffer, count, ahead(bytes), recorder?.take() ?? []))
        }
        do throws(RecordError) {
            let inflater = try GzipInflater(fileName: url.lastPathComponent, recorder: recorder)
            let fileSize = try FileChunks.read(url, chunkSize: readSize, hashing: hashing) { (chunk) throws(RecordError) in
                try inflater.inflate(chunk) { (output) throws(RecordError) in
                    var offset = 0
                    while offset < output.count {
                        if current == nil {
                            guard let buffer = channel.freeBuffer() else { throw cancelled }
                            current = (buffer, 0)
                        }
                        // `current` was set just above; `output` is not empty (offset < count).
                        let (buffer, filled) = current!
                        let count = min(output.count - offset, bufferSize - filled)
                        (buffer.pointer + filled).copyMemory(from: output.baseAddress! + offset, byteCount: count)
                        offset += count
                        current = (buffer, filled + count)
                        if filled + count == bufferSize {
                            handOver(buffer, bufferSize)
                            current = nil
                        }
                    }
                }
            }
            try inflater.finish()
            // The last chunk was completed by `finish`: it goes with the last bytes (with no bytes
            // when those filled the previous buffer exactly).
            if current == nil, let recorder, recorder.hasFinished {
                guard let buffer = channel.freeBuffer() else { throw cancelled }
                current = (buffer, 0)
            }
            if let (buffer, count) = current { handOver(buffer, count) }
            channel.put(.end(fileSize))
        } catch {
            // The bytes before the damage first, so that the caller sees everything readable.
            if let (buffer, count) = current, count > 0 { handOver(buffer, count) }
            channel.put(.failed(error))
        }
    }

    private static let cancelled = RecordError(kind: .handler, file: "", message: "reading was cancelled")

    /// The hand-off between the two threads: a queue of filled buffers one way, a pool of free
    /// buffers the other, under one condition lock.
    private final class Channel<Found>: @unchecked Sendable {
        /// A buffer's address, passed between the threads; only one thread uses it at a time.
        struct Buffer: @unchecked Sendable {
            let pointer: UnsafeMutableRawPointer
        }

        enum Item {
            case data(Buffer, Int, Found, [CompressedChunk])
            case end(Int)
            case failed(RecordError)
        }

        private let condition = NSCondition()
        private let all: [Buffer]
        private var free: [Buffer]
        private var queue: [Item] = []
        private var isCancelled = false
        private var producerDone = false

        init(bufferCount: Int, bufferSize: Int) {
            all = (0..<bufferCount).map { _ in Buffer(pointer: .allocate(byteCount: bufferSize, alignment: 64)) }
            free = all
        }

        /// Only once both threads are done with the buffers.
        func deallocateBuffers() {
            for buffer in all { buffer.pointer.deallocate() }
        }

        // Reading thread

        /// A free buffer, waiting for one if needed; `nil` once the reader is cancelled.
        func freeBuffer() -> Buffer? {
            condition.lock()
            defer { condition.unlock() }
            while free.isEmpty && !isCancelled { condition.wait() }
            return isCancelled ? nil : free.removeLast()
        }

        func put(_ item: Item) {
            condition.lock()
            queue.append(item)
            condition.broadcast()
            condition.unlock()
        }

        func producerFinished() {
            condition.lock()
            producerDone = true
            condition.broadcast()
            condition.unlock()
        }

        // Calling thread

        func take() -> Item {
            condition.lock()
            defer { condition.unlock() }
            while queue.isEmpty { condition.wait() }
            return queue.removeFirst()
        }

        func recycle(_ buffer: Buffer) {
            condition.lock()
            free.append(buffer)
            condition.broadcast()
            condition.unlock()
        }

        func cancel() {
            condition.lock()
            isCancelled = true
            condition.broadcast()
            condition.unlock()
        }

        func waitForProducer() {
            condition.lock()
            while !producerDone { condition.wait() }
            condition.unlock()
        }
    }
}
