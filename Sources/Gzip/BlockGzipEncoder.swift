internal import CZlib
import Dispatch
import Foundation

/// One gzip member (a plain `.gz` file for any reader) compressed on several cores, as pigz does:
/// the input is cut into 1 MiB blocks, each deflated on its own, primed with the 32 KiB before it
/// (`deflateSetDictionary`) so that the ratio is the whole stream's, and ended byte-aligned
/// (`Z_SYNC_FLUSH`), so that the blocks' outputs, one after another, are a single deflate stream;
/// an empty final block, the CRC-32 (combined from the blocks') and the length close it. The header
/// has no name and a time of 0: the same input gives the same bytes, whatever the thread count.
/// Not `Sendable`: one per file, used by one thread (its blocks are compressed on others).
package final class BlockGzipEncoder {
    package static let blockSize = 1 << 20
    private static let window = 32 << 10

    private let level: Int32
    private let threads: Int
    /// Input not yet a whole block.
    private var pending: [UInt8] = []
    /// Whole blocks waiting to be compressed together.
    private var blocks: [[UInt8]] = []
    /// The last 32 KiB before the first waiting block: its dictionary.
    private var dictionary: [UInt8] = []
    private var crc: uLong = crc32(0, nil, 0)
    private var length: UInt64 = 0
    private var started = false

    /// `level`: zlib's 1 to 9; `threads`: how many blocks make a batch (twice this many), each
    /// batch compressed with `concurrentPerform`, which spreads it over the cores. The output does
    /// not depend on it.
    package init(level: Int32 = 6, threads: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.level = level
        self.threads = max(1, threads)
        pending.reserveCapacity(Self.blockSize)
    }

    /// Takes more input; returns the compressed bytes ready (often none: blocks are compressed a
    /// batch at a time).
    package func encode(_ bytes: [UInt8]) -> [UInt8] {
        var output = header()
        var start = 0
        while start < bytes.count {
            let take = min(Self.blockSize - pending.count, bytes.count - start)
            pending.append(contentsOf: bytes[start..<start + take])
            start += take
            if pending.count == Self.blockSize {
                blocks.append(pending)
                pending = []
                pending.reserveCapacity(Self.blockSize)
                if blocks.count == threads * 2 { output += compressBlocks() }
            }
        }
        return output
    }

    /// The rest, the final block and the trailer.
    package func finish() -> [UInt8] {
        var output = header()
        if !pending.isEmpty {
            blocks.append(pending)
            pending = []
        }
        output += compressBlocks()
        output += Self.deflate([], dictionary: [], level: level, final: true)
        for value in [UInt32(truncatingIfNeeded: crc), UInt32(truncatingIfNeeded: length)] {
            withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
        }
        return output
    }

    /// The 10-byte gzip header, once: deflate, no flags, time 0, no extra flags, Unix.
    private func header() -> [UInt8] {
        guard !started else { return [] }
        started = true
        return [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
    }

    /// The waiting blocks, compressed at once (one a thread), in order.
    private func compressBlocks() -> [UInt8] {
        guard !blocks.isEmpty else { return [] }
        let inputs = blocks
        let dictionaries = [dictionary] + inputs.dropLast().map { Array($0.suffix(Self.window)) }
        let results = UnsafeMutableBufferPointer<(bytes: [UInt8], crc: uLong)>.allocate(capacity: inputs.count)
        results.initialize(repeating: ([], 0))
        defer { results.deinitialize(); results.deallocate() }
        let level = self.level
        let slots = UncheckedSendable(results)
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            let block = inputs[index]
            let sum = block.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
            slots.value[index] = (Self.deflate(block, dictionary: dictionaries[index], level: level, final: false), sum)
        }
        var output: [UInt8] = []
        for index in inputs.indices {
            output += results[index].bytes
            crc = crc32_combine(crc, results[index].crc, off_t(inputs[index].count))
            length += UInt64(inputs[index].count)
        }
        dictionary = Array(inputs[inputs.count - 1].suffix(Self.window))
        blocks.removeAll()
        return output
    }

    /// Raw deflate of one block: primed with `dictionary`, ended by a sync flush (or, `final`, as
    /// the stream's last block).
    private static func deflate(_ block: [UInt8], dictionary: [UInt8], level: Int32, final: Bool) -> [UInt8] {
        let zlib = ZlibDeflater(level: level, windowBits: -15)
        let stream = zlib.stream
        if !dictionary.isEmpty {
            let status = dictionary.withUnsafeBufferPointer { deflateSetDictionary(stream, $0.baseAddress, uInt($0.count)) }
            precondition(status == Z_OK, "deflateSetDictionary failed: \(status)")
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(block.count))) + 64)
        let produced = block.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.pointee.avail_in = uInt(input.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                let status = CZlib.deflate(stream, final ? Z_FINISH : Z_SYNC_FLUSH)
                // The buffer is deflateBound's size and more: one call always finishes.
                precondition(status == (final ? Z_STREAM_END : Z_OK), "deflate failed: \(status)")
                return out.count - Int(stream.pointee.avail_out)
            }
        }
        return Array(output[0..<produced])
    }
}

/// A value handed to `concurrentPerform`'s iterations, which each touch their own slot only.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
