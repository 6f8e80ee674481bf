import PubMedSupport

/// Parses records on worker threads, each worker with a libxml2 context of its own, so that the
/// parsing of one file, the longest step of reading it, is shared by the machine's cores.
///
/// The records' bytes were found beforehand by a `RecordBoundaryScanner`, which also knows the
/// line each starts on. Records go in as batches (`submit`); a worker parses a batch as a document
/// of its own, the file's root around the records and their new lines between them, so that
/// libxml2 sees them as in the file and its messages give the file's lines. Each batch's records
/// come back through its `Batch.result`, which the owner waits for in the order it submitted
/// them: file order, whatever the workers' speed.
///
/// The workers end when the pool is closed (`close`, also on `deinit`), after the batches already
/// submitted. Used by one owner thread; the workers share only the channel and the results.
final class RecordParserPool {
    /// Records to parse, and where their result goes.
    final class Batch: Sendable {
        let records: [RawRecord]
        let settings: XMLPushParser.DocumentSettings
        let result = OneShot<Outcome>()

        init(records: [RawRecord], settings: XMLPushParser.DocumentSettings) {
            self.records = records
            self.settings = settings
        }
    }

    /// What a worker made of a batch: its records, in order, up to the first that failed.
    struct Outcome: Sendable {
        var records: [PubMedRecord] = []
        /// The first failure, at `records.count` in the batch; nothing after it was parsed.
        var failure: RecordError?

        func failing(_ error: RecordError) -> Outcome {
            var outcome = self
            outcome.failure = error
            return outcome
        }
    }

    private let batches: BlockingChannel<Batch, Never>

    /// `workers` threads (at least one) for the file `fileName` (used in messages and thread names).
    init(fileName: String, workers: Int) {
        let batches = BlockingChannel<Batch, Never>(capacity: max(1, workers) * 2)
        self.batches = batches
        for index in 0..<max(1, workers) {
            Self.startWorker(index, on: batches, file: fileName)
        }
    }

    deinit {
        batches.cancel()
    }

    /// Queues a batch for the next free worker; waits while the workers are two batches each behind.
    func submit(_ batch: Batch) {
        _ = batches.send(batch)
    }

    /// Ends the workers once the batches submitted are parsed.
    func close() {
        batches.finish()
    }

    /// Drops the batches not yet started and ends the workers (those running finish their batch).
    func cancel() {
        batches.cancel()
    }

    // MARK: - Private

    private static func startWorker(_ index: Int, on batches: BlockingChannel<Batch, Never>, file: String) {
        BlockingThreads.start("parse \(file) \(index)") { work(on: batches, file: file) }
    }

    /// A worker: its own parser, and batches until the channel ends.
    private static func work(on batches: BlockingChannel<Batch, Never>, file: String) {
        let parser: XMLPushParser
        do {
            parser = try XMLPushParser(fileName: file)
        } catch {
            while let batch = batches.receive() { batch.result.finish(Outcome(failure: error)) }
            return
        }
        while let batch = batches.receive() { batch.result.finish(parse(batch, with: parser, file: file)) }
    }

    private static let root = Array("<PubmedArticleSet>".utf8)
    private static let rootEnd = Array("</PubmedArticleSet>".utf8)
    private static let newlines = [UInt8](repeating: 0x0A, count: 4096)

    private static func parse(_ batch: Batch, with parser: XMLPushParser, file: String) -> Outcome {
        var outcome = Outcome()
        guard let first = batch.records.first else { return outcome }
        outcome.records.reserveCapacity(batch.records.count)
        if let error = parser.startDocument(atLine: first.firstLine, settings: batch.settings) {
            outcome.failure = located(error, first)
            return outcome
        }
        var error = parse(root, count: root.count, with: parser)
        var line = first.firstLine
        for raw in batch.records where error == nil {
            // The new lines between the records (the bytes between them are white space, or the
            // scanner would have cut no records there: the parser of the rest of the file checks).
            var gap = raw.firstLine - line
            while gap > 0 && error == nil {
                error = parse(newlines, count: min(gap, newlines.count), with: parser)
                gap -= newlines.count
            }
            if error == nil { error = parse(raw.bytes, count: raw.bytes.count, with: parser) }
            line = raw.firstLine + raw.newlines
            if let failure = take(parser, into: &outcome, batch: batch, file: file) { return outcome.failing(failure) }
            if let error { return outcome.failing(located(error, raw)) }
        }
        if error == nil { error = parse(rootEnd, count: rootEnd.count, with: parser, terminate: true) }
        if let failure = take(parser, into: &outcome, batch: batch, file: file) { return outcome.failing(failure) }
        // (`batch.records` is not empty.)
        if let error { return outcome.failing(located(error, batch.records.last!)) }
        if outcome.records.count < batch.records.count {
            return outcome.failing(mismatch(batch.records[outcome.records.count], file: file))
        }
        return outcome
    }

    private static func parse(_ bytes: [UInt8], count: Int, with parser: XMLPushParser, terminate: Bool = false) -> RecordError? {
        bytes.withUnsafeBytes { parser.parse(UnsafeRawBufferPointer(rebasing: $0[0..<count]), terminate: terminate) }
    }

    /// Moves the records libxml2 completed into the outcome, checking each against the scanner's:
    /// one record for each, of the kind its tag said. A mismatch is returned as the failure.
    private static func take(_ parser: XMLPushParser, into outcome: inout Outcome, batch: Batch, file: String) -> RecordError? {
        let assembler = parser.assembler
        guard !assembler.items.isEmpty else { return nil }
        defer { assembler.items.removeAll(keepingCapacity: true) }
        for item in assembler.items {
            let index = outcome.records.count
            guard index < batch.records.count, case .record(let record) = item,
                  (record.kind == .book) == (batch.records[index].kind == .book) else {
                return mismatch(batch.records[min(index, batch.records.count - 1)], file: file)
            }
            outcome.records.append(record)
        }
        return nil
    }

    private static func mismatch(_ raw: RawRecord, file: String) -> RecordError {
        RecordError(kind: .invalidRecord, file: file, line: raw.firstLine, byteOffset: raw.offset,
                    message: "could not find each record's own bytes: the XML parser and the scanner disagree about the record "
                        + "at line \(raw.firstLine) (markup the scanner does not expect?)")
    }

    /// A record's error, placed at the record's end in the stream when libxml2 did not say where.
    private static func located(_ error: RecordError, _ raw: RawRecord) -> RecordError {
        var error = error
        if error.byteOffset == nil { error.byteOffset = raw.offset + raw.length }
        return error
    }
}
