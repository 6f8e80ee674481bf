import Hummingbird
import NIOCore
import PubMedMirror

/// Responses in gzip when the client accepts it (`Accept-Encoding: gzip`) and the body is text,
/// XML or JSON: compressed as it is written, so a streamed body (the change feed) stays streamed.
/// Small bodies (under 1 KB, when their length is known) go as they are. Every answer that would
/// be compressed for a client that accepts gzip says `Vary: Accept-Encoding`, compressed or not, so
/// that a cache between the server and its clients keeps the two forms apart.
struct GzipMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        // HEAD has the headers a GET would have: its length is the one its Content-Length says.
        let head = request.method == .head
        let length = head ? response.headers[.contentLength].flatMap { Int($0) } : response.body.contentLength
        guard response.headers[.contentEncoding] == nil,
              let type = response.headers[.contentType], type.hasPrefix("text/") || type.contains("json") || type.contains("xml"),
              (length ?? .max) >= 1024 else { return response }
        let vary = response.headers[.vary]
        let varies = (vary ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if !varies.contains("accept-encoding") && !varies.contains("*") {
            response.headers[.vary] = vary.map { "\($0), Accept-Encoding" } ?? "Accept-Encoding"
        }
        guard AcceptEncoding.allowsGzip(request.headers[.acceptEncoding]) else { return response }
        let body = response.body
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = nil
        if head { return response }
        response.body = ResponseBody { writer in
            try await body.write(GzipWriter(parent: writer, encoder: GzipStreamEncoder()))
        }
        return response
    }
}

/// The client's `Accept-Encoding`.
enum AcceptEncoding {
    /// `gzip` is among the encodings and not refused (`gzip;q=0`).
    static func allowsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.first == "gzip" || parts.first == "x-gzip" else { return false }
            // A weight of 0 (`q=0`, `q=0.0`, `q=0.000`) refuses it.
            let weight = parts.dropFirst().lazy.map { $0.replacingOccurrences(of: " ", with: "") }
                .first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return weight > 0
        }
    }
}

/// A body writer that gzips what passes through it.
struct GzipWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let encoder: GzipStreamEncoder

    mutating func write(_ buffer: ByteBuffer) async throws {
        let compressed = encoder.encode(Array(buffer: buffer))
        if !compressed.isEmpty { try await parent.write(ByteBuffer(bytes: compressed)) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        let rest = encoder.encode([], finish: true)
        if !rest.isEmpty { try await parent.write(ByteBuffer(bytes: rest)) }
        try await parent.finish(trailingHeaders)
    }
}
