import Foundation
import PubMedSupport

/// A gzip file that could not be read or decompressed, naming the file and the byte where it went
/// wrong: `pubmed23n0001.xml.gz: the gzip stream ends early at byte 212992 (truncated download?)`.
public struct GzipError: CodedError {
    public enum Kind: Sendable, Equatable {
        /// The file could not be opened or read (`cause` is the `FileSystemError`).
        case io
        /// The file does not start with the gzip magic bytes (or is empty).
        case notGzip
        /// The compressed data is damaged.
        case data
        /// The gzip stream stops in the middle of a member: an incomplete download.
        case truncated
    }

    public var kind: Kind
    /// The file's name (its last path component).
    public var file: String
    /// Where in the compressed file, when known.
    public var byteOffset: Int?
    /// What went wrong, as a sentence fragment without the file name.
    public var message: String
    public var cause: (any Error)?

    public init(kind: Kind, file: String, byteOffset: Int? = nil, message: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.file = file
        self.byteOffset = byteOffset
        self.message = message
        self.cause = cause
    }

    /// A failed read of the file.
    public init(file: String, _ error: FileSystemError) {
        self.init(kind: .io, file: file, message: "\(error.operation) failed: \(String(cString: strerror(error.errno)))", cause: error)
    }

    public var code: ErrorCode {
        switch kind {
        case .io: (cause as? FileSystemError)?.code ?? .fileSystem
        case .notGzip: .notGzip
        case .data: .gzipData
        case .truncated: .gzipTruncated
        }
    }

    public var description: String { "\(file): \(message)" }
}

extension ErrorCode {
    public static let notGzip = ErrorCode("file.not-gzip", .badFile)
    public static let gzipData = ErrorCode("file.gzip-damaged", .badFile)
    public static let gzipTruncated = ErrorCode("file.truncated", .badFile)
}
