import Hummingbird
import NIOCore
import PubMedMirror

/// Responses in gzip when the client accepts it (`Accept-Encoding: gzip`) and the body is text,
/// XML or JSON: compressed as it is written, so a streamed body (the change feed) stays streamed.
/// Small bodies (under 1 KB, when their length is known) go as they are.
struct GzipMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard Self.accepts(request.headers[.acceptEncoding]), response.headers[.contentEncoding] == nil,
              let type = response.headers[.contentType], type.hasPrefix("text/") || type.contains("json") || type.contains("xml"),
              (response.body.contentLength ?? .max) >= 1024 else { return response }
        let body = response.body
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = nil
        response.headers[.vary] = "Accept-Encoding"
        response.body = ResponseBody { writer in
            try await body.write(GzipWriter(parent: writer, encoder: GzipStreamEncoder()))
        }
        return response
    }

    /// `gzip` is among the encodings and not refused (`gzip;q=0`).
    static func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            return parts.first == "gzip" && !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
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
