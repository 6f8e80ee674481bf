import ArgumentParser
import Foundation
import PubMedMirror

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

        @Option(name: .long, help: ArgumentHelp("The longest a query may run before it is stopped with an error (HTTP 503).", valueName: "seconds"))
        var querySeconds: Double = 10

        @Option(name: .long, help: ArgumentHelp("On SIGTERM or SIGINT, the longest the answers in flight may take to finish; then they are cut.", valueName: "seconds"))
        var shutdownSeconds: Double = 30

        @Option(name: .long, help: ArgumentHelp("Once listening, write the port to this file (with --listen HOST:0, the port the system chose).", valueName: "file"))
        var portFile: String?

        @Option(name: .long, help: "The access log's lines: text, or json (one object a line, for log collectors).")
        var logFormat: LogFormat = .text

        enum LogFormat: String, ExpressibleByArgument, CaseIterable {
            case text, json
        }

        func validate() throws {
            guard (1...256).contains(readers) else { throw ValidationError("--readers must be between 1 and 256") }
            guard querySeconds > 0, querySeconds <= 86_400 else { throw ValidationError("--query-seconds must be more than 0 and at most 86400") }
            guard shutdownSeconds > 0, shutdownSeconds <= 86_400 else { throw ValidationError("--shutdown-seconds must be more than 0 and at most 86400") }
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

        /// Whether `host` is an IPv4 address of 127.0.0.0/8, written as four decimal numbers.
        static func isLoopbackIPv4(_ host: String) -> Bool {
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) }) else { return false }
            let numbers = parts.compactMap { UInt8($0) }
            return numbers.count == 4 && numbers[0] == 127
        }

        func run() async throws {
            let (host, port) = try address()
            var settings = ServeSettings(root: mirror.root, database: try mirror.databaseURL(), host: host, port: port, readers: readers, token: try token())
            // An address of 127.0.0.0/8, not a name that starts with "127." (127.example.org).
            let loopback = ["::1", "localhost"].contains(host) || Self.isLoopbackIPv4(host)
            if !loopback && settings.token == nil && !self.public {
                throw ValidationError("serving on \(host) opens the mirror to the network: give --token-file FILE (or PUBMED_MIRROR_TOKEN), or --public")
            }
            settings.public = self.public
            settings.querySeconds = querySeconds
            settings.shutdownSeconds = shutdownSeconds
            settings.jsonLog = logFormat == .json
            settings.portFile = portFile.map { URL(fileURLWithPath: $0) }
            guard let server = ServeSettings.server else {
                // `pubmed-mirror` replaces itself with the server's executable before anything else
                // runs (`ServeSettings.execServerIfAsked`); here, it could not.
                throw ValidationError(ServeSettings.missingServer ?? "serve needs pubmed-mirror-serve beside pubmed-mirror")
            }
            try await server(settings)
        }
    }
}

/// What `serve` was asked for, checked, for the server.
public struct ServeSettings: Sendable {
    public var root: URL
    /// The PostgreSQL database holding the index (`--database`), when it is there.
    public var database: DatabaseURL?
    public var host: String
    public var port: Int
    public var readers: Int
    /// The token every request must carry, if one was given.
    public var token: String?
    public var `public` = false
    /// The longest a query may run.
    public var querySeconds: Double = 10
    /// The longest the answers in flight may take to finish once SIGTERM or SIGINT came.
    public var shutdownSeconds: Double = 30
    /// The access log as JSON lines.
    public var jsonLog = false
    /// Where to write the port once listening.
    public var portFile: URL?
    /// Where the server's lines go: standard error, above any live lines.
    public var log: @Sendable (String) -> Void = { Console.shared.printLine($0) }

    /// The server itself, set by the `pubmed-mirror-serve` executable, which runs this command
    /// line in-process. The server (Hummingbird and SwiftNIO) lives in an executable of its own
    /// so that `pubmed-mirror`, which every search and show starts anew, stays small: linked
    /// in, it made each start 1.1 ms slower (6.0 ms against 4.9 for `--version`).
    nonisolated(unsafe) public static var server: (@Sendable (ServeSettings) async throws -> Void)?

    /// Why `execServerIfAsked` could not start the server, for the error `serve` then gives.
    nonisolated(unsafe) static var missingServer: String?

    /// For `pubmed-mirror serve …`: replaces this process with `pubmed-mirror-serve` from the same
    /// folder, given the same arguments (it parses them as `pubmed-mirror` would, with the server
    /// attached). Called first thing in `main`, while the process has one thread: `execv` from
    /// one of several threads leaves the old main thread a zombie under the process's id until
    /// the exec completes, which a parent watching that id takes for the end of the process.
    /// Returns when the command is not `serve`, or when the executable is missing (the command
    /// then says so).
    public static func execServerIfAsked() {
        guard CommandLine.arguments.count > 1, CommandLine.arguments[1] == "serve" else { return }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let sibling = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("pubmed-mirror-serve").path
        guard FileManager.default.isExecutableFile(atPath: sibling) else {
            missingServer = "serve runs \(sibling), which is not built: Scripts/build-release serve (or swift build --product pubmed-mirror-serve)"
            return
        }
        let arguments = [sibling] + CommandLine.arguments.dropFirst()
        let argv = arguments.map { strdup($0) } + [nil]
        execv(sibling, argv)
        missingServer = "cannot start \(sibling): \(String(cString: strerror(errno)))"
    }
}
