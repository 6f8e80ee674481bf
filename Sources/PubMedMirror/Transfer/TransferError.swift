/// A failed request, classified so that the caller knows whether to retry it.
public struct TransferError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Worth retrying after a pause: resets, timeouts, stalls, FTP 421/425/426/450/451, HTTP 408/429/5xx.
        case transient
        /// Retrying will not help: not found, login refused, certificate not trusted, disk full.
        case permanent
        /// The user or a signal asked the run to stop.
        case cancelled
    }

    /// How much a failure says about the rest of the run.
    public enum Scope: Sendable, Equatable {
        /// Only this file is affected (not found, damaged file).
        case file
        /// Every request to this server will fail the same way (login, TLS trust, disk full, bad URL).
        case run
    }

    public var kind: Kind
    public var scope: Scope
    /// The URL of the request, without credentials.
    public var url: String
    /// One sentence saying what went wrong.
    public var summary: String
    /// What the user can do about it, when there is something.
    public var advice: String?
    /// Seconds the server asked us to wait (HTTP Retry-After).
    public var retryAfter: Double?
    /// libcurl's CURLcode, when the failure came from libcurl.
    public var curlCode: Int?
    /// The last FTP reply or HTTP status code, when there was one.
    public var responseCode: Int?

    public init(kind: Kind, scope: Scope, url: String, summary: String, advice: String? = nil,
                retryAfter: Double? = nil, curlCode: Int? = nil, responseCode: Int? = nil) {
        self.kind = kind
        self.scope = scope
        self.url = url
        self.summary = summary
        self.advice = advice
        self.retryAfter = retryAfter
        self.curlCode = curlCode
        self.responseCode = responseCode
    }

    public var isTransient: Bool { kind == .transient }

    public var description: String {
        var text = url.isEmpty ? summary : "\(url): \(summary)"
        if let advice { text += " (\(advice))" }
        return text
    }
}
