import Foundation
import Hummingbird
import Logging
import NIOCore
import PubMedMirror

/// `serve`: one resident process that answers NCBI's E-utilities over HTTP from the mirror's index
/// (read-only), for many clients at once, with a bounded pool of readers (`ReaderPool`).
public struct PubMedServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Queries that run at once (each a thread and a connection to the index).
        public var readers = 4
        /// When set, every request must carry it: `Authorization: Bearer TOKEN`, or `api_key=TOKEN`
        /// (the parameter E-utilities clients already send: Biopython's `Entrez.api_key`, EDirect's
        /// `NCBI_API_KEY`).
        public var token: String?
        /// The largest request body read (a POST of ids or a long query).
        public var maximumBody = 1 << 20
        public var history = SearchHistory.Limits()

        public init() {}
    }

    public let mirror: Mirror
    public let options: Options
    /// Where the access log goes: one line a request.
    let log: @Sendable (String) -> Void

    public init(mirror: Mirror, options: Options, log: @escaping @Sendable (String) -> Void) {
        self.mirror = mirror
        self.options = options
        self.log = log
    }

    /// Serves until SIGTERM or SIGINT, then lets the requests in flight finish. `listening` is told
    /// the address once the socket is bound (the port, when 0 was asked for, is the one given).
    public func run(listening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void) async throws {
        // The index must be there to start with: a clear error now rather than on every request.
        _ = try mirror.openIndex()
        let pool = ReaderPool(mirror: mirror, size: options.readers)
        let utilities = EUtilities(mirror: mirror, pool: pool, history: SearchHistory(limits: options.history))
        let router = Router()
        router.add(middleware: AccessLog(log: log))
        let handlers: [(String, @Sendable (EUtilities) -> @Sendable (EParameters) async throws -> EResponse)] = [
            ("esearch", { $0.esearch }), ("efetch", { $0.efetch }), ("esummary", { $0.esummary }),
            ("einfo", { $0.einfo }), ("epost", { $0.epost }),
        ]
        let token = options.token, maximumBody = options.maximumBody
        for (name, handler) in handlers {
            let answer = handler(utilities)
            for method in [HTTPRequest.Method.get, .post] {
                router.on("entrez/eutils/\(name).fcgi", method: method) { request, _ in
                    try await Self.respond(to: request, token: token, maximumBody: maximumBody, answer)
                }
            }
        }
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "pubmed-mirror"),
            onServerRunning: { channel in
                await listening(options.host, channel.localAddress?.port ?? options.port)
            },
            // The access log says what happened to each request; Hummingbird's own lines would repeat it.
            logger: Logger(label: "pubmed-mirror.server", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        do {
            try await application.runService()
        } catch {
            try? await pool.shutdown()
            throw error
        }
        try await pool.shutdown()
    }

    /// One E-utilities request: its parameters (query and form body), the token, the answer.
    static func respond(to request: Request, token: String?, maximumBody: Int,
                        _ answer: @Sendable (EParameters) async throws -> EResponse) async throws -> Response {
        var request = request
        var body: [UInt8]?
        if request.method == .post {
            do {
                body = Array(buffer: try await request.collectBody(upTo: maximumBody))
            } catch {
                return plain(413, "The request body is larger than \(maximumBody) bytes\n")
            }
        }
        let parameters = EParameters(query: request.uri.query, body: body)
        if let token, !authorized(request, parameters, token: token) {
            return plain(401, "This server needs a token: Authorization: Bearer TOKEN, or api_key=TOKEN\n")
        }
        let response: EResponse
        do {
            response = try await answer(parameters)
        } catch let error as IndexError {
            return plain(503, "The index cannot be read: \(error)\n")
        } catch {
            return plain(500, "Internal error: \(error)\n")
        }
        return Response(status: .init(code: response.status), headers: [.contentType: response.contentType],
                        body: .init(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    static func plain(_ status: Int, _ text: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: EResponse.textType],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The bearer token or the `api_key` parameter equals `token` (compared in constant time).
    static func authorized(_ request: Request, _ parameters: EParameters, token: String) -> Bool {
        let bearer = request.headers[.authorization].flatMap { value in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
        }
        return [bearer, parameters["api_key"]].contains { candidate in
            guard let candidate else { return false }
            let a = Array(candidate.utf8), b = Array(token.utf8)
            guard a.count == b.count else { return false }
            return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }
}

/// One line a request on the log: method, path, status, bytes and milliseconds.
struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let log: @Sendable (String) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        do {
            let response = try await next(request, context)
            let elapsed = ContinuousClock.now - start
            log("\(request.method) \(path) \(response.status.code) \(response.body.contentLength.map(String.init) ?? "-") \(Self.milliseconds(elapsed)) ms")
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log("\(request.method) \(path) \(status) - \(Self.milliseconds(ContinuousClock.now - start)) ms")
            throw error
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}
