import Foundation
import PubMedListing
import PubMedSupport

/// A folder in NCBI's layout, holding `baseline/` and `updatefiles/`: where the mirror comes from,
/// or (for `publish`) where it is copied to.
public struct MirrorSource: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable, CaseIterable {
        case ftp, ftps, http, https, sftp, file
    }

    public static let ncbi = "ftp://ftp.ncbi.nlm.nih.gov/pubmed/"

    public let scheme: Scheme
    /// The source URL as given, normalised to end in `/`. Never holds credentials.
    public let url: URL

    public init(_ text: String) throws(ConfigurationError) {
        guard let parsed = URL(string: text), let rawScheme = parsed.scheme?.lowercased() else {
            throw ConfigurationError("\(text) is not a URL; expected ftp://, ftps://, http://, https://, sftp:// or file://")
        }
        guard let scheme = Scheme(rawValue: rawScheme) else {
            throw ConfigurationError("\(text): the scheme \(rawScheme):// is not supported; use ftp, ftps, http, https, sftp or file")
        }
        if parsed.user != nil || parsed.password != nil {
            throw ConfigurationError("the source URL must not hold a user or password (they would show in the process list and in logs)", advice: [.credentialsFromEnvironment])
        }
        if parsed.query != nil || parsed.fragment != nil {
            throw ConfigurationError("\(text) must not have a query or fragment")
        }
        if scheme == .file {
            guard parsed.host == nil || parsed.host == "" || parsed.host == "localhost" else {
                throw ConfigurationError("\(text): a file:// URL names a local folder, such as file:///data/pubmed/")
            }
        } else if (parsed.host ?? "").isEmpty {
            throw ConfigurationError("\(text) has no host name")
        }
        var normalised = text
        if !normalised.hasSuffix("/") { normalised += "/" }
        // Checked above that it parses; adding a slash keeps it a URL.
        self.url = URL(string: normalised)!
        self.scheme = scheme
    }

    /// `…/baseline/` or `…/updatefiles/`.
    public func folderURL(_ folder: MirrorFolder) -> URL {
        url.appendingPathComponent(folder.rawValue, isDirectory: true)
    }

    /// The URL of a file in one of the folders. `name` is always a validated PubMed file name.
    public func fileURL(_ folder: MirrorFolder, _ name: String) -> URL {
        folderURL(folder).appendingPathComponent(name, isDirectory: false)
    }

    public var isFTP: Bool { scheme == .ftp || scheme == .ftps }
    public var isSFTP: Bool { scheme == .sftp }
    public var isHTTP: Bool { scheme == .http || scheme == .https }

    public var description: String { url.absoluteString }
}

/// A setting that cannot work, with a sentence saying why (naming the value, not where it came
/// from: the caller knows whether that was an option or the environment).
public struct ConfigurationError: CodedError {
    public let message: String
    public let advice: [Advice]
    public init(_ message: String, advice: [Advice] = []) {
        self.message = message
        self.advice = advice
    }
    public var code: ErrorCode { .configuration }
    public var description: String { message }
}

extension ErrorCode {
    public static let configuration = ErrorCode("configuration", .invalidInput)
}
