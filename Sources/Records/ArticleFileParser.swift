/// One thing found in a PubMed file, in file order.
public enum ArticleFileItem: Sendable, Equatable {
    /// A `PubmedArticle` or `PubmedBookArticle`, with its original bytes exactly as in the file,
    /// from `<PubmedArticle` through `</PubmedArticle>`.
    case record(PubMedRecord, xml: [UInt8])
    /// One `PMID` of the file's `DeleteCitation` block (`Version` 1 when absent).
    case deletion(pmid: Int, version: Int)
}

/// Parses the decompressed XML of one PubMed file (`PubmedArticleSet`) as it arrives, calling the
/// handler with each record and deletion as soon as it is complete.
///
/// Feed it chunks of any size (1 byte works; 64 KiB to 1 MiB is efficient), then call `finish()`,
/// which checks that the document was complete. Memory stays flat whatever the file size: one
/// record's bytes, one chunk and libxml2's own buffers.
///
/// Errors: the first error stops the parse and is thrown again by every later call. Items
/// completed before the error have already been handed to the handler, so a truncated file
/// delivers the records before the cut and then fails. An error thrown by the handler stops the
/// parse and comes back as a `RecordError` of kind `.handler` with the error as `underlying`.
///
/// Not `Sendable`: one parser per file, used from one thread at a time. The handler is called on
/// the thread that calls `feed`/`finish`.
public final class ArticleFileParser {
    /// The largest piece handed to libxml2 at once: bounds the records waiting in memory.
    private static let pieceSize = 64 * 1024

    private let fileName: String
    /// Called with each item and, for a record, where its bytes are in the stream.
    private let handler: (ArticleFileItem, Range<Int>?) throws -> Void
    private let xml: XMLPushParser?
    private var scanner = RecordBoundaryScanner()
    /// Records whose bytes were found by the caller (`feed(_:foundRecords:)`), not yet paired.
    private var foundRecords: [RawRecord] = []
    private var foundHead = 0
    private var scansItself = true
    private var failure: RecordError?
    private var finished = false

    /// Decompressed bytes fed so far.
    public private(set) var bytesRead = 0
    public private(set) var articleCount = 0
    public private(set) var bookCount = 0
    public private(set) var deletionCount = 0

    /// `fileName` names the file in errors (its last path component is enough).
    public convenience init(fileName: String, handler: @escaping (ArticleFileItem) throws -> Void) {
        self.init(fileName: fileName, locatedHandler: { item, _ in try handler(item) })
    }

    /// A parser whose handler also learns where each record's bytes are in the stream. (The bytes
    /// themselves may be left empty by the scanner of the caller that feeds the parser.)
    init(fileName: String, locatedHandler: @escaping (ArticleFileItem, Range<Int>?) throws -> Void) {
        self.fileName = fileName
        self.handler = locatedHandler
        do {
            xml = try XMLPushParser(fileName: fileName)
        } catch {
            xml = nil
            failure = error
        }
    }

    /// Parses the next bytes of the file.
    public func feed(_ bytes: UnsafeRawBufferPointer) throws(RecordError) {
        try feed(bytes, scanning: true)
    }

    /// Parses the next bytes of the file, whose records' own bytes the caller has already found
    /// with a `RecordBoundaryScanner` of its own (on another thread): `records` are those that
    /// end within `bytes`. A parser is fed this way or the other, not both.
    func feed(_ bytes: UnsafeRawBufferPointer, foundRecords records: [RawRecord]) throws(RecordError) {
        scansItself = false
        if foundHead > 0 {
            foundRecords.removeFirst(foundHead)
            foundHead = 0
        }
        foundRecords += records
        try feed(bytes, scanning: false)
    }

    private func feed(_ bytes: UnsafeRawBufferPointer, scanning: Bool) throws(RecordError) {
        if let failure { throw failure }
        guard let xml, !finished else {
            throw fail(RecordError(kind: .xml, file: fileName, message: "bytes were fed after the end of the document"))
        }
        var offset = 0
        while offset < bytes.count {
            let count = min(Self.pieceSize, bytes.count - offset)
            let piece = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
            offset += count
            // The scanner reads each piece before libxml2 does, so a record's bytes are always
            // ready by the time libxml2 reports its end.
            if scanning { scanner.scan(piece) }
            bytesRead += count
            let error = xml.parse(piece, terminate: false)
            try deliver()
            if let error { throw fail(located(error)) }
        }
    }

    /// Ends the document: throws if it was incomplete or not well-formed.
    public func finish() throws(RecordError) {
        if let failure { throw failure }
        guard let xml, !finished else { return }
        finished = true
        guard bytesRead > 0 else {
            throw fail(RecordError(kind: .notPubMed, file: fileName, byteOffset: 0, message: "the file is empty (no XML document)"))
        }
        let error = xml.parse(UnsafeRawBufferPointer(start: nil, count: 0), terminate: true)
        try deliver()
        if let error { throw fail(located(error)) }
        guard xml.assembler.sawRoot else {
            throw fail(RecordError(kind: .notPubMed, file: fileName, message: "not a PubMed file: no PubmedArticleSet element"))
        }
        if scanner.pendingCount > 0 || scanner.isInsideRecord || foundHead < foundRecords.count {
            throw fail(mismatch("the raw bytes hold more records than the XML parser reported"))
        }
    }

    // MARK: - Private

    /// Hands the items libxml2 completed to the handler, each record with its bytes.
    private func deliver() throws(RecordError) {
        guard let assembler = xml?.assembler, !assembler.items.isEmpty else { return }
        defer { assembler.items.removeAll(keepingCapacity: true) }
        for index in assembler.items.indices {
            // Moved out of the list rather than copied.
            var item = RecordAssembler.Item.deletion(pmid: 0, version: 0)
            swap(&item, &assembler.items[index])
            let delivered: ArticleFileItem
            var location: Range<Int>?
            switch item {
            case .record(let record):
                guard let raw = takeRawRecord() else {
                    throw fail(mismatch("no raw bytes were found for PMID \(record.pmid)"))
                }
                guard (raw.kind == .book) == (record.kind == .book) else {
                    throw fail(mismatch("the raw bytes found for PMID \(record.pmid) are of another kind of record"))
                }
                if record.kind == .book { bookCount += 1 } else { articleCount += 1 }
                delivered = .record(record, xml: raw.bytes)
                location = raw.offset..<raw.offset + raw.length
            case .deletion(let pmid, let version):
                deletionCount += 1
                delivered = .deletion(pmid: pmid, version: version)
            }
            do {
                try handler(delivered, location)
            } catch {
                throw fail(RecordError(kind: .handler, file: fileName, byteOffset: bytesRead,
                                       message: "processing the records failed: \(error)", underlying: error))
            }
        }
    }

    private func takeRawRecord() -> RawRecord? {
        if scansItself { return scanner.takeRecord() }
        guard foundHead < foundRecords.count else { return nil }
        let record = foundRecords[foundHead]
        foundRecords[foundHead].bytes = []
        foundHead += 1
        return record
    }

    private func located(_ error: RecordError) -> RecordError {
        var error = error
        if error.byteOffset == nil { error.byteOffset = bytesRead }
        return error
    }

    private func mismatch(_ detail: String) -> RecordError {
        RecordError(kind: .invalidRecord, file: fileName, byteOffset: bytesRead,
                    message: "could not find each record's own bytes: \(detail) (markup the scanner does not expect?)")
    }

    private func fail(_ error: RecordError) -> RecordError {
        if failure == nil { failure = error }
        return failure ?? error
    }
}
