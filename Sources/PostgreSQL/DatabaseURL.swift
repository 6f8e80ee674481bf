import CLibPQ
import PubMedSupport

/// Where the shared store is: a `postgresql://user@host:port/db?sslmode=…` URL (libpq's own
/// connection URI, so every libpq parameter works in its query: `sslmode`, `sslrootcert`,
/// `connect_timeout`, `options`…). A password is never taken from the URL, which the process list
/// and shell history would show: it comes from `PGPASSWORD`, `~/.pgpass` (libpq reads both) or
/// `PUBMED_MIRROR_DATABASE_PASSWORD`.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    /// From `PUBMED_MIRROR_DATABASE_PASSWORD`; libpq reads the other two places itself.
    let password: String?

    /// Checks `text` with libpq's own parser; `environment` gives the password variable.
    public init(_ text: String, environment: [String: String] = [:]) throws(ServerDatabaseFailure) {
        func refuse(_ message: String) -> ServerDatabaseFailure {
            ServerDatabaseFailure(server: "--database", operation: "reading the URL", sqlState: nil, message: message, connectionLost: false)
        }
        // A text that may hold a password is never shown, nor is libpq's message about it (which
        // quotes the token it could not read, perhaps the password itself).
        // libpq decodes percent-escapes in keywords too (`pass%77ord=`): so is the check.
        let decoded = text.removingPercentEncoding
        let mayHoldPassword = decoded == nil || decoded?.lowercased().contains("password") == true || text.hasUserInfoColon
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") else {
            throw refuse(mayHoldPassword
                ? "the value is not a postgresql:// URL, and it seems to hold a password (not shown): " + Self.passwordAdvice
                : "\(text) is not a postgresql:// URL")
        }
        if let reason = cpq_load() { throw refuse(String(cString: reason)) }
        var error: UnsafeMutablePointer<CChar>?
        guard let options = cpq_conninfo_parse(text, &error) else {
            let message = error.map { String(cString: $0).trimmingTrailingNewlines } ?? "libpq cannot read it"
            if let error { cpq_freemem(error) }
            throw refuse(mayHoldPassword
                ? "libpq cannot read the URL, which seems to hold a password (neither is shown): " + Self.passwordAdvice
                : "\(text): \(message)")
        }
        defer { cpq_conninfo_free(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            // `password`, and `sslpassword` (the client key's passphrase) alike.
            if String(cString: keyword).contains("password"), option.pointee.val != nil {
                throw refuse("a password in the URL is refused, since the process list would show it: " + Self.passwordAdvice)
            }
            option += 1
        }
        self.text = text
        let password = environment["PUBMED_MIRROR_DATABASE_PASSWORD"] ?? ""
        self.password = password.isEmpty ? nil : password
    }

    public var description: String { text }

    static let passwordAdvice = "give it in PGPASSWORD, ~/.pgpass or PUBMED_MIRROR_DATABASE_PASSWORD"
}

extension String {
    /// Whether a `user:password@` part may be there: a `:` before an `@` after the scheme.
    var hasUserInfoColon: Bool {
        guard let scheme = range(of: "://"), let at = self[scheme.upperBound...].lastIndex(of: "@") else { return false }
        return self[scheme.upperBound..<at].contains(":")
    }

    var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
