import Crypto
import Foundation
import PubMedSupport

/// Reads and decompresses a gzip file on a thread of its own, a few buffers ahead of the caller,
/// so that decompression (about a third of the work of parsing a PubMed file) overlaps with what
/// the caller does with the bytes. An `ahead` step also runs on that thread, on each buffer in
/// order, and its result travels with the buffer.
///
/// Memory is bounded: `bufferCount` buffers of `bufferSize` bytes go round between the two threads
/// through two `BlockingChannel`s (filled ones one way, empty ones back); when the caller falls
/// behind, the reading thread waits. The caller's closure runs on the caller's thread, in file
/// order. The reading thread has ended when `read` returns, whether it succeeds or throws.
package enum InflatingReader {
    static let bufferSize = 256 * 1024
    static let bufferCount = 4

    /// What the reading thread knew at the end of the file.
    package struct End: Sendable {
        /// Bytes of the compressed file.
        package var fileSize: Int
        /// MD5 of the compressed file, when asked for.
        package var md5: String?

        package init(fileSize: Int, md5: String?) {
            self.fileSize = fileSize
            self.md5 = md5
        }
    }

    /// Calls `body` with the decompressed bytes of the file, in order, each time with what `ahead`
    /// returned for those bytes and, when `cutting`, the `CompressedChunk`s of the file's stream
    /// completed since the last call (the last ones with the last bytes, which may then be none).
    /// `ahead` is handed over to the reading thread (`sending`: it may keep state of its own).
    ///
    /// Errors: the gzip errors of `GzipInflater`, as `mapError` makes them, after every byte before
    /// the damage has been handed over; whatever `body` throws (the reading thread is stopped).
    @discardableResult
    package static func read<Found: Sendable, E: Error>(
        _ url: URL, readSize: Int = 1 << 20, cutting: Bool = false, hashing: Bool = false,
        ahead: sending @escaping (UnsafeRawBufferPointer) -> Found, mapError: (GzipError) -> E,
        _ body: (UnsafeRawBufferPointer, Found, [CompressedChunk]) throws(E) -> Void
    ) throws(E) -> End {
        let filled = BlockingChannel<Piece<Found>, GzipError>(capacity: bufferCount)
        let empty = BlockingChannel<[UInt8], Never>(capacity: bufferCount)
        for _ in 0..<bufferCount { _ = empty.send([UInt8](repeating: 0, count: bufferSize)) }
        let done = OneShot<Bool>()
        let producer = Producer(url: url, readSize: readSize, cutting: cutting, hashing: hashing, filled: filled, empty: empty)
        BlockingThreads.start("gunzip \(url.lastPathComponent)") {
            producer.run(ahead: ahead)
            done.finish(true)
        }
        // Stops the reading thread, however this ends, and waits for it.
        defer {
            filled.cancel()
            empty.cancel()
            _ = done.wait()
        }
        while true {
            var piece: Piece<Found>
            do throws(GzipError) {
                // Only a cancelled channel ends without an end piece, and only this side cancels it.
                guard let received = try filled.receive() else { preconditionFailure("the gunzip thread stopped without saying why") }
                piece = received
            } catch { throw mapError(error) }
            if let end = piece.end { return end }
            let count = piece.count
            let delivered = piece.buffer.withUnsafeBytes { bytes in
                // `found` is set on every piece that has no `end`.
                Result { () throws(E) in try body(UnsafeRawBufferPointer(rebasing: bytes[0..<count]), piece.found!, piece.chunks) }
            }
            try delivered.get()
            // Back to the reading thread, uniquely referenced, so that refilling it copies nothing.
            var buffer: [UInt8] = []
            swap(&buffer, &piece.buffer)
            _ = empty.send(consume buffer)
        }
    }

    /// Calls `body` with the decompressed bytes of the file, in order, and returns the file's size.
    @discardableResult
    package static func read(_ url: URL, readSize: Int = 1 << 20,
                             _ body: (UnsafeRawBufferPointer) throws(GzipError) -> Void) throws(GzipError) -> Int {
        try read(url, readSize: readSize, ahead: { _ in () }, mapError: { $0 }) { (bytes, _, _) throws(GzipError) in
            try body(bytes)
        }.fileSize
    }

    /// A buffer the reading thread hands over (its first `count` bytes, what `ahead` found in them
    /// and the chunks completed meanwhile), or the end of the file.
    struct Piece<Found: Sendable>: Sendable {
        var buffer: [UInt8] = []
        var count = 0
        var found: Found?
        var chunks: [CompressedChunk] = []
        var end: End?
    }

    /// The reading thread's work: fills buffers and hands them over, then says how it ended.
    /// Used by that thread only.
    private final class Producer<Found: Sendable>: Sendable {
        let url: URL
        let readSize: Int
        let cutting: Bool
        let hashing: Bool
        let filled: BlockingChannel<Piece<Found>, GzipError>
        let empty: BlockingChannel<[UInt8], Never>

        init(url: URL, readSize: Int, cutting: Bool, hashing: Bool, filled: BlockingChannel<Piece<Found>, GzipError>,
             empty: BlockingChannel<[UInt8], Never>) {
            self.url = url
            self.readSize = readSize
            self.cutting = cutting
            self.hashing = hashing
            self.filled = filled
            self.empty = empty
        }

        func run(ahead: @escaping (UnsafeRawBufferPointer) -> Found) {
            let name = url.lastPathComponent
            let recorder = cutting ? AccessPointRecorder() : nil
            var md5 = hashing ? Insecure.MD5() : nil
            var buffers = Buffers(filled: filled, empty: empty, recorder: recorder, ahead: ahead, file: name)
            do throws(GzipError) {
                let inflater = try GzipInflater(fileName: name, recorder: recorder)
                let size = try FileChunks.read(url, chunkSize: readSize, mapError: { GzipError(file: name, $0) }) { (chunk) throws(GzipError) in
                    md5?.update(bufferPointer: chunk)
                    try inflater.inflate(chunk) { (output) throws(GzipError) in try buffers.append(output) }
                }
                try inflater.finish()
                // The last chunk was completed by `finish`: it goes with the last bytes (with no
                // bytes when those filled the previous buffer exactly).
                if buffers.current == nil, let recorder, recorder.hasFinished, !buffers.takeBuffer() { return }
                guard buffers.handOver() else { return }
                _ = filled.send(Piece(end: End(fileSize: Int(size), md5: md5.map { $0.finalize().hex })))
            } catch {
                if buffers.readerGone { return }
                // The bytes before the damage first, so that the caller sees everything readable.
                if buffers.hasBytes, !buffers.handOver() { return }
                filled.fail(error)
            }
        }
    }

    /// The reading thread's buffers: the one being filled and the channels they go round through.
    /// Owned by that thread.
    private struct Buffers<Found: Sendable> {
        let filled: BlockingChannel<Piece<Found>, GzipError>
        let empty: BlockingChannel<[UInt8], Never>
        let recorder: AccessPointRecorder?
        let ahead: (UnsafeRawBufferPointer) -> Found
        let file: String
        /// The buffer being filled, and how far.
        var current: [UInt8]?
        var count = 0
        /// Set when the reader has gone: the read loop is left with an error no one will see.
        var readerGone = false

        init(filled: BlockingChannel<Piece<Found>, GzipError>, empty: BlockingChannel<[UInt8], Never>,
             recorder: AccessPointRecorder?, ahead: @escaping (UnsafeRawBufferPointer) -> Found, file: String) {
            self.filled = filled
            self.empty = empty
            self.recorder = recorder
            self.ahead = ahead
            self.file = file
        }

        var hasBytes: Bool { current != nil && count > 0 }

        /// Copies decompressed bytes into buffers, handing each over as it fills.
        mutating func append(_ output: UnsafeRawBufferPointer) throws(GzipError) {
            var offset = 0
            while offset < output.count {
                if current == nil, !takeBuffer() { throw stop() }
                let length = min(output.count - offset, bufferSize - count)
                let start = count
                // `current` was set just above; `output` is not empty (offset < count).
                current!.withUnsafeMutableBytes { target in
                    (target.baseAddress! + start).copyMemory(from: output.baseAddress! + offset, byteCount: length)
                }
                offset += length
                count += length
                if count == bufferSize, !handOver() { throw stop() }
            }
        }

        /// The next empty buffer; false once the reader has gone.
        mutating func takeBuffer() -> Bool {
            guard let buffer = empty.receive() else { return false }
            current = buffer
            count = 0
            return true
        }

        /// Hands the buffer being filled over (if any), with what `ahead` finds in it and the
        /// chunks completed meanwhile; false once the reader has gone.
        mutating func handOver() -> Bool {
            guard let buffer = current.take() else { return true }
            let length = count
            let found = buffer.withUnsafeBytes { ahead(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
            return filled.send(Piece(buffer: consume buffer, count: length, found: found, chunks: recorder?.take() ?? []))
        }

        private mutating func stop() -> GzipError {
            readerGone = true
            return GzipError(kind: .io, file: file, message: "the reader stopped reading")
        }
    }
}
