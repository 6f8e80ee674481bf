import Testing
@testable import PubMedServer

/// Which `Accept-Encoding` headers get a gzipped answer.
struct GzipAcceptTests {
    @Test(arguments: [
        ("gzip", true), ("gzip, deflate, br", true), ("deflate, gzip;q=0.5", true), ("x-gzip", true), ("GZIP; q=1", true),
        (nil, false), ("", false), ("deflate, br", false), ("identity", false),
        ("gzip;q=0", false), ("gzip;q=0.0", false), ("gzip; q=0.000", false), ("br, gzip;q=0.00", false),
    ] as [(String?, Bool)])
    func acceptsGzipUnlessItsWeightIsZero(header: String?, accepted: Bool) {
        #expect(AcceptEncoding.allowsGzip(header) == accepted, "\(header ?? "nil")")
    }
}
