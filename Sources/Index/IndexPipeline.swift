import Foundation
import PubMedRecords
import PubMedSupport

/// The stages that apply one file, joined by `BlockingChannel`s of batches so that memory stays
/// flat: a parser (with the gunzip thread it starts) and a preparer, each on a thread of its own,
/// and the writer, on the caller's thread, which runs the file's one write transaction. The
/// preparer writes each record's JSON, compresses records in blocks and assembles its search text,
/// so the writer only runs SQL. The kernel shares the two cores among them and gives the writer the
/// first turn (the others lower their priority: `ThreadPriority`): were it to fall behind, its
/// backlog would be left to one core once the others are done. Order is kept: each stage is one
/// thread, each channel FIFO.
///
/// Ending: the parser finishes or fails its channel, the preparer passes that on; a writer that
/// fails or is cancelled cancels both channels, which stops the others at their next hand-off.
/// `run` returns only once both threads have ended.
package enum IndexPipeline {
    /// Items handed between the stages at a time: fewer wake-ups than one by one.
    package static let batchSize = 64
    /// Batches each channel holds: about a third of a second of work, so that while the writer
    /// waits for the previous file's checkpoint this file is read and prepared.
    package static let capacity = 64
    /// The prepared items the writer finds ready, at most, when it comes back for more.
    package static var itemsHeld: Int { capacity * batchSize }

    /// What the parser hands on: what its `produce` yields, then what it learned of the file (its
    /// MD5, when it was hashed).
    package typealias Produce = @Sendable (_ sink: (FileItem) throws -> Void) throws -> ArticleFileSummary?

    /// A caller's records and deletions (`RecordStore.apply(_:produce:)`), each record with its XML
    /// as bytes, as the pipeline's producer; no summary (nothing was hashed).
    package static func produce(_ items: @escaping @Sendable (_ sink: (ArticleFileItem) throws -> Void) throws -> Void) -> Produce {
        { sink in
            try items { item in
                switch item {
                case .record(let record, let xml): try sink(.record(record, xml: .bytes(xml)))
                case .deletion(let pmid, let version): try sink(.deletion(pmid: pmid, version: version))
                }
            }
            return nil
        }
    }

    /// Runs the three stages for one file, with the SQLite store's preparer.
    static func run<T>(sourceFile: String, xmlSource: RecordPreparer.XMLSource, cancellation: CancellationFlag,
                       produce: @escaping Produce,
                       write: (_ next: () throws -> [PreparedItem]?, _ summary: () -> ArticleFileSummary?) throws -> T) throws -> T {
        try run(sourceFile: sourceFile, preparer: { RecordPreparer(sourceFile: sourceFile, xmlSource: xmlSource) },
                cancellation: cancellation, produce: produce, write: write)
    }

    /// Runs the three stages for one file, with the preparer `makePreparer` makes on the preparer's
    /// thread (each store prepares what its writer needs). `write` gets the prepared batches (nil at
    /// the end) and the parser's summary once everything has been produced; it runs on this thread.
    package static func run<Preparer: FileItemPreparer, T>(
        sourceFile: String, preparer makePreparer: @escaping @Sendable () -> Preparer, cancellation: CancellationFlag,
        produce: @escaping Produce,
        write: (_ next: () throws -> [Preparer.Prepared]?, _ summary: () -> ArticleFileSummary?) throws -> T
    ) throws -> T {
        let parsed = BlockingChannel<[ParsedItem], any Error>(capacity: capacity)
        let prepared = BlockingChannel<[Preparer.Prepared], any Error>(capacity: capacity)
        let summary = OneShot<ArticleFileSummary?>()
        let parserDone = OneShot<Bool>(), preparerDone = OneShot<Bool>()
        BlockingThreads.start("index-parser") {
            ThreadPriority.lower(by: 6)
            parse(produce, into: parsed, summary: summary)
            parserDone.finish(true)
        }
        BlockingThreads.start("index-preparer") {
            ThreadPriority.lower(by: 3)
            prepare(parsed, into: prepared, preparer: makePreparer())
            preparerDone.finish(true)
        }
        defer {
            // Stops whatever is still running (nothing, after a complete file) and waits for it.
            prepared.cancel()
            parsed.cancel()
            _ = parserDone.wait()
            _ = preparerDone.wait()
        }
        return try write({
            if cancellation.isCancelled { throw IndexError.cancelled(file: sourceFile) }
            return try prepared.receive()
        }, { summary.value ?? nil })
    }

    /// The parser stage: runs `produce`, handing its items on in batches, then its summary.
    /// A file item with its search document, made on the parser's thread: it has the lightest load
    /// of the three (measured: parser 1.0 CPU-s a 30,000-record file, preparer 1.8, writer 1.9).
    package typealias ParsedItem = (item: FileItem, search: SearchDocument?)

    private static func parse(_ produce: Produce, into parsed: BlockingChannel<[ParsedItem], any Error>,
                              summary: OneShot<ArticleFileSummary?>) {
        struct ReaderGone: Error {}
        do {
            var batch: [ParsedItem] = []
            batch.reserveCapacity(batchSize)
            let result = try produce { item in
                if case .record(let record, _) = item {
                    batch.append((item, SearchDocument(record)))
                } else {
                    batch.append((item, nil))
                }
                if batch.count == batchSize {
                    guard parsed.send(batch) else { throw ReaderGone() }
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty, !parsed.send(batch) { return }
            // Set before the channel is finished: the writer reads it after the last batch.
            summary.finish(result)
            parsed.finish()
        } catch is ReaderGone {
            return
        } catch let error as PubMedRecords.RecordError where error.underlying is ReaderGone {
            return
        } catch {
            parsed.fail(error)
        }
    }

    /// The preparer stage: each batch of items made ready for the writer.
    private static func prepare<Preparer: FileItemPreparer>(_ parsed: BlockingChannel<[ParsedItem], any Error>,
                                                           into prepared: BlockingChannel<[Preparer.Prepared], any Error>, preparer: Preparer) {
        do {
            var ready: [Preparer.Prepared] = []
            while let batch = try parsed.receive() {
                for parsed in batch { try preparer.prepare(parsed.item, search: parsed.search, into: &ready) }
                if !ready.isEmpty {
                    guard prepared.send(ready) else { return parsed.cancel() }
                    ready = []
                }
            }
            try preparer.finish(into: &ready)
            if !ready.isEmpty, !prepared.send(ready) { return parsed.cancel() }
            prepared.finish()
        } catch {
            // The parser failed (or the preparer did): the writer rolls back with this error.
            prepared.fail(error)
        }
    }
}

/// Makes a file's items ready for one store's writer, on the pipeline's preparer thread: the items
/// in file order, each record with its search document when the parser made it already.
package protocol FileItemPreparer: AnyObject {
    associatedtype Prepared: Sendable
    func prepare(_ item: FileItem, search: SearchDocument?, into ready: inout [Prepared]) throws
    /// The file ended: hands on whatever is still gathered.
    func finish(into ready: inout [Prepared]) throws
}

extension RecordPreparer: FileItemPreparer {}
