import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedPostgreSQL
@testable import PubMedSupport

#if canImport(Glibc)
import Glibc
#endif

/// A team on one PostgreSQL database, through the command line as people run it: one machine
/// fetches into it with a writer role, another searches, shows, exports and asks `status` with a
/// read-only role and no mirror folder, and gets what the SQLite index gives; a second writer is
/// refused (exit 3); passwords come only from the environment; TLS with `sslmode=verify-full`.
@Suite(.heavyweight) struct SharedStoreTests {
    static let samples = TestPaths.repositoryRoot.appendingPathComponent("Samples/ncbi")

    /// A database with a writer role and a read-only role, set up as the README says.
    static func teamDatabase(_ server: PostgreSQLServer) throws -> (name: String, writer: String, reader: String) {
        let (name, _) = try server.createDatabase()
        let writer = "\(name)_writer", reader = "\(name)_reader"
        try server.execute("""
            CREATE ROLE \(writer) LOGIN PASSWORD 'writer-secret';
            CREATE ROLE \(reader) LOGIN PASSWORD 'reader-secret';
            GRANT CONNECT, CREATE ON DATABASE \(name) TO \(writer);
            GRANT CONNECT ON DATABASE \(name) TO \(reader);
            """)
        try server.execute("""
            ALTER DEFAULT PRIVILEGES FOR ROLE \(writer) GRANT USAGE ON SCHEMAS TO \(reader);
            ALTER DEFAULT PRIVILEGES FOR ROLE \(writer) GRANT SELECT ON TABLES TO \(reader);
            """, database: name)
        return (name, server.url(database: name, user: writer), server.url(database: name, user: reader))
    }

    @Test func oneMachineWritesAndAnotherReadsWithARoleThatCannotWrite() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (_, writerURL, readerURL) = try Self.teamDatabase(server)
        let source = "file://\(Self.samples.path)/"
        let writing = ["PUBMED_MIRROR_DATABASE_PASSWORD": "writer-secret"]
        let mirror = try TestPaths.temporaryDirectory("team-writer")
        let fetched = try await CLI.run(["fetch", "--source", source, "--mirror", mirror.path, "--database", writerURL, "--quiet"],
                                        environment: writing)
        #expect(fetched.status == 0, "\(fetched.stderr)")

        // The same files into the SQLite index, for comparison.
        let local = try TestPaths.temporaryDirectory("team-sqlite")
        #expect(try await CLI.run(["fetch", "--source", source, "--mirror", local.path, "--quiet"]).status == 0)

        // The reader: no mirror folder, a role with SELECT only, its password in PGPASSWORD.
        let nowhere = try TestPaths.temporaryDirectory("team-reader").appendingPathComponent("none").path
        let reading = ["PGPASSWORD": "reader-secret", "PUBMED_MIRROR_DATABASE_URL": readerURL]
        for arguments in [["export"], ["export", "--since", "0"], ["export", "--format", "medline"], ["search", "cancer", "--format", "pmid", "--limit", "100", "--sort", "pmid"],
                          ["search", "--count", "humans[mh] AND 2026[dp]"], ["show", "41584723", "--format", "xml"], ["show", "41584723", "--format", "json"]] {
            let shared = try await CLI.run(arguments + ["--mirror", nowhere], environment: reading)
            let embedded = try await CLI.run(arguments + ["--mirror", local.path])
            #expect(shared.status == 0 && embedded.status == 0, "\(arguments): \(shared.stderr) \(embedded.stderr)")
            #expect(!shared.stdout.isEmpty && shared.stdout == embedded.stdout, "\(arguments): the two indexes answer differently")
        }
        let status = try await CLI.run(["status", "--mirror", nowhere], environment: reading)
        #expect(status.status == 0 && status.stdout.contains("60 current records") && status.stdout.contains("schema pubmed_1"), "\(status.stdout) \(status.stderr)")

        // The read-only role cannot write: a clear refusal from the server, exit 4.
        let refused = try await CLI.run(["index", "--mirror", mirror.path], environment: reading)
        #expect(refused.status == 4 && refused.stderr.contains("permission denied"), "\(refused.status): \(refused.stderr)")

        // A second writer while the first holds the database: exit 3, as for a locked mirror folder.
        let first = try PostgreSQLIndex(url: try DatabaseURL(writerURL, environment: writing), writable: true)
        let second = try await CLI.run(["index", "--mirror", mirror.path, "--database", writerURL], environment: writing)
        #expect(second.status == 3 && second.stderr.contains("another pubmed-mirror is writing"), "\(second.status): \(second.stderr)")
        withExtendedLifetime(first) {}

        // A wrong password: exit 4, the way out named, the password nowhere in what is printed.
        let wrong = try await CLI.run(["status", "--mirror", nowhere, "--database", readerURL], environment: ["PGPASSWORD": "not-it"])
        #expect(wrong.stdout.contains("password authentication failed") && wrong.stdout.contains("PGPASSWORD"), "\(wrong.stdout) \(wrong.stderr)")
        #expect(!wrong.stdout.contains("not-it") && !wrong.stderr.contains("not-it"))
        let search = try await CLI.run(["search", "cancer", "--mirror", nowhere, "--database", readerURL], environment: ["PGPASSWORD": "not-it"])
        #expect(search.status == 4, "\(search.stderr)")
        // A database the server does not have: refused (exit 4), not "run again when the server is back".
        let missing = try await CLI.run(["search", "cancer", "--mirror", nowhere, "--database", writerURL + "_nowhere"], environment: writing)
        #expect(missing.status == 4 && missing.stderr.contains("does not exist") && missing.stderr.contains("createdb"), "\(missing.status): \(missing.stderr)")
        #expect(!missing.stderr.contains("server is back"), "\(missing.stderr)")
        let stated = try await CLI.run(["status", "--mirror", nowhere, "--format", "json", "--database", writerURL + "_nowhere"], environment: writing)
        #expect(stated.stdout.contains("\"indexErrorCode\" : \"database.missing\""), "\(stated.stdout)")
    }

    @Test func shardsFromTheSharedStoreAreByteForByteTheSQLiteIndexs() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (_, url) = try server.createDatabase()
        let source = "file://\(Self.samples.path)/"
        let shared = try TestPaths.temporaryDirectory("shards-pg"), local = try TestPaths.temporaryDirectory("shards-sqlite")
        #expect(try await CLI.run(["fetch", "--source", source, "--mirror", shared.path, "--database", url.text, "--quiet"]).status == 0)
        #expect(try await CLI.run(["fetch", "--source", source, "--mirror", local.path, "--quiet"]).status == 0)
        let out = try TestPaths.temporaryDirectory("shards-out")
        for (name, since) in [("all", [String]()), ("changes", ["--since", "10"])] {
            let fromServer = out.appendingPathComponent("\(name)-pg"), fromFile = out.appendingPathComponent("\(name)-sqlite")
            let a = try await CLI.run(["export", "--mirror", shared.path, "--database", url.text, "--shards", fromServer.path, "--shard-records", "25"] + since)
            let b = try await CLI.run(["export", "--mirror", local.path, "--shards", fromFile.path, "--shard-records", "25"] + since)
            #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
            let names = try FileManager.default.contentsOfDirectory(atPath: fromServer.path).sorted()
            #expect(names.count >= 3 && names.contains("manifest.json"), "\(names)")
            #expect(names == (try FileManager.default.contentsOfDirectory(atPath: fromFile.path).sorted()))
            for file in names {
                let left = try Data(contentsOf: fromServer.appendingPathComponent(file)), right = try Data(contentsOf: fromFile.appendingPathComponent(file))
                #expect(left == right, "\(name): \(file) differs between the stores")
            }
        }
    }

    /// Behind PgBouncer (which refuses startup parameters it does not know, so a session's settings
    /// are statements), readers and the writer work as they do on the server itself.
    @Test func aTeamBehindPgBouncerReadsAndWrites() async throws {
        let server = try await PostgreSQLServer.shared.value
        let name = try server.createDatabase().name
        let bouncer = try await LoopbackServer.pgbouncer(upstreamPort: server.port)
        let url = try DatabaseURL("postgresql://postgres@127.0.0.1:\(bouncer.port)/\(name)")
        let session = try PGConnection(url)
        try session.tuneForSearch()
        #expect(try session.execute("SHOW random_page_cost").string(0, 0) == "1.1")
        do {
            let writer = try PostgreSQLRecordStore(url: url)
            _ = try RecordStoreTests.apply(writer, "f1", (1...30).map { RecordStoreTests.rec($0, title: "Bouncer study \($0)") })
            try writer.finishRun()
        }
        let reader = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try reader.counts().current == 30)
        #expect(try reader.search("bouncer", limit: 50).count == 30)
        #expect(try reader.record(pmid: 7, version: nil)?.record.title == "Bouncer study 7")
    }

    @Test func aPasswordInTheURLIsRefusedBeforeAnyConnection() async throws {
        let run = try await CLI.run(["status", "--database", "postgresql://someone:secret@127.0.0.1:1/db"])
        #expect(run.status == 64 && run.stderr.contains("a password in the URL is refused"), "\(run.stderr)")
        #expect(!run.stderr.contains("secret@"))
        // libpq's sslpassword (the client key's passphrase) too: the URL is shown in errors and status.
        let ssl = try await CLI.run(["status", "--database", "postgresql://someone@127.0.0.1:1/db?sslpassword=keysecret"])
        #expect(ssl.status == 64 && ssl.stderr.contains("a password in the URL is refused"), "\(ssl.stderr)")
        #expect(!ssl.stderr.contains("keysecret"))
        let notURL = try await CLI.run(["status", "--database", "mysql://x/db"])
        #expect(notURL.status == 64 && notURL.stderr.contains("is not a postgresql:// URL"), "\(notURL.stderr)")
        // Refused for another reason, a text that holds a password is not shown, nor is libpq's
        // message, which quotes the token it could not read.
        for (url, secret) in [("host=db user=u password=s3cret", "s3cret"),
                              ("postgresql://u@h/db?password=s3cret&bogus=1", "s3cret"),
                              ("postgresql://u:p%zz@h/db", "p%zz"),
                              // libpq decodes escapes in keywords: `pass%77ord` is `password`.
                              ("postgresql://u@h/db?pass%77ord=hunter2&bogus=1", "hunter2"),
                              ("postgresql://u@h/db?%70assword=hunter2&bogus=1", "hunter2")] {
            let refused = try await CLI.run(["status", "--database", url], environment: ["PUBMED_MIRROR_DATABASE_URL": ""])
            #expect(refused.status == 64 && (refused.stderr.contains("(not shown)") || refused.stderr.contains("(neither is shown)")), "\(refused.stderr)")
            #expect(!refused.stderr.contains(secret), "\(refused.stderr)")
        }
        // Without one, libpq's own words say what is wrong.
        let unknown = try await CLI.run(["status", "--database", "postgresql://u@h/db?bogus=1"])
        #expect(unknown.status == 64 && unknown.stderr.contains("bogus"), "\(unknown.stderr)")
    }

    /// A database that cannot hold every character is refused before anything is written, and
    /// the session's encoding is UTF-8 whatever PGCLIENTENCODING says.
    @Test func aDatabaseNotInUTF8IsRefusedAndTheClientEncodingIsUTF8() async throws {
        let server = try await PostgreSQLServer.start()
        defer { try? server.stop(mode: "immediate") }
        try server.execute("CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
        let mirror = try TestPaths.temporaryDirectory("latin-mirror")
        let file = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2026/baseline/pubmed26n1334.xml.gz")
        let refused = try await CLI.run(["index", "--mirror", mirror.path, "--database", server.url(database: "latin"), "--file", file.path])
        #expect(refused.status != 0 && refused.stderr.contains("the database's encoding is LATIN1"), "\(refused.stderr)")
        #expect(try server.superuser(database: "latin").execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pubmed%'").string(0, 0) == "0")

        let (name, url) = try server.createDatabase()
        let indexed = try await CLI.run(["index", "--mirror", mirror.path, "--database", url.text, "--quiet", "--file", file.path],
                                        environment: ["PGCLIENTENCODING": "LATIN1"])
        #expect(indexed.status == 0, "\(indexed.stderr)")
        // Non-ASCII text reads back whole: the same titles as the SQLite index of the file gives.
        let sqlite = try TestPaths.temporaryDirectory("latin-reference")
        _ = try await CLI.run(["index", "--mirror", sqlite.path, "--quiet", "--file", file.path])
        let expected = try await CLI.run(["export", "--mirror", sqlite.path])
        let exported = try await CLI.run(["export", "--mirror", mirror.path, "--database", url.text], environment: ["PGCLIENTENCODING": "LATIN1"])
        #expect(exported.status == 0 && exported.stdout == expected.stdout, "\(name): \(exported.stderr)")
        #expect(expected.stdout.unicodeScalars.contains { $0.value > 0xFF }, "the file has characters LATIN1 lacks")
        // And it is stored as written, not as UTF-8 bytes read as LATIN1 (which an export in LATIN1
        // would turn back): what an SQL user reads in UTF-8 is the title itself.
        let line = try #require(expected.stdout.split(separator: "\n").first { line in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return (object?["title"] as? String)?.unicodeScalars.contains { $0.value > 0x7F } == true
        })
        let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let pmid = try #require(record["pmid"] as? Int)
        let stored = try server.superuser(database: name).execute("SELECT title FROM pubmed.article WHERE pmid = $1 AND is_current", [String(pmid)])
        #expect(stored.string(0, 0) == record["title"] as? String)
    }

    @Test func tlsWithVerifyFullWorksWithTheCAAndIsRefusedWithout() async throws {
        let server = try await PostgreSQLServer.start(tls: true)
        defer { try? server.stop(mode: "immediate") }
        let (name, _) = try server.createDatabase()
        try server.execute("CREATE ROLE tls_user LOGIN PASSWORD 'tls-secret'; GRANT CONNECT, CREATE ON DATABASE \(name) TO tls_user;")
        let ca = try #require(server.caFile)
        let base = "postgresql://tls_user@localhost:\(server.port)/\(name)?sslmode=verify-full"
        let mirror = try TestPaths.temporaryDirectory("tls-mirror")
        let environment = ["PUBMED_MIRROR_DATABASE_PASSWORD": "tls-secret"]
        let fetched = try await CLI.run(["fetch", "--source", "file://\(Self.samples.path)/", "--mirror", mirror.path, "--quiet",
                                         "--database", base + "&sslrootcert=\(ca.path)"], environment: environment)
        #expect(fetched.status == 0, "\(fetched.stderr)")
        // The connection really is TLS.
        let store = try PostgreSQLRecordStore(url: try DatabaseURL(base + "&sslrootcert=\(ca.path)", environment: environment), readOnly: true)
        #expect(try store.counts().current == 60)
        let tls = try store.index.pool.with { connection throws(ServerDatabaseFailure) in connection.usesTLS }
        #expect(tls)
        // Without the CA the server's certificate cannot be verified: refused, not unreachable.
        let untrusted = try await CLI.run(["status", "--mirror", mirror.path, "--database", base + "&sslrootcert=/dev/null"], environment: environment)
        #expect(untrusted.stdout.contains("certificate"), "\(untrusted.stdout) \(untrusted.stderr)")
        let refused = try await CLI.run(["search", "cancer", "--mirror", mirror.path, "--database", base + "&sslrootcert=/dev/null"], environment: environment)
        #expect(refused.status == 4 && refused.stderr.contains("certificate"), "\(refused.status): \(refused.stderr)")
    }
}
