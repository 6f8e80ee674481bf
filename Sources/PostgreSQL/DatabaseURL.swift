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
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") else {
            throw refuse("\(text) is not a postgresql:// URL")
        }
        if let reason = cpq_load() { throw refuse(String(cString: reason)) }
        var error: UnsafeMutablePointer<CChar>?
        guard let options = cpq_conninfo_parse(text, &error) else {
            let message = error.map { String(cString: $0).trimmingTrailingNewlines } ?? "libpq cannot read it"
            if let error { cpq_freemem(error) }
            throw refuse("\(text.redactingPassword): \(message)")
        }
        defer { cpq_conninfo_free(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", option.pointee.val != nil {
                throw refuse("a password in the URL is refused, since the process list would show it: give it in PGPASSWORD, ~/.pgpass or PUBMED_MIRROR_DATABASE_PASSWORD")
            }
            option += 1
        }
        self.text = text
        let password = environment["PUBMED_MIRROR_DATABASE_PASSWORD"] ?? ""
        self.password = password.isEmpty ? nil : password
    }

    public var description: String { text }
}

extension String {
    /// The URL with anything between `//` and `@` after a `:` hidden (for messages about a URL that was refused).
    var redactingPassword: String {
        guard let scheme = range(of: "://"), let at = self[scheme.upperBound...].firstIndex(of: "@"),
              let colon = self[scheme.upperBound..<at].firstIndex(of: ":") else { return self }
        return String(self[..<self.index(after: colon)]) + "***" + String(self[at...])
    }

    var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
