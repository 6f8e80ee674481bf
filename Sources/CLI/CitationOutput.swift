import Foundation
import PubMedMirror

/// Records printed in a citation format, one after another, on one `ResultWriter`: what goes
/// before the first (CSL-JSON's "["), between two (a blank line, or CSL-JSON's ",") and after the
/// last ("]"), so that the whole output is one valid document. `show`, `export` and `search` each
/// make one, `write` every record, then `finish` once, also when no record was written.
struct CitationOutput {
    let format: CitationFormat
    private var written = 0
    private let decoder = JSONDecoder()

    init(format: CitationFormat) {
        self.format = format
    }

    /// Writes one record.
    mutating func write(_ record: PubMedRecord, to output: ResultWriter) throws(OutputError) {
        try output.write((written == 0 ? format.opening : format.separator) + format.render(record))
        written += 1
    }

    /// Writes one record given as the index's JSON (`StoredRecord.json`, `SearchHit.json`,
    /// `ExportItem.record`).
    mutating func write(json: [UInt8], to output: ResultWriter) throws {
        try write(try decoder.decode(PubMedRecord.self, from: Data(json)), to: output)
    }

    /// Ends the output: CSL-JSON's closing bracket (after an opening one if nothing was written).
    func finish(to output: ResultWriter) throws(OutputError) {
        try output.write((written == 0 ? format.opening : "") + format.closing(empty: written == 0))
    }
}
