import Foundation
@testable import PubMedPostgreSQL

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL 15 server (Debian's `postgresql-15`) on a free loopback port, in a folder of
/// the test run: `initdb` and `pg_ctl` run as the `postgres` user (they refuse root), the socket
/// stays in the folder, `trust` for the `postgres` superuser on 127.0.0.1 only, and scram
/// passwords for the roles the tests make. One server is shared by the tests, each with
/// databases of its own; tests that restart or fill it start their own.
///
/// The postmaster stops when the test process exits (atexit), and by itself within a minute once
/// its folder is gone (it watches its lock file).
final class PostgreSQLServer: Sendable {
    static let bin = "/usr/lib/postgresql/15/bin"
    let port: Int
    let folder: URL
    let data: URL
    /// The CA file clients trust when the server has TLS.
    let caFile: URL?

    /// One server for the tests that need no server of their own.
    static let shared = Task<PostgreSQLServer, any Error> { try await PostgreSQLServer.start() }
    private static let databases = Counter()

    private init(port: Int, folder: URL, caFile: URL?) {
        self.port = port
        self.folder = folder
        data = folder.appendingPathComponent("data")
        self.caFile = caFile
    }

    static func start(tls: Bool = false, settings: [String] = []) async throws -> PostgreSQLServer {
        guard FileManager.default.isExecutableFile(atPath: "\(bin)/postgres") else {
            throw LoopbackServerError("PostgreSQL 15 is not installed (\(bin)/postgres is missing): run Scripts/install-test-deps as root")
        }
        let folder = try TestPaths.sharedTemporaryDirectory("postgresql")
        var caFile: URL?
        var lines = ["listen_addresses = '127.0.0.1'", "unix_socket_directories = '\(folder.path)'", "fsync = off",
                     "synchronous_commit = off", "full_page_writes = off", "max_connections = 60", "shared_buffers = 128MB",
                     "password_encryption = 'scram-sha-256'"] + settings
        if tls {
            let certificate = try await LoopbackServer.certificate.value
            for (source, name) in [(certificate.cert, "server.crt"), (certificate.key, "server.key")] {
                try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent(name))
            }
            lines += ["ssl = on", "ssl_cert_file = '\(folder.path)/server.crt'", "ssl_key_file = '\(folder.path)/server.key'"]
            caFile = certificate.cert
        }
        try run("/bin/chown", ["-R", "postgres:postgres", folder.path])
        try run("/bin/chmod", ["700", folder.path])
        if tls { try run("/bin/chmod", ["600", folder.appendingPathComponent("server.key").path]) }
        let server = PostgreSQLServer(port: try LoopbackServer.freePort(), folder: folder, caFile: caFile)
        try asPostgres("\(bin)/initdb", ["-D", server.data.path, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        // The superuser without a password from loopback; every other role with its scram password;
        // with TLS, `hostssl` lines first for the roles that must use it.
        var hba = ["local all postgres trust", "host all postgres 127.0.0.1/32 trust"]
        if tls { hba.append("hostssl all all 127.0.0.1/32 scram-sha-256") }
        hba.append("host all all 127.0.0.1/32 scram-sha-256")
        try (hba.joined(separator: "\n") + "\n").write(to: server.data.appendingPathComponent("pg_hba.conf"), atomically: true, encoding: .utf8)
        let conf = server.data.appendingPathComponent("postgresql.conf")
        let existing = try String(contentsOf: conf, encoding: .utf8)
        try (existing + "\n" + (lines + ["port = \(server.port)"]).joined(separator: "\n") + "\n").write(to: conf, atomically: true, encoding: .utf8)
        try run("/bin/chown", ["-R", "postgres:postgres", folder.path])
        try server.startServer()
        let stop = "\(bin)/pg_ctl"
        let dataPath = server.data.path
        Self.stopAtExit.withLock { $0.append((stop, dataPath)) }
        return server
    }

    /// Starts the stopped server (after `stop` or a crash).
    func startServer() throws {
        try Self.asPostgres("\(Self.bin)/pg_ctl", ["-D", data.path, "-l", folder.appendingPathComponent("server.log").path, "-w", "-t", "30", "start"])
    }

    /// Stops it: `fast` ends sessions cleanly, `immediate` as a crash would.
    func stop(mode: String = "fast") throws {
        try Self.asPostgres("\(Self.bin)/pg_ctl", ["-D", data.path, "-m", mode, "-w", "-t", "30", "stop"])
    }

    /// `postgresql://postgres@127.0.0.1:PORT/DB`, plus `query`.
    func url(database: String = "postgres", user: String = "postgres", query: String = "") -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database)" + (query.isEmpty ? "" : "?" + query)
    }

    /// A connection as the superuser.
    func superuser(database: String = "postgres") throws -> PGConnection {
        try PGConnection(try DatabaseURL(url(database: database)))
    }

    /// A new, empty database of its own, and its URL (as the superuser).
    func createDatabase() throws -> (name: String, url: DatabaseURL) {
        let name = "test_\(getpid())_\(Self.databases.next())"
        try superuser().execute("CREATE DATABASE \(name)")
        return (name, try DatabaseURL(url(database: name)))
    }

    /// A superuser connection to a new, empty database of its own on the shared server.
    static func connectionToNewDatabase() async throws -> PGConnection {
        let server = try await shared.value
        return try server.superuser(database: try server.createDatabase().name)
    }

    /// Runs SQL as the superuser in `database`.
    func execute(_ sql: String, database: String = "postgres") throws {
        try superuser(database: database).execute(sql)
    }

    // MARK: Processes

    private static let stopAtExit: Mutex<[(String, String)]> = {
        atexit {
            for (pgCtl, data) in PostgreSQLServer.stopAtExit.withLock({ $0 }) {
                _ = try? PostgreSQLServer.asPostgres(pgCtl, ["-D", data, "-m", "immediate", "-w", "-t", "10", "stop"])
            }
        }
        return Mutex([])
    }()

    static func asPostgres(_ executable: String, _ arguments: [String]) throws {
        try run("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        try Spawn.run([executable] + arguments)
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}

import Synchronization
