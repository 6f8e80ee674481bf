internal import CZlib
import Foundation
import PubMedSupport

/// Streams the decompressed bytes of a gzip file, any number of members long, without ever holding
/// more than one output chunk (256 KiB) in memory.
///
/// Owns one zlib inflate state (`ZlibInflater`). Not `Sendable`: use an instance from one thread at
/// a time.
///
/// zlib manual: https://zlib.net/manual.html (`inflateInit2`, `inflate`, `inflateReset`).
public final class GzipInflater {
    /// The largest chunk handed to the output closure.
    public static let outputChunkSize = 256 * 1024

    private let fileName: String
    private let zlib: ZlibInflater
    private var stream: UnsafeMutablePointer<z_stream> { zlib.stream }
    private let output: UnsafeMutableRawPointer
    /// Compressed bytes taken by zlib so far, over all members.
    private var consumed = 0
    /// Compressed bytes given to `inflate(_:_:)` so far (checked against the gzip magic number).
    private var received = 0
    /// The last member was complete (its trailer checked); more input starts a new member.
    private var memberEnded = false
    private var failure: GzipError?
    /// Cuts the stream into `CompressedChunk`s as it goes, when set.
    let recorder: AccessPointRecorder?
    /// The window at an access point, filled by `inflateGetDictionary`.
    private var window: [UInt8] = []

    /// The number of compressed bytes read so far.
    public var compressedBytesRead: Int { consumed }

    public convenience init(fileName: String) throws(GzipError) {
        try self.init(fileName: fileName, recorder: nil)
    }

    /// With a `recorder`, the stream is also cut into `CompressedChunk`s (zlib then stops at every
    /// deflate block boundary, which costs about 7 % more time).
    package init(fileName: String, recorder: AccessPointRecorder?) throws(GzipError) {
        self.fileName = fileName
        self.recorder = recorder
        var status = Z_OK
        // The largest window, with automatic detection of the gzip header.
        guard let zlib = ZlibInflater(windowBits: ZlibInflater.gzipOrZlib, status: &status) else {
            throw GzipError(kind: .data, file: fileName, message: "zlib could not start (inflateInit2 returned \(status))")
        }
        self.zlib = zlib
        output = .allocate(byteCount: Self.outputChunkSize, alignment: 16)
    }

    deinit {
        output.deallocate()
    }

    /// Decompresses `input`, the next bytes of the file, calling `output` with each decompressed
    /// chunk (at most `outputChunkSize` bytes, valid only during the call). Once an error has been
    /// thrown, by zlib or by `output`, every later call throws it again.
    public func inflate(_ input: UnsafeRawBufferPointer,
                        _ output: (UnsafeRawBufferPointer) throws(GzipError) -> Void) throws(GzipError) {
        if let failure { throw failure }
        guard let base = input.baseAddress, !input.isEmpty else { return }
        do {
            try checkMagic(input)
            try run(base, input.count, output)
        } catch {
            failure = error
            throw error
        }
    }

    /// Says whether the input ended cleanly at the end of a gzip member: throws when it stopped
    /// in the middle of one (a truncated download) or when there was no input at all.
    public func finish() throws(GzipError) {
        if let failure { throw failure }
        guard received > 0 else {
            throw GzipError(kind: .notGzip, file: fileName, byteOffset: 0, message: "the file is empty, not a gzip file")
        }
        guard memberEnded else {
            throw GzipError(kind: .truncated, file: fileName, byteOffset: received,
                            message: "the gzip stream ends early at byte \(received) (truncated download?)")
        }
        recorder?.finish()
    }

    /// Reads and decompresses the whole file at `url`, `chunkSize` compressed bytes at a time, and
    /// checks that it ends cleanly.
    public static func readFile(_ url: URL, chunkSize: Int = 1 << 20,
                                _ output: (UnsafeRawBufferPointer) throws(GzipError) -> Void) throws(GzipError) {
        let name = url.lastPathComponent
        let inflater = try GzipInflater(fileName: name)
        try FileChunks.read(url, chunkSize: chunkSize, mapError: { GzipError(file: name, $0) }) { (chunk) throws(GzipError) in
            try inflater.inflate(chunk, output)
        }
        try inflater.finish()
    }

    // MARK: - Private

    /// The first two bytes of a gzip file are 1f 8b. Checked here rather than left to zlib, which
    /// would also accept a zlib stream and would only say "incorrect header check".
    private func checkMagic(_ input: UnsafeRawBufferPointer) throws(GzipError) {
        var index = 0
        while received + index < 2 && index < input.count {
            let expected: UInt8 = received + index == 0 ? 0x1f : 0x8b
            if input[index] != expected {
                throw GzipError(kind: .notGzip, file: fileName, byteOffset: 0, message: "not a gzip file")
            }
            index += 1
        }
        received += input.count
    }

    private func run(_ base: UnsafeRawPointer, _ count: Int,
                     _ emit: (UnsafeRawBufferPointer) throws(GzipError) -> Void) throws(GzipError) {
        // zlib's `next_in` is not const, but zlib never writes through it.
        stream.pointee.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
        }
        repeat {
            if memberEnded {
                // Another gzip member follows the one that ended (`gzip` itself writes these when
                // files are concatenated).
                guard stream.pointee.avail_in > 0 else { return }
                zlib.reset()
                memberEnded = false
            }
            stream.pointee.next_out = output.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(Self.outputChunkSize)
            let availableBefore = Int(stream.pointee.avail_in)
            let inputBefore = stream.pointee.next_in
            let status = CZlib.inflate(stream, recorder == nil ? Z_NO_FLUSH : Z_BLOCK)
            let used = availableBefore - Int(stream.pointee.avail_in)
            consumed += used
            let produced = Self.outputChunkSize - Int(stream.pointee.avail_out)
            if let recorder {
                recorder.consumed(UnsafeRawBufferPointer(start: inputBefore, count: used))
                recorder.produced(produced)
                // Bit 7: stopped at a block boundary (or just after the gzip header); bit 6: in the
                // last block, which has no boundary after it; bits 0-2: unused bits of the last byte.
                let type = stream.pointee.data_type
                if status == Z_OK, type & 128 != 0, type & 64 == 0 {
                    let memberStart = stream.pointee.total_out == 0
                    if recorder.wants(memberStart: memberStart) {
                        recorder.point(bits: Int(type & 7), window: memberStart ? [] : currentWindow())
                    }
                }
            }
            if produced > 0 { try emit(UnsafeRawBufferPointer(start: output, count: produced)) }
            switch status {
            case Z_OK:
                break
            case Z_STREAM_END:
                memberEnded = true
            case Z_BUF_ERROR:
                // No progress was possible: all input used and output not full. Wait for more input.
                if stream.pointee.avail_out != 0 { return }
            default:
                throw dataError(status)
            }
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
    }

    /// The last (up to) 32 KiB of output of the current member: what a back-reference may reach.
    private func currentWindow() -> [UInt8] {
        if window.count < CompressedChunk.windowSize { window = [UInt8](repeating: 0, count: CompressedChunk.windowSize) }
        var length: uInt = 0
        let status = window.withUnsafeMutableBufferPointer { inflateGetDictionary(stream, $0.baseAddress, &length) }
        // Only fails for a stream that is not inflating, which this one is.
        precondition(status == Z_OK, "inflateGetDictionary failed: \(status)")
        return Array(window[0..<Int(length)])
    }

    private func dataError(_ status: Int32) -> GzipError {
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? Self.describe(status)
        if status == Z_DATA_ERROR || status == Z_NEED_DICT {
            return GzipError(kind: .data, file: fileName, byteOffset: consumed,
                             message: "gzip data error at byte \(consumed): \(detail)")
        }
        return GzipError(kind: .data, file: fileName, byteOffset: consumed, message: "zlib failed at byte \(consumed): \(detail)")
    }

    private static func describe(_ status: Int32) -> String {
        switch status {
        case Z_NEED_DICT: "a preset dictionary is needed"
        case Z_DATA_ERROR: "invalid compressed data"
        case Z_MEM_ERROR: "out of memory"
        case Z_STREAM_ERROR: "inconsistent stream state"
        default: "zlib status \(status)"
        }
    }
}
