import ArgumentParser
import Foundation
import Logging
import PubMedMirror

/// `--mirror DIR` and `--database URL`, on every command.
struct MirrorOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The mirror folder (env PUBMED_MIRROR_DIR; default $XDG_DATA_HOME/pubmed-mirror or ~/.local/share/pubmed-mirror).",
        valueName: "dir"))
    var mirror: String?

    @Option(name: .long, help: ArgumentHelp(
        "Keep the index and the mirror's state (file ledger, fetch runs) in this PostgreSQL database instead of the mirror folder: postgresql://user@host:port/db?sslmode=… (env PUBMED_MIRROR_DATABASE_URL). The password comes from PGPASSWORD, ~/.pgpass or PUBMED_MIRROR_DATABASE_PASSWORD, never from the URL.",
        valueName: "url"))
    var database: String?

    /// `--database`, else `$PUBMED_MIRROR_DATABASE_URL`; nil for the SQLite index in the folder.
    func databaseURL() throws -> DatabaseURL? {
        let environment = ProcessInfo.processInfo.environment
        let text = database ?? environment["PUBMED_MIRROR_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text else { return nil }
        do {
            return try DatabaseURL(text, environment: environment)
        } catch {
            throw ValidationError("--database: \(error.message)")
        }
    }

    func validate() throws { _ = try databaseURL() }

    /// When the command line or the environment names a database, starts loading libpq at once,
    /// on a thread of its own, so that it is loaded by the time the options are checked (which
    /// parses the URL with it) rather than after: `show --database` a few milliseconds sooner.
    /// A look at the words, not a parse: a `--database` that is some option's value only loads a
    /// library early.
    static func startLoadingTheDatabaseClientIfNamed() {
        if namesADatabase(arguments: CommandLine.arguments, environment: ProcessInfo.processInfo.environment) {
            PostgreSQLClientLibrary.startLoading()
        }
    }

    /// Whether the command line (`arguments`, the program's name first) or the environment names a database.
    static func namesADatabase(arguments: [String], environment: [String: String]) -> Bool {
        arguments.dropFirst().contains { $0 == "--database" || $0.hasPrefix("--database=") }
            || !(environment["PUBMED_MIRROR_DATABASE_URL"] ?? "").isEmpty
    }

    /// The mirror these options name.
    func make(logger: Logger = Logger(label: "pubmed-mirror", factory: { _ in SwiftLogNoOpLogHandler() })) throws -> Mirror {
        Mirror(root: root, database: try databaseURL(), logger: logger)
    }

    /// `--mirror`, else `$PUBMED_MIRROR_DIR`, else the platform's place for program data.
    var root: URL {
        if let mirror { return URL(fileURLWithPath: mirror) }
        if let dir = ProcessInfo.processInfo.environment["PUBMED_MIRROR_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return MirrorLayout.defaultRoot()
    }
}

/// `--quiet` and `--verbose`.
struct OutputOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "No progress and no log lines below warnings; results and errors only.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log every request-level detail (debug).")
    var verbose = false

    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
    }
}

/// Where to fetch from and how: `--source`, and the connection's TLS and timeouts. Each has an
/// environment fallback.
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The folder holding baseline/ and updatefiles/: ftp://, ftps:// (explicit TLS), http://, https://, sftp:// or file:// (env PUBMED_MIRROR_SOURCE; default \(MirrorSource.ncbi)).",
        valueName: "url"))
    var source: String?

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        _ = try resolved()
    }

    /// The source and transfer settings, from flags, then the environment, then defaults.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (MirrorSource, TransferOptions) {
        let fromEnvironment = source == nil ? environment["PUBMED_MIRROR_SOURCE"].flatMap { $0.isEmpty ? nil : $0 } : nil
        let text = source ?? fromEnvironment ?? MirrorSource.ncbi
        let parsed: MirrorSource
        do { parsed = try MirrorSource(text) } catch {
            let origin = fromEnvironment == nil ? "--source" : "PUBMED_MIRROR_SOURCE"
            throw ValidationError("\(origin): " + Exit.message(for: error))
        }
        return (parsed, try connection.resolved(environment: environment))
    }
}

/// How every request is made: TLS trust, timeouts, credentials (`fetch`, `health`, `mesh`).
struct ConnectionOptions: ParsableArguments {
    @Flag(name: .long, help: "Do not verify TLS certificates (https://, ftps://). Only for servers you trust by other means.")
    var insecure = false

    @Option(name: .long, help: ArgumentHelp("A PEM file of extra certificate authorities to trust, added to the system's (env PUBMED_MIRROR_CA_FILE).", valueName: "file"))
    var caFile: String?

    @Option(name: .long, help: ArgumentHelp("sftp://: the OpenSSH known-hosts file the server's host key must be in (env PUBMED_MIRROR_KNOWN_HOSTS; default ~/.ssh/known_hosts).", valueName: "file"))
    var knownHosts: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for a connection (env PUBMED_MIRROR_CONNECT_TIMEOUT; default 30).", valueName: "seconds"))
    var connectTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Seconds without any data before a request counts as stalled and is retried (env PUBMED_MIRROR_STALL_TIMEOUT; default 60). There is no whole-transfer timeout.", valueName: "seconds"))
    var stallTimeout: Double?

    /// The transfer settings, from flags, then the environment, then defaults.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TransferOptions {
        var options = TransferOptions()
        options.insecure = insecure
        options.caFile = caFile ?? environment["PUBMED_MIRROR_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let file = options.caFile, !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("--ca-file \(file) cannot be read")
        }
        options.connectTimeout = try EnvironmentValue.seconds(connectTimeout, environment["PUBMED_MIRROR_CONNECT_TIMEOUT"],
                                                              name: "--connect-timeout", default: 30)
        options.stallTimeout = try EnvironmentValue.seconds(stallTimeout, environment["PUBMED_MIRROR_STALL_TIMEOUT"],
                                                            name: "--stall-timeout", default: 60)
        options.knownHostsFile = knownHosts ?? environment["PUBMED_MIRROR_KNOWN_HOSTS"].flatMap { $0.isEmpty ? nil : $0 }
        if let file = options.knownHostsFile, !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("--known-hosts \(file) cannot be read")
        }
        try Self.login(&options, user: "PUBMED_MIRROR_USER", password: "PUBMED_MIRROR_PASSWORD", key: "PUBMED_MIRROR_SSH_KEY", environment: environment)
        return options
    }

    /// A user and password, or for SFTP a private key file (the password then unlocks it), from
    /// the environment only: never from the command line, where the process list shows them.
    static func login(_ options: inout TransferOptions, user userVariable: String, password passwordVariable: String,
                      key keyVariable: String, environment: [String: String]) throws {
        options.credentials = nil
        let user = environment[userVariable].flatMap { $0.isEmpty ? nil : $0 }
        let password = environment[passwordVariable] ?? ""
        if let user { options.credentials = .init(user: user, password: password) }
        if let key = environment[keyVariable].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard FileManager.default.isReadableFile(atPath: key) else { throw ValidationError("\(keyVariable): \(key) cannot be read") }
            options.sshKeyFile = key
            if user == nil, !password.isEmpty { options.credentials = .init(user: TransferOptions.localUserName, password: password) }
        }
    }
}

/// Settings given as an option or, failing that, an environment variable: the one place they are
/// parsed and checked.
enum EnvironmentValue {
    /// A positive number of seconds.
    static func seconds(_ flag: Double?, _ variable: String?, name: String, default value: Double) throws -> Double {
        if let flag {
            guard flag > 0, flag.isFinite else { throw ValidationError("\(name) must be a positive number of seconds") }
            return flag
        }
        if let variable, !variable.isEmpty {
            guard let parsed = Double(variable), parsed > 0, parsed.isFinite else {
                throw ValidationError("the environment's value for \(name) (\(variable)) is not a positive number of seconds")
            }
            return parsed
        }
        return value
    }

    /// A whole number in `range`.
    static func integer(_ flag: Int?, _ variable: String?, name: String, environmentName: String,
                        in range: ClosedRange<Int>, default value: Int) throws -> Int {
        if let flag {
            guard range.contains(flag) else { throw ValidationError("\(name) must be between \(range.lowerBound) and \(range.upperBound)") }
            return flag
        }
        if let variable, !variable.isEmpty {
            guard let parsed = Int(variable), range.contains(parsed) else {
                throw ValidationError("\(environmentName) must be a number between \(range.lowerBound) and \(range.upperBound), not \(variable)")
            }
            return parsed
        }
        return value
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
