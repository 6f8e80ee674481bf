import Foundation
import Hummingbird
import Logging
import NIOCore
import PubMedMirror
import ServiceLifecycle

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
        /// The longest a query may run before it is stopped with an error.
        public var queryLimit: Duration = .seconds(10)
        /// On SIGTERM or SIGINT, the longest the answers in flight may take; then their tasks are
        /// cancelled and their connections closed (a client that stopped reading holds no stop up).
        public var shutdownLimit: Duration = .seconds(30)
        /// A connection with no request in progress, or a request body that stops coming, for this
        /// long is closed.
        public var idleLimit: Duration = .seconds(60)
        /// The longest query text taken.
        public var maximumQueryLength = 4_096
        public var history = SearchHistory.Limits()
        /// The access log's lines: text, or one JSON object a line for log collectors.
        public var jsonLog = false

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
        // The index must be there to start with: a clear error now rather than on every request
        // (the connection opened to check it is the pool's first).
        let pool = try ReaderPool(mirror: mirror, size: options.readers, queryLimit: options.queryLimit, opened: try mirror.openIndex())
        // Answers built whole in memory, from either interface, share two places.
        let heavyAnswers = Places(limit: 2)
        var eutilities = EUtilities(mirror: mirror, pool: pool, history: SearchHistory(limits: options.history))
        eutilities.maximumQueryLength = options.maximumQueryLength
        eutilities.heavyAnswers = heavyAnswers
        let utilities = eutilities
        var configured = JSONAPI(mirror: mirror, pool: pool)
        configured.maximumQueryLength = options.maximumQueryLength
        configured.heavyAnswers = heavyAnswers
        let api = configured
        let router = Router()
        router.add(middleware: AccessLog(log: log, json: options.jsonLog))
        router.add(middleware: APINotFound())
        router.add(middleware: GzipMiddleware())
        let gate = Gate(token: options.token, maximumBody: options.maximumBody)
        /// A route whose answer is computed from the request's parameters. An open route (the
        /// page's files, `/health`: what monitors and browsers ask for) also answers HEAD, with
        /// the headers a GET would have and no body.
        func route(_ path: RouterPath, _ methods: [HTTPRequest.Method] = [.get], open: Bool = false,
                   _ answer: @escaping @Sendable (EParameters, BasicRequestContext) async throws -> EResponse) {
            for method in methods {
                router.on(path, method: method) { request, context in
                    switch await gate.parameters(of: request, open: open) {
                    case .refused(let refusal): return refusal
                    case .admitted(let parameters): return try await Self.respond { try await answer(parameters, context) }
                    }
                }
            }
            if open {
                router.on(path, method: .head) { request, context in
                    let parameters = EParameters(query: request.uri.query, body: nil)
                    let full = try await Self.respond { try await answer(parameters, context) }
                    var headers = full.headers
                    headers[.contentLength] = full.body.contentLength.map(String.init)
                    return Response(status: full.status, headers: headers, body: ResponseBody())
                }
            }
        }
        let handlers: [(String, @Sendable (EUtilities) -> @Sendable (EParameters) async throws -> EResponse)] = [
            ("esearch", { $0.esearch }), ("efetch", { $0.efetch }), ("esummary", { $0.esummary }),
            ("einfo", { $0.einfo }), ("epost", { $0.epost }),
        ]
        for (name, handler) in handlers {
            let answer = handler(utilities)
            route("entrez/eutils/\(name).fcgi", [.get, .post]) { parameters, _ in try await answer(parameters) }
        }
        route("api/search") { parameters, _ in try await api.search(parameters) }
        route("api/records", [.get, .post]) { parameters, _ in try await api.records(parameters, pmid: nil) }
        route("api/records/:pmid") { parameters, context in try await api.records(parameters, pmid: context.parameters.get("pmid")) }
        route("api/status") { _, _ in await api.status() }
        route("api/export") { parameters, _ in try await api.export(parameters) }
        // The search page and its two files: open (the page asks for the token, the API checks it).
        route("", open: true) { _, _ in EResponse(contentType: "text/html; charset=UTF-8", body: Array(SearchPage.html.utf8)) }
        route("page.css", open: true) { _, _ in EResponse(contentType: "text/css; charset=UTF-8", body: Array(SearchPage.css.utf8)) }
        route("page.js", open: true) { _, _ in EResponse(contentType: "text/javascript; charset=UTF-8", body: Array(SearchPage.javascript.utf8)) }
        route("api/openapi.json", open: true) { _, _ in .json(OpenAPIDocument.json) }
        route("health", open: true) { _, _ in await api.health() }
        router.get("api/changes") { request, _ in
            switch await gate.parameters(of: request, open: false) {
            case .refused(let refusal): return refusal
            case .admitted(let parameters):
                switch api.changes(parameters) {
                case .failure(let failure): return Self.response(failure.response)
                case .success(let feed):
                    return Response(status: .ok, headers: [.contentType: "application/x-ndjson; charset=UTF-8"], body: ResponseBody { writer in
                        try await feed.drain { try await writer.write($0) }
                        try await writer.finish(nil)
                    })
                }
            }
        }
        let application = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [DrainBeforeClose()],
                                                 idleTimeout: .nanoseconds(Int64(options.idleLimit.components.seconds) * 1_000_000_000))),
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "pubmed-mirror"),
            onServerRunning: { channel in
                await listening(options.host, channel.localAddress?.port ?? options.port)
            },
            // The access log says what happened to each request; Hummingbird's own lines would repeat it.
            logger: Logger(label: "pubmed-mirror.server", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        var group = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint],
                                              logger: Logger(label: "pubmed-mirror.server", factory: { _ in SwiftLogNoOpLogHandler() }))
        group.maximumGracefulShutdownDuration = options.shutdownLimit
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            try? await pool.shutdown()
            throw error
        }
        try await pool.shutdown()
    }

    /// An answer as an HTTP response: the index's failures as 503, anything else unexpected as 500.
    static func respond(_ answer: () async throws -> EResponse) async throws -> Response {
        do {
            return response(try await answer())
        } catch IndexError.query(let error) {
            return plain(400, "Invalid query: \(error.description)\n")
        } catch IndexError.interrupted {
            return plain(503, "The query took longer than this server allows and was stopped\n")
        } catch let error as IndexError {
            return plain(503, "The index cannot be read: \(error)\n")
        } catch {
            return plain(500, "Internal error: \(error)\n")
        }
    }

    static func response(_ answer: EResponse) -> Response {
        var headers: HTTPFields = [.contentType: answer.contentType]
        if let disposition = answer.disposition { headers[.contentDisposition] = disposition }
        if let seconds = answer.retryAfter { headers[.retryAfter] = String(seconds) }
        return Response(status: .init(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    static func plain(_ status: Int, _ text: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: EResponse.textType],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A path or method under `/api/` that no route answers gets the API's own JSON error, not the
/// router's empty 404.
struct APINotFound<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && request.uri.path.hasPrefix("/api/") {
            // What the router throws when no route has the path, or none the method.
            let failure = JSONAPI.Failure(status: 404, code: "request.not-found",
                                          message: "No \(request.method.rawValue) \(request.uri.path) in this API: see /api/openapi.json")
            return PubMedServer.response(failure.response)
        }
    }
}

/// What every request passes first: its body read (up to a size) into its parameters with those
/// of its URL, and, when the server has a token, the token: `Authorization: Bearer TOKEN`, or the
/// `api_key` parameter E-utilities clients send anyway (compared in constant time).
struct Gate: Sendable {
    let token: String?
    let maximumBody: Int

    enum Admission {
        case admitted(EParameters)
        case refused(Response)
    }

    func parameters(of request: Request, open: Bool) async -> Admission {
        var request = request
        var body: [UInt8]?
        // The JSON API's refusals are in its own shape too (`{"error": …}`), the rest plain text.
        let api = request.uri.path.hasPrefix("/api/")
        if request.method == .post {
            do {
                body = Array(buffer: try await request.collectBody(upTo: maximumBody))
            } catch {
                let message = "The request body is larger than \(maximumBody) bytes"
                return .refused(api ? PubMedServer.response(JSONAPI.Failure(status: 413, code: "request.too-large", message: message).response)
                                    : PubMedServer.plain(413, message + "\n"))
            }
        }
        let parameters = EParameters(query: request.uri.query, body: body)
        if let token, !open, !authorized(request, parameters, token: token) {
            let message = "This server needs a token: Authorization: Bearer TOKEN, or api_key=TOKEN"
            var refusal = api ? PubMedServer.response(JSONAPI.Failure(status: 401, code: "request.unauthorized", message: message).response)
                              : PubMedServer.plain(401, message + "\n")
            refusal.headers[.wwwAuthenticate] = "Bearer"
            return .refused(refusal)
        }
        return .admitted(parameters)
    }

    func authorized(_ request: Request, _ parameters: EParameters, token: String) -> Bool {
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

/// One line a request on the log: method, path, status, bytes and milliseconds, as text or as
/// one JSON object (`--log-format json`). A streamed body's bytes are not known when it starts: "-".
struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let log: @Sendable (String) -> Void
    let json: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            write(request, status: response.status.code, bytes: response.body.contentLength, since: start)
            return response
        } catch {
            write(request, status: (error as? any HTTPResponseError)?.status.code ?? 500, bytes: nil, since: start)
            throw error
        }
    }

    private func write(_ request: Request, status: Int, bytes: Int?, since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        let milliseconds = String(format: "%.1f", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
        let path = request.uri.path
        if json {
            let time = Date().formatted(.iso8601)
            log("{\"time\":\"\(time)\",\"method\":\"\(request.method)\",\"path\":\(Markup.json(path)),\"status\":\(status),"
                + "\"bytes\":\(bytes.map(String.init) ?? "null"),\"ms\":\(milliseconds)}")
        } else {
            log("\(request.method) \(path) \(status) \(bytes.map(String.init) ?? "-") \(milliseconds) ms")
        }
    }
}
