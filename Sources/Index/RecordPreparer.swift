import Foundation
import PubMedGzip
import PubMedRecords

/// File items made ready for the database off the writer's thread: JSON written and compressed in
/// blocks, the XML's chunks ready to store, search text assembled. The writer then only runs SQL.
enum PreparedItem: Sendable {
    case block(PreparedBlock)
    case deletion(pmid: Int, version: Int)
    case chunk(PreparedChunk)
}

/// The JSON of consecutive records of a file, compressed together (see `RecordBlock`), and the records.
struct PreparedBlock: Sendable {
    var data: Data
    var records: [PreparedRecord]
}

struct PreparedRecord: Sendable {
    var pmid: Int
    var version: Int
    var kind: String
    var status: String?
    var year: Int?
    var title: String
    var journal: String?
    var doi: String?
    var pmcid: String?
    /// The publication date as `YYYYMMDD` (00 for what is not known), for sorting.
    var pubDate: Int?
    /// The first author as `Last Initials` (or the collective name), for sorting.
    var firstAuthor: String?
    /// Where its JSON lies in its block.
    var json: Range<Int>
    /// Where its original XML lies in the file's uncompressed stream.
    var xml: Range<Int>
    var search: SearchDocument
}

/// A `CompressedChunk` as stored: its window compressed (zlib), empty when it has none.
struct PreparedChunk: Sendable {
    var start: Int
    var length: Int
    var bits: Int
    var window: Data
    var data: Data
}

/// Prepares a file's items for `RecordWriter`: gathers records into blocks and hands each block on
/// when it is full, before a deletion (which must follow the records before it), and at the end;
/// passes on the chunks of the file's stream, or, for a file whose stream is not kept (a plain
/// `.xml` file, records from elsewhere), compresses the records' XML into chunks of its own.
/// Owns its compressors: one per producing thread, one per file.
final class RecordPreparer {
    /// Whether the records' XML comes as its place in the file's kept stream (`RecordXML.inStream`),
    /// or as bytes to compress here.
    enum XMLSource { case fileStream, compressedHere }

    private let sourceFile: String
    private let xmlSource: XMLSource
    private let compressor = ZlibCompressor()
    private let ownStream: ChunkCompressor?
    private var pending: [(record: PreparedRecord, json: [UInt8])] = []

    init(sourceFile: String, xmlSource: XMLSource) {
        self.sourceFile = sourceFile
        self.xmlSource = xmlSource
        ownStream = xmlSource == .compressedHere ? ChunkCompressor() : nil
        pending.reserveCapacity(RecordBlock.capacity)
    }

    /// Takes the next item of the file, with its record's search document when it was made
    /// already; appends what is ready for the writer to `ready`, in order.
    func prepare(_ item: FileItem, search: SearchDocument? = nil, into ready: inout [PreparedItem]) throws {
        switch item {
        case .deletion(let pmid, let version):
            flush(into: &ready)
            ready.append(.deletion(pmid: pmid, version: version))
        case .chunks(let chunks):
            guard xmlSource == .fileStream else { throw Self.mixed(sourceFile) }
            for chunk in chunks { ready.append(.chunk(prepare(chunk))) }
        case .record(var record, let xml):
            let place: Range<Int>
            switch (xmlSource, xml) {
            case (.fileStream, .inStream(let range)):
                place = range
            case (.compressedHere, .bytes(let bytes)):
                // `ownStream` exists for this source.
                let start = ownStream!.append(bytes)
                place = start..<start + bytes.count
                for chunk in ownStream!.take() { ready.append(.chunk(prepare(chunk))) }
            default:
                throw Self.mixed(sourceFile)
            }
            record.sourceFile = sourceFile
            let prepared = PreparedRecord(
                pmid: record.pmid, version: record.version, kind: record.kind.rawValue, status: record.status,
                year: record.year, title: record.title, journal: RecordWriter.journalName(record), doi: record.doi,
                pmcid: record.pmcid, pubDate: Self.sortDate(record), firstAuthor: Self.firstAuthor(record),
                json: 0..<0, xml: place, search: search ?? SearchDocument(record))
            pending.append((prepared, RecordJSONWriter.encode(record)))
            if pending.count == RecordBlock.capacity { flush(into: &ready) }
        }
    }

    /// The file ended: hands on the block being gathered and the last chunk of its own stream.
    func finish(into ready: inout [PreparedItem]) {
        flush(into: &ready)
        if let ownStream {
            ownStream.finish()
            for chunk in ownStream.take() { ready.append(.chunk(prepare(chunk))) }
        }
    }

    private func flush(into ready: inout [PreparedItem]) {
        guard !pending.isEmpty else { return }
        let jsons = pending.map(\.json)
        var records = pending.map(\.record)
        for (index, range) in RecordBlock.ranges(of: jsons).enumerated() { records[index].json = range }
        pending.removeAll(keepingCapacity: true)
        ready.append(.block(PreparedBlock(data: compressor.compress(jsons), records: records)))
    }

    private func prepare(_ chunk: CompressedChunk) -> PreparedChunk {
        PreparedChunk(start: chunk.start, length: chunk.length, bits: chunk.bits,
                      window: chunk.window.isEmpty ? Data() : compressor.compress([chunk.window]), data: Data(chunk.data))
    }

    static func sortDate(_ record: PubMedRecord) -> Int? {
        guard let year = record.year else { return nil }
        let date = record.pubDate?.year == year ? record.pubDate : nil
        // As the search codes have it: a month or day that is none (a `<Day>` of 45, or of ten
        // digits) is left out, and the date is as precise as what is valid in it.
        return DateCode(year: year, month: date?.month, day: date?.day)?.padded
    }

    static func firstAuthor(_ record: PubMedRecord) -> String? {
        guard let author = record.authors.first else { return nil }
        return author.collectiveName ?? [author.lastName, author.initials].compactMap { $0 }.joined(separator: " ")
    }

    private static func mixed(_ file: String) -> IndexError {
        .inconsistency("\(file): records came both with and without their place in the file's stream")
    }
}

/// The columns of an article row that every store derives from the record the same way.
package enum ArticleFields {
    /// The journal as the index shows it: ISO abbreviation, else MEDLINE's, else the title.
    package static func journal(_ record: PubMedRecord) -> String? { RecordWriter.journalName(record) }
    /// The publication date as `YYYYMMDD` (00 for what is not known), for sorting.
    package static func sortDate(_ record: PubMedRecord) -> Int? { RecordPreparer.sortDate(record) }
    /// The first author as `Last Initials` (or the collective name), for sorting.
    package static func firstAuthor(_ record: PubMedRecord) -> String? { RecordPreparer.firstAuthor(record) }
}
