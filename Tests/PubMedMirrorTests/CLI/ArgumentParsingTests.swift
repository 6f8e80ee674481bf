import ArgumentParser
import Foundation
import Testing
@testable import PubMedMirror
@testable import PubMedMirrorCLI

/// The command line parsed in-process (no binary started): what each command accepts and refuses,
/// the environment's fallbacks, and the library's advice in the command line's own words.
@Suite struct ArgumentParsingTests {
    static func parse(_ arguments: [String]) throws -> any ParsableCommand {
        try PubMedMirrorCommand.parseAsRoot(arguments)
    }

    /// libpq starts loading before the command line is parsed when a database is named there or
    /// in the environment, and only then (a command on the SQLite index never loads it).
    @Test func aNamedDatabaseStartsLibpqLoadingEarly() {
        let url = "postgresql://reader@db.example/pubmed"
        #expect(MirrorOptions.namesADatabase(arguments: ["pubmed-mirror", "show", "1", "--database", url], environment: [:]))
        #expect(MirrorOptions.namesADatabase(arguments: ["pubmed-mirror", "search", "--database=\(url)", "cancer"], environment: [:]))
        #expect(MirrorOptions.namesADatabase(arguments: ["pubmed-mirror", "status"], environment: ["PUBMED_MIRROR_DATABASE_URL": url]))
        #expect(!MirrorOptions.namesADatabase(arguments: ["pubmed-mirror", "status"], environment: ["PUBMED_MIRROR_DATABASE_URL": ""]))
        #expect(!MirrorOptions.namesADatabase(arguments: ["pubmed-mirror", "search", "--mirror", "/m", "database"], environment: [:]))
        #expect(!MirrorOptions.namesADatabase(arguments: ["--database"], environment: [:]), "the program's own name is not an argument")
    }

    @Test func eachSubcommandParsesItsOptions() throws {
        let fetch = try #require(try Self.parse(["fetch", "--jobs", "4", "--retries", "2", "--dry-run", "--mirror", "/m"]) as? PubMedMirrorCommand.Fetch)
        #expect(try fetch.resolvedJobs() == 4)
        #expect(fetch.retry.retries == 2 && fetch.dryRun && fetch.mirror.root.path == "/m")
        let search = try #require(try Self.parse(["search", "heart", "failure", "--limit", "5", "--format", "tsv"]) as? PubMedMirrorCommand.Search)
        #expect(search.query == ["heart", "failure"] && search.limit == 5 && search.format == .tsv)
        let show = try #require(try Self.parse(["show", "1", "2", "--format", "xml"]) as? PubMedMirrorCommand.Show)
        #expect(show.pmids == [1, 2] && show.format == .xml)
        let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples/2026/baseline/pubmed26n1334.xml.gz").path
        let index = try #require(try Self.parse(["index", "--file", samples, samples, "--format", "json"]) as? PubMedMirrorCommand.Index)
        #expect(index.file == [samples, samples] && index.format == .json)
        #expect(try Self.parse(["export", "--since", "12"]) is PubMedMirrorCommand.Export)
        // The citation formats, by the names the README gives them.
        for format in CitationFormat.allCases {
            let show = try #require(try Self.parse(["show", "1", "--format", format.rawValue]) as? PubMedMirrorCommand.Show)
            #expect(show.format.citation == format)
            let export = try #require(try Self.parse(["export", "--format", format.rawValue]) as? PubMedMirrorCommand.Export)
            #expect(export.format.citation == format)
        }
        #expect(try #require(try Self.parse(["export", "--format", "csv"]) as? PubMedMirrorCommand.Export).format.citation == nil)
        #expect(try Self.parse(["status"]) is PubMedMirrorCommand.Status)
        #expect(try Self.parse(["verify", "--jobs", "3"]) is PubMedMirrorCommand.Verify)
        #expect(try Self.parse(["health", "--source", "file:///x/"]) is PubMedMirrorCommand.Health)
    }

    @Test(arguments: [
        ["fetch", "--jobs", "0"], ["fetch", "--jobs", "17"], ["fetch", "--retries", "101"], ["fetch", "--quiet", "--verbose"],
        ["fetch", "--source", "gopher://x/"], ["fetch", "--source", "ftp://me:pw@x/"], ["fetch", "--stall-timeout", "0"],
        ["search", "x", "--limit", "0"], ["show"], ["show", "1", "2", "--version", "3"], ["index", "--check"],
        ["index", "--file", "/nonexistent.xml.gz"], ["index", "--rebuild", "--file", "x"], ["export", "--since", "-1"],
        ["verify", "--jobs", "0"], ["fetch", "--format", "yaml"], ["show", "1", "--format", "csljson"], ["nonsense"],
        ["publish"], ["publish", "--target", "http://x/pubmed/"], ["publish", "--target", "ftp://u:p@x/"],
        ["publish", "--target", "ftp://x/", "--jobs", "0"], ["publish", "--target", "sftp://x/", "--known-hosts", "/nonexistent"],
        ["fetch", "--delete"], ["fetch", "--target", "ftp://x/"], ["fetch", "--publish", "https://x/"],
    ])
    func badArgumentsAreRefusedBeforeAnythingRuns(arguments: [String]) {
        // The error the arguments threw, mapped as the root command maps it: 64.
        let error = #expect(throws: (any Error).self) { _ = try Self.parse(arguments) }
        let code = error.map { PubMedMirrorCommand.exitCode(for: $0) }
        #expect(code == .validationFailure, "\(arguments): \(String(describing: error))")
    }

    @Test func theEnvironmentFillsInWhatTheOptionsLeaveOut() throws {
        let options = try #require(try Self.parse(["health"]) as? PubMedMirrorCommand.Health).sourceOptions
        let (source, transfer) = try options.resolved(environment: [
            "PUBMED_MIRROR_SOURCE": "https://mirror.example/pubmed", "PUBMED_MIRROR_STALL_TIMEOUT": "9",
            "PUBMED_MIRROR_USER": "u", "PUBMED_MIRROR_PASSWORD": "p",
        ])
        #expect(source.description == "https://mirror.example/pubmed/")
        #expect(transfer.stallTimeout == 9 && transfer.connectTimeout == 30)
        #expect(transfer.credentials?.user == "u")
        #expect(throws: ValidationError.self) { _ = try options.resolved(environment: ["PUBMED_MIRROR_CONNECT_TIMEOUT": "soon"]) }
        // The environment's source is named as such when it is wrong.
        let error = try #require(throws: ValidationError.self) { _ = try options.resolved(environment: ["PUBMED_MIRROR_SOURCE": "ftp://a:b@c/"]) }
        #expect(error.message.hasPrefix("PUBMED_MIRROR_SOURCE: "))
        #expect(error.message.contains("set PUBMED_MIRROR_USER and PUBMED_MIRROR_PASSWORD instead"))
    }

    @Test func publishTakesItsTargetAndItsCredentialsFromTheEnvironment() throws {
        let publish = try #require(try Self.parse(["publish", "--target", "sftp://files.lab/srv/pubmed", "--delete", "--jobs", "3"]) as? PubMedMirrorCommand.Publish)
        let key = TestPaths.sharedData.appendingPathComponent("SOURCES.md").path  // any readable file stands for a key here
        let options = try #require(try publish.target.resolved(connection: TransferOptions(), environment: [
            "PUBMED_MIRROR_TARGET_USER": "mirror", "PUBMED_MIRROR_TARGET_PASSWORD": "passphrase", "PUBMED_MIRROR_TARGET_SSH_KEY": key,
            "PUBMED_MIRROR_USER": "source-user",
        ]))
        #expect(options.target.description == "sftp://files.lab/srv/pubmed/" && options.delete && publish.jobs == 3)
        #expect(options.transfer.credentials?.user == "mirror" && options.transfer.credentials?.password == "passphrase")
        #expect(options.transfer.sshKeyFile == key && options.transfer.role == .target)
        // The environment's target, and fetch --publish with the target's own credentials, not the source's.
        let fromEnvironment = try #require(try TargetOptions.parse([]).resolved(connection: TransferOptions(),
                                                                                environment: ["PUBMED_MIRROR_TARGET": "file:///srv/pubmed"]))
        #expect(fromEnvironment.target.description == "file:///srv/pubmed/" && !fromEnvironment.delete)
        let fetch = try #require(try Self.parse(["fetch", "--publish", "ftp://files.lab/pubmed/", "--delete"]) as? PubMedMirrorCommand.Fetch)
        var source = TransferOptions()
        source.credentials = .init(user: "anonymous", password: "")
        let target = try #require(try fetch.target.resolved(connection: source, flag: fetch.publish, environment: [:]))
        #expect(target.target.description == "ftp://files.lab/pubmed/" && target.delete && target.transfer.credentials == nil)
        let error = try #require(throws: ValidationError.self) {
            _ = try publish.target.resolved(connection: TransferOptions(), flag: nil, environment: ["PUBMED_MIRROR_TARGET_SSH_KEY": "/nonexistent/key"])
        }
        #expect(error.message == "PUBMED_MIRROR_TARGET_SSH_KEY: /nonexistent/key cannot be read")
    }

    @Test func failuresMapToTheDocumentedExitCodesByTheirKind() {
        #expect(Exit.code(for: MirrorError.lock(.held(path: "/m/.lock", holder: nil))) == Exit.locked)
        #expect(Exit.code(for: MirrorError.local(FileSystemError(path: "/x", operation: "write", errno: ENOSPC))) == Exit.localError)
        #expect(Exit.code(for: MirrorError.md5Mismatch(file: "f", published: "a", actual: "b")) == Exit.permanentServerError)
        #expect(Exit.code(for: TransferError(kind: .transient, scope: .run, url: "u", summary: "s")) == Exit.unreachable)
        #expect(Exit.code(for: TransferError(kind: .cancelled, scope: .run, url: "u", summary: "s")) == Exit.interrupted)
        #expect(Exit.code(for: IndexError.notIndexed(path: "/m")) == Exit.notFound)
        #expect(Exit.code(for: IndexError.nothingMirrored(path: "/m")) == Exit.notFound)
        #expect(Exit.code(for: QueryError("x", query: "q", offset: 0)) == Exit.usage)
        #expect(Exit.code(for: IndexError.query(QueryError("x", query: "q", offset: 0))) == Exit.usage)
        #expect(Exit.code(for: IndexError.gap(file: "a", missing: "b")) == Exit.partial)
        #expect(Exit.code(for: IndexError.inconsistency("x")) == Exit.internalError)
        #expect(Exit.message(for: IndexError.gap(file: "a", missing: "b"))
                == "a cannot be applied: b, which must be applied before it, is missing or not applied yet (fetch it, or use --allow-gaps to apply anyway)")
    }

    /// Every advice a library stage declares has the command line's own words: an option or a
    /// command it can name, not the library's generic sentence.
    @Test func everyAdviceTheLibraryDeclaresIsRenderedInTheCommandLinesTerms() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        var declared = Set<String>()
        for case let file as String in try #require(FileManager.default.enumerator(atPath: sources.path)) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("static let") && line.contains("= Advice(\"") {
                if let start = line.range(of: "Advice(\"")?.upperBound, let end = line[start...].firstIndex(of: "\"") {
                    declared.insert(String(line[start..<end]))
                }
            }
        }
        #expect(declared.count > 15)
        let rendered = Set(AdviceText.texts.keys.map(\.name))
        #expect(declared.subtracting(rendered).isEmpty, "advice without the command line's words: \(declared.subtracting(rendered).sorted())")
    }
}
