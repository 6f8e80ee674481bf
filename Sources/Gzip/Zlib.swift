internal import CZlib

/// One zlib inflate state: a `z_stream` at a stable address (zlib keeps pointers into it), freed in
/// `deinit`. Every decompressor here owns one (gzip files, a chunk of a stream, a zlib block),
/// configured by its window bits. Not `Sendable`: one owner, one thread at a time.
/// https://zlib.net/manual.html (`inflateInit2`, `inflateReset`, `inflateEnd`)
final class ZlibInflater {
    /// 15 + 32: the largest window, gzip or zlib header detected.
    static let gzipOrZlib: Int32 = 15 + 32
    /// 15: a zlib stream (RFC 1950).
    static let zlib: Int32 = 15
    /// -15: raw deflate, no header (a chunk that starts mid-stream).
    static let raw: Int32 = -15

    let stream: UnsafeMutablePointer<z_stream>

    /// nil only when zlib cannot start (out of memory); `status` says why.
    init?(windowBits: Int32, status: inout Int32) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // `inflateInit2` is a macro Swift cannot import: call the function behind it.
        status = inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
    }

    /// For callers that cannot go on without it: zlib fails to start only for lack of memory.
    convenience init(windowBits: Int32) {
        var status = Z_OK
        // Only fails for lack of memory, which nothing here can handle.
        self.init(windowBits: windowBits, status: &status)!
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Starts a new stream with the same settings, keeping the allocated window.
    @discardableResult
    func reset() -> Int32 { inflateReset(stream) }
}

/// One zlib deflate state, as `ZlibInflater` is for inflating. https://zlib.net/manual.html
/// (`deflateInit2`, `deflateReset`, `deflateEnd`)
final class ZlibDeflater {
    let stream: UnsafeMutablePointer<z_stream>

    /// Level 1: on PubMed records within 10 % of level 6's size, and about twice as fast.
    init(level: Int32 = 1, windowBits: Int32 = ZlibInflater.zlib) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                   Int32(MemoryLayout<z_stream>.size))
        // Only fails for lack of memory or a bad level; neither can be handled here.
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Starts a new stream with the same settings, keeping the allocated tables.
    func reset() { deflateReset(stream) }
}
