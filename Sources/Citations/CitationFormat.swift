import PubMedRecords

/// The citation formats a record can be printed in. Each renders one record on its own, from the
/// `PubMedRecord` alone; how records are put together into one output (a blank line between
/// them, or CSL-JSON's one array) is `separator`, `opening` and `closing`.
public enum CitationFormat: String, CaseIterable, Sendable {
    /// NLM's MEDLINE ("PubMed") display format, as efetch `rettype=medline` writes it.
    case medline
    /// RIS, as PubMed's "Send to: Citation manager" writes it.
    case ris
    /// BibTeX: `@article{pmid…}`, `@book` for book records.
    case bibtex
    /// CSL-JSON: one array of items for the whole output.
    case cslJSON = "csl-json"

    /// One record in this format: complete lines, each ending with a newline (for CSL-JSON the
    /// item object on one line, without a newline or the array around it).
    public func render(_ record: PubMedRecord) -> String {
        switch self {
        case .medline: MedlineFormat.render(record)
        case .ris: RISFormat.render(record)
        case .bibtex: BibTeXFormat.render(record)
        case .cslJSON: CSLJSONFormat.render(record)
        }
    }

    /// Several records as one output, as `CitationOutput` streams them.
    public func render(_ records: [PubMedRecord]) -> String {
        opening + records.map(render).joined(separator: separator) + closing(empty: records.isEmpty)
    }

    /// `text` with line breaks and tabs as spaces, for line-based output (the one such function:
    /// the command line's text and TSV use it too).
    public static func oneLine(_ text: String) -> String {
        CitationText.oneLine(text)
    }

    /// Written before the first record.
    public var opening: String { self == .cslJSON ? "[\n" : "" }
    /// Written between two records.
    public var separator: String { self == .cslJSON ? ",\n" : "\n" }
    /// Written after the last record, or after `opening` alone when there was none (CSL-JSON's
    /// empty array stays valid JSON).
    public func closing(empty: Bool) -> String {
        guard self == .cslJSON else { return "" }
        return empty ? "]\n" : "\n]\n"
    }
}

