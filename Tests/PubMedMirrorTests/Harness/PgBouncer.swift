import Foundation

// MARK: - PgBouncer

extension LoopbackServer {
    /// Debian's PgBouncer on 127.0.0.1 in front of the PostgreSQL server on `upstreamPort`, session
    /// pooling, every database passed through, `trust` for the `postgres` user (as the test server
    /// trusts it on loopback). It refuses startup parameters it does not know, `options` among them,
    /// as it does by default. It will not run as root, so it runs as `postgres` (setpriv execs it:
    /// no shell or su between the test and the server).
    static func pgbouncer(upstreamPort: Int) async throws -> LoopbackServer {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/pgbouncer") else {
            throw LoopbackServerError("pgbouncer is not installed (/usr/sbin/pgbouncer is missing): run Scripts/install-test-deps as root")
        }
        let folder = try TestPaths.temporaryDirectory("pgbouncer")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }
        let port = try freePort()
        let logFile = folder.appendingPathComponent("pgbouncer.log")
        let users = folder.appendingPathComponent("users.txt")
        try "\"postgres\" \"\"\n".write(to: users, atomically: true, encoding: .utf8)
        let config = folder.appendingPathComponent("pgbouncer.ini")
        try """
            [databases]
            * = host=127.0.0.1 port=\(upstreamPort)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(users.path)
            pool_mode = session
            logfile = \(logFile.path)

            """.write(to: config, atomically: true, encoding: .utf8)
        try PostgreSQLServer.run("/bin/chown", ["-R", "postgres:postgres", folder.path])
        let process = try launch(
            name: "pgbouncer", executable: "/usr/bin/setpriv",
            arguments: ["--reuid=postgres", "--regid=postgres", "--init-groups", "/usr/sbin/pgbouncer", config.path], in: folder)
        try await waitUntilListening(name: "pgbouncer", port: port, process: process, folder: folder, logs: [logFile])
        started = true
        return LoopbackServer(
            name: "pgbouncer", port: port, baseURL: URL(string: "postgresql://postgres@127.0.0.1:\(port)/")!,
            caFile: nil, folder: folder, process: process, logFile: logFile)
    }
}
