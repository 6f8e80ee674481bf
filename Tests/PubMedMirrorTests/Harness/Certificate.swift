import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Certificate

extension LoopbackServer {
    struct Certificate: Sendable {
        let cert: URL
        let key: URL
    }

    /// One self-signed certificate per test process, made on first use.
    static let certificate = Task<Certificate, any Error> { try await makeCertificate() }

    private static func makeCertificate() async throws -> Certificate {
        let folder = try TestPaths.sharedTemporaryDirectory("tls")
        let cert = folder.appendingPathComponent("cert.pem")
        let key = folder.appendingPathComponent("key.pem")
        let made = try await ChildProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.path, "-out", cert.path,
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        guard made.status == 0 else {
            throw LoopbackServerError("openssl could not make a certificate (exit \(made.status)): \(made.stderr)")
        }
        return Certificate(cert: cert, key: key)
    }
}
