import ArgumentParser
import Foundation
import PubMedMirror

/// `--mirror DIR`, on every command.
struct MirrorOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The mirror folder (env PUBMED_MIRROR_DIR; default $XDG_DATA_HOME/pubmed-mirror or ~/.local/share/pubmed-mirror).",
        valueName: "dir"))
    var mirror: String?

    var root: URL {
        if let mirror { return URL(fileURLWithPath: mirror) }
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

/// Where to fetch from and how: `--source`, TLS, timeouts. Each has an environment fallback.
struct SourceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The folder holding baseline/ and updatefiles/: ftp://, ftps:// (explicit TLS), http://, https:// or file:// (env PUBMED_MIRROR_SOURCE; default \(MirrorSource.ncbi)).",
        valueName: "url"))
    var source: String?

    @Flag(name: .long, help: "Do not verify TLS certificates (https://, ftps://). Only for servers you trust by other means.")
    var insecure = false

    @Option(name: .long, help: ArgumentHelp("A PEM file of extra certificate authorities to trust, added to the system's (env PUBMED_MIRROR_CA_FILE).", valueName: "file"))
    var caFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for a connection (env PUBMED_MIRROR_CONNECT_TIMEOUT; default 30).", valueName: "seconds"))
    var connectTimeout: Double?

    @Option(name: .long, help: ArgumentHelp("Seconds without any data before a request counts as stalled and is retried (env PUBMED_MIRROR_STALL_TIMEOUT; default 60). There is no whole-transfer timeout.", valueName: "seconds"))
    var stallTimeout: Double?

    func validate() throws {
        _ = try resolved()
    }

    /// The source and transfer settings, from flags, then the environment, then defaults.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (MirrorSource, TransferOptions) {
        let text = source ?? environment["PUBMED_MIRROR_SOURCE"].flatMap { $0.isEmpty ? nil : $0 } ?? MirrorSource.ncbi
        let parsed: MirrorSource
        do { parsed = try MirrorSource(text) } catch { throw ValidationError(error.description) }
        var options = TransferOptions()
        options.insecure = insecure
        options.caFile = caFile ?? environment["PUBMED_MIRROR_CA_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        if let file = options.caFile, !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("--ca-file \(file) cannot be read")
        }
        options.connectTimeout = try Self.seconds(connectTimeout, environment["PUBMED_MIRROR_CONNECT_TIMEOUT"],
                                                  name: "--connect-timeout", default: 30)
        options.stallTimeout = try Self.seconds(stallTimeout, environment["PUBMED_MIRROR_STALL_TIMEOUT"],
                                                name: "--stall-timeout", default: 60)
        let user = environment["PUBMED_MIRROR_USER"].flatMap { $0.isEmpty ? nil : $0 }
        let password = environment["PUBMED_MIRROR_PASSWORD"] ?? ""
        if let user { options.credentials = .init(user: user, password: password) }
        return (parsed, options)
    }

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
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
