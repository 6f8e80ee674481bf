import PubMedGzip
import PubMedSupport

/// A PubMed file that could not be read: damaged gzip data, XML that is not well-formed, a format
/// this program does not read, or an error thrown by the code that received the records.
///
/// It renders as one sentence naming the file:
/// `pubmed23n0001.xml.gz: the gzip stream ends early at byte 212992 (truncated download?)`.
public struct RecordError: CodedError {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read.
        case io
        /// The file does not start with the gzip magic bytes (or is empty).
        case notGzip
        /// The compressed data is damaged.
        case gzipData
        /// The gzip stream stops in the middle of a member: an incomplete download.
        case truncated
        /// The XML is not well-formed, or the document ends early.
        case xml
        /// The document declares entities in its internal subset; refused so that no entity is
        /// ever expanded or loaded.
        case entityDeclaration
        /// A pre-2017 `MedlineCitationSet` file.
        case unsupportedFormat
        /// Some other XML document (its root is not `PubmedArticleSet`), or no document at all.
        case notPubMed
        /// The XML is well-formed but breaks PubMed's structure (no PMID, nested records…).
        case invalidRecord
        /// The handler that received the items threw `underlying`.
        case handler
    }

    public var kind: Kind
    /// The file's name (its last path component), as given to the reader.
    public var file: String
    /// The line in the decompressed XML, for XML errors, when known.
    public var line: Int?
    /// For gzip errors, the offset in the compressed file; for other errors, the number of
    /// decompressed bytes read before the error was found, when known.
    public var byteOffset: Int?
    /// What went wrong, as a sentence fragment without the file name.
    public var message: String
    /// The error thrown by the item handler, the gzip or system error, when there was one.
    public var underlying: (any Error)?

    public init(kind: Kind, file: String, line: Int? = nil, byteOffset: Int? = nil, message: String,
                underlying: (any Error)? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.byteOffset = byteOffset
        self.message = message
        self.underlying = underlying
    }

    /// A gzip error, as the reader of a PubMed file reports it (the gzip error kept as the cause).
    public init(_ error: GzipError) {
        let kind: Kind = switch error.kind {
        case .io: .io
        case .notGzip: .notGzip
        case .data: .gzipData
        case .truncated: .truncated
        }
        self.init(kind: kind, file: error.file, byteOffset: error.byteOffset, message: error.message, underlying: error)
    }

    public var cause: (any Error)? { underlying }

    public var code: ErrorCode {
        switch kind {
        case .io: (underlying as? any CodedError)?.code ?? .fileSystem
        case .notGzip: .notGzip
        case .gzipData: .gzipData
        case .truncated: .gzipTruncated
        case .xml: .xmlMalformed
        case .entityDeclaration: .xmlEntityDeclaration
        case .unsupportedFormat: .unsupportedFormat
        case .notPubMed: .notPubMed
        case .invalidRecord: .invalidRecord
        // What the receiver of the records threw says what went wrong.
        case .handler: (underlying as? any CodedError)?.code ?? .internalFailure
        }
    }

    public var advice: [Advice] { (underlying as? any CodedError)?.advice ?? [] }

    public var description: String { "\(file): \(message)" }
}

extension ErrorCode {
    public static let xmlMalformed = ErrorCode("file.xml-malformed", .badFile)
    public static let xmlEntityDeclaration = ErrorCode("file.xml-entity-declaration", .badFile)
    public static let unsupportedFormat = ErrorCode("file.unsupported-format", .badFile)
    public static let notPubMed = ErrorCode("file.not-pubmed", .badFile)
    public static let invalidRecord = ErrorCode("file.invalid-record", .badFile)
    public static let internalFailure = ErrorCode("internal", .internalError)
}
