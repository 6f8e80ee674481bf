import Crypto
import Foundation
import PubMedGzip
import PubMedSupport

/// What one pass over a PubMed file found.
public struct ArticleFileSummary: Codable, Sendable, Equatable {
    /// All records: `articles + books`.
    public var records: Int
    /// `PubmedArticle` records.
    public var articles: Int
    /// `PubmedBookArticle` records.
    public var books: Int
    /// PMIDs in the `DeleteCitation` block.
    public var deletions: Int
    /// Decompressed XML bytes.
    public var bytes: Int
    /// Bytes of the file itself (equal to `bytes` for a plain `.xml` file).
    public var compressedBytes: Int
    /// MD5 of the file's bytes, when the reader was asked to hash them.
    public var md5: String?

    public init(records: Int, articles: Int, books: Int, deletions: Int, bytes: Int, compressedBytes: Int, md5: String? = nil) {
        self.records = records
        self.articles = articles
        self.books = books
        self.deletions = deletions
        self.bytes = bytes
        self.compressedBytes = compressedBytes
        self.md5 = md5
    }
}

/// What a PubMed file yields, in file order, for a reader that stores records (the index).
public enum FileItem: Sendable {
    case record(PubMedRecord, xml: RecordXML)
    case deletion(pmid: Int, version: Int)
    /// Pieces of the file's own compressed stream, which hold the records' XML.
    case chunks([CompressedChunk])
}

/// A record's original XML: its bytes, or where they are in the file's uncompressed stream when
/// the stream itself is kept (as the `chunks` of the file's gzip).
public enum RecordXML: Sendable {
    case bytes([UInt8])
    case inStream(Range<Int>)
}

/// Reading a whole PubMed file from disk.
public enum ArticleFile {
    /// The size of the reads from disk.
    static let readSize = 1 << 20

    /// Decompresses (when it starts with the gzip magic bytes) and parses the file at `url`,
    /// calling `handler` with each record and deletion in file order, on the calling thread.
    /// Blocking: call it from a thread of its own, not from the cooperative pool. Decompression
    /// runs on a second, short-lived thread (see `InflatingReader`).
    ///
    /// A file whose name ends in `.gz` must be gzip. When the file is damaged, the items before
    /// the damage have been handed to `handler` before the error is thrown; for a truncated gzip
    /// file the error is the gzip one (kind `.truncated`, "ends early at byte N"), not the XML one.
    @discardableResult
    public static func read(_ url: URL, handler: (ArticleFileItem) throws -> Void) throws(RecordError) -> ArticleFileSummary {
        try withoutActuallyEscaping(handler) { (handler) throws(RecordError) -> ArticleFileSummary in
            try read(url, keepingStream: false, hashing: false) { item in
                switch item {
                case .record(let record, .bytes(let xml)): try handler(.record(record, xml: xml))
                case .record(_, .inStream): break  // not asked for
                case .deletion(let pmid, let version): try handler(.deletion(pmid: pmid, version: version))
                case .chunks: break
                }
            }
        }
    }

    /// Whether the file starts with gzip's magic bytes; a file named `.gz` must.
    public static func isGzip(_ url: URL) throws(RecordError) -> Bool {
        let name = url.lastPathComponent
        let magic: [UInt8]
        do throws(FileSystemError) { magic = try FileChunks.prefix(url, count: 2) } catch { throw RecordError(GzipError(file: name, error)) }
        let isGzip = magic == [0x1f, 0x8b]
        if !isGzip && name.lowercased().hasSuffix(".gz") {
            let message = magic.isEmpty ? "the file is empty, not a gzip file" : "not a gzip file"
            throw RecordError(kind: .notGzip, file: name, byteOffset: 0, message: message)
        }
        return isGzip
    }

    /// As `read(_:handler:)`; with `keepingStream` (a gzip file only), the file's stream is also
    /// cut into `CompressedChunk`s, handed over as they are completed (`FileItem.chunks`), and each
    /// record comes with its place in the stream instead of a copy of its bytes. With `hashing`,
    /// the summary has the MD5 of the file's bytes, computed as they are read.
    @discardableResult
    public static func read(_ url: URL, keepingStream: Bool, hashing: Bool,
                            handler: (FileItem) throws -> Void) throws(RecordError) -> ArticleFileSummary {
        let name = url.lastPathComponent
        let isGzip = try isGzip(url)
        return try withoutActuallyEscaping(handler) { (handler) throws(RecordError) -> ArticleFileSummary in
            let parser = ArticleFileParser(fileName: name, locatedHandler: { item, location in
                switch (item, location) {
                case (.record(let record, _), let location?) where keepingStream:
                    try handler(.record(record, xml: .inStream(location)))
                case (.record(let record, let xml), _): try handler(.record(record, xml: .bytes(xml)))
                case (.deletion(let pmid, let version), _): try handler(.deletion(pmid: pmid, version: version))
                }
            })
            let end: InflatingReader.End
            if isGzip {
                end = try readGzip(url, keepingStream: keepingStream, hashing: hashing, parser: parser, handler: handler)
            } else {
                end = try readPlain(url, hashing: hashing, parser: parser)
            }
            try parser.finish()
            return ArticleFileSummary(records: parser.articleCount + parser.bookCount, articles: parser.articleCount,
                                      books: parser.bookCount, deletions: parser.deletionCount,
                                      bytes: parser.bytesRead, compressedBytes: end.fileSize, md5: end.md5)
        }
    }

    /// Decompression, and the search for each record's bytes, run on a thread of their own a few
    /// buffers ahead of the XML parser. A truncated file ends with the gzip error, before the
    /// parser's own check: "the gzip stream ends early" says more than "premature end of data".
    private static func readGzip(_ url: URL, keepingStream: Bool, hashing: Bool, parser: ArticleFileParser,
                                 handler: (FileItem) throws -> Void) throws(RecordError) -> InflatingReader.End {
        // The scanner moves to the reading thread, which alone uses it.
        var scanner = RecordBoundaryScanner()
        scanner.copiesBytes = !keepingStream
        return try InflatingReader.read(url, readSize: readSize, cutting: keepingStream, hashing: hashing, ahead: { bytes in
            scanner.scan(bytes)
            return scanner.takeRecords()
        }, mapError: RecordError.init) { (bytes, records, chunks) throws(RecordError) in
            try parser.feed(bytes, foundRecords: records)
            guard !chunks.isEmpty else { return }
            do { try handler(.chunks(chunks)) } catch {
                throw RecordError(kind: .handler, file: url.lastPathComponent, byteOffset: parser.bytesRead,
                                  message: "processing the records failed: \(error)", underlying: error)
            }
        }
    }

    private static func readPlain(_ url: URL, hashing: Bool, parser: ArticleFileParser) throws(RecordError) -> InflatingReader.End {
        let name = url.lastPathComponent
        var md5 = hashing ? Insecure.MD5() : nil
        let size = try FileChunks.read(url, chunkSize: readSize, mapError: { RecordError(GzipError(file: name, $0)) }) { (chunk) throws(RecordError) in
            md5?.update(bufferPointer: chunk)
            try parser.feed(chunk)
        }
        return InflatingReader.End(fileSize: Int(size), md5: md5.map { $0.finalize().hex })
    }
}
