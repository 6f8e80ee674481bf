import ArgumentParser
import Foundation
import PubMedMirror
import PubMedServer

extension PubMedMirrorCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve the index over HTTP: NCBI's E-utilities (esearch, efetch, esummary, einfo, epost) under /entrez/eutils/.",
            discussion: """
                Biopython, EDirect and other E-utilities clients work unchanged once pointed at http://HOST:PORT/entrez/eutils/. \
                Read-only: a fetch may apply files meanwhile, and each newly applied file is seen once committed. Listens on \
                loopback unless told otherwise; any other address needs --token-file (or PUBMED_MIRROR_TOKEN), whose token \
                every request must then carry (Authorization: Bearer TOKEN, or api_key=TOKEN), or --public. One access-log line \
                a request on stderr. Stops on SIGTERM or SIGINT after the requests in flight.
                """
        )

        @OptionGroup var mirror: MirrorOptions

        @Option(name: .long, help: ArgumentHelp("The address and port to listen on (port 0: any free one, printed on stderr).", valueName: "host:port"))
        var listen = "127.0.0.1:8080"

        @Option(name: .long, help: "Queries that run at once, each on a thread with its own connection to the index.")
        var readers = 4

        @Option(name: .long, help: ArgumentHelp("A file holding the token requests must carry (env PUBMED_MIRROR_TOKEN).", valueName: "file"))
        var tokenFile: String?

        @Flag(name: .long, help: "Listen on an address other than loopback without a token.")
        var `public` = false

        func validate() throws {
            guard (1...256).contains(readers) else { throw ValidationError("--readers must be between 1 and 256") }
            _ = try address()
        }

        /// `--listen` as host and port.
        func address() throws -> (host: String, port: Int) {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw ValidationError("--listen takes HOST:PORT, such as 127.0.0.1:8080 (got '\(listen)')")
            }
            var host = String(listen[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw ValidationError("--listen needs a host: 127.0.0.1:\(port), or 0.0.0.0:\(port) for every address") }
            return (host, port)
        }

        /// The token from --token-file or PUBMED_MIRROR_TOKEN.
        func token() throws -> String? {
            if let tokenFile {
                let text: String
                do {
                    text = try String(contentsOfFile: tokenFile, encoding: .utf8)
                } catch {
                    throw ValidationError("--token-file \(tokenFile) cannot be read: \(error.localizedDescription)")
                }
                let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
                guard token.count >= 16 else { throw ValidationError("the token in \(tokenFile) is shorter than 16 characters") }
                return token
            }
            if let token = ProcessInfo.processInfo.environment["PUBMED_MIRROR_TOKEN"]?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty {
                guard token.count >= 16 else { throw ValidationError("PUBMED_MIRROR_TOKEN is shorter than 16 characters") }
                return token
            }
            return nil
        }

        func run() async throws {
            let (host, port) = try address()
            var options = PubMedServer.Options()
            options.host = host
            options.port = port
            options.readers = readers
            options.token = try token()
            let loopback = ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.")
            if !loopback && options.token == nil && !self.public {
                throw ValidationError("serving on \(host) opens the mirror to the network: give --token-file FILE (or PUBMED_MIRROR_TOKEN), or --public")
            }
            let server = PubMedServer(mirror: Mirror(root: mirror.root), options: options) { line in
                Console.shared.printLine(line)
            }
            let authenticated = options.token != nil
            try await server.run { host, port in
                let shown = host.contains(":") ? "[\(host)]" : host
                Console.shared.printLine("serving \(mirror.root.path) on http://\(shown):\(port)/ (E-utilities at /entrez/eutils/\(authenticated ? "; a token is required" : ""))")
            }
        }
    }
}
