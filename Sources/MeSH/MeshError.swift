import Foundation
import PubMedSupport

/// A MeSH descriptor file that cannot be used, or a thesaurus that cannot be built or read, naming
/// the file (and, for the XML, the line) so that the one sentence says where to look.
public enum MeshError: CodedError {
    /// The descriptor file is not a complete, well-formed `DescriptorRecordSet`.
    case malformed(file: String, line: Int?, message: String)
    /// The descriptor file could not be read or decompressed (`cause` keeps why).
    case unreadable(file: String, message: String, cause: (any Error)?)
    /// No thesaurus has been built at this path yet.
    case missing(path: String)
    /// The thesaurus file is not one this version can read: damaged, or an older or newer schema.
    case unusable(path: String, message: String)
    /// SQLite failed while the thesaurus was built or read.
    case database(DatabaseFailure)
    /// Writing the thesaurus into place failed.
    case local(FileSystemError)
    /// The build was asked to stop; the thesaurus in place is unchanged.
    case cancelled

    public var code: ErrorCode {
        switch self {
        case .malformed: .meshMalformed
        // A file that cannot be read is this machine's failure; one that cannot be inflated
        // (damaged or cut gzip) is a bad descriptor file like any other.
        case .unreadable(_, _, let cause): (cause as? FileSystemError)?.code ?? .meshMalformed
        case .missing: .meshMissing
        case .unusable: .meshUnusable
        case .database(let failure): failure.code
        case .local(let error): error.code
        case .cancelled: .cancelled
        }
    }

    public var advice: [Advice] {
        switch self {
        case .missing, .unusable: [.buildMeSH]
        case .database(let failure): failure.advice
        case .local(let error): error.advice
        case .malformed, .unreadable, .cancelled: []
        }
    }

    public var cause: (any Error)? {
        switch self {
        case .unreadable(_, _, let cause): cause
        case .database(let failure): failure
        case .local(let error): error
        case .malformed, .missing, .unusable, .cancelled: nil
        }
    }

    public var description: String {
        switch self {
        case .malformed(let file, let line, let message):
            "\(file)\(line.map { ", line \($0)" } ?? ""): not a usable MeSH descriptor file: \(message)"
        case .unreadable(let file, let message, _):
            "\(file): \(message)"
        case .missing(let path):
            "no MeSH thesaurus at \(path)"
        case .unusable(let path, let message):
            "\(path): the MeSH thesaurus cannot be used: \(message)"
        case .database(let failure):
            failure.description
        case .local(let error):
            error.description
        case .cancelled:
            "the MeSH thesaurus build was interrupted; the thesaurus in place is unchanged"
        }
    }
}

extension ErrorCode {
    /// The descriptor file is not a complete DescriptorRecordSet (damaged, truncated, wrong file).
    public static let meshMalformed = ErrorCode("mesh.malformed", .serverData)
    /// No thesaurus has been built yet.
    public static let meshMissing = ErrorCode("mesh.missing", .notFound)
    /// The thesaurus file is damaged or has another schema.
    public static let meshUnusable = ErrorCode("mesh.unusable", .local)
}

extension Advice {
    /// Build (or rebuild) the thesaurus from NLM's descriptor file.
    public static let buildMeSH = Advice("build-mesh", "build the MeSH thesaurus from NLM's descriptor file")
}
