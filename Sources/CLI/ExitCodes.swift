import ArgumentParser
import Foundation
import PubMedMirror

/// The documented exit codes (README, "Exit codes"), and the one mapping of failures to them:
/// by the kind of each failure's stable code.
enum Exit {
    static let success = ExitCode(0)
    static let internalError = ExitCode(1)
    /// Some files failed; every file in place is verified.
    static let partial = ExitCode(2)
    /// Another run holds the mirror folder's lock.
    static let locked = ExitCode(3)
    /// The server refused for good: login, TLS trust, folder not found; or sent files that fail verification.
    static let permanentServerError = ExitCode(4)
    /// The server could not be reached or listed, even after retries; `health` found it unhealthy.
    static let unreachable = ExitCode(5)
    /// `verify` found damaged or missing files.
    static let damaged = ExitCode(6)
    /// A local failure: disk full, permissions, the state database, results that cannot be written.
    static let localError = ExitCode(7)
    /// `show` of a PMID the index does not hold; a command that needs the index (or mirrored files)
    /// before there is one. `search` with no hit is not an error.
    static let notFound = ExitCode(8)
    /// Usage or configuration error (ArgumentParser's own code for validation failures).
    static let usage = ExitCode.validationFailure
    static let interrupted = ExitCode(130)

    static func code(for error: any CodedError) -> ExitCode {
        code(for: error.code)
    }

    static func code(for code: ErrorCode) -> ExitCode {
        switch code.kind {
        case .local: localError
        case .serverRefused, .serverData: permanentServerError
        case .serverUnreachable: unreachable
        case .locked: locked
        case .notFound: notFound
        case .invalidInput: usage
        case .badFile: partial
        case .interrupted: interrupted
        case .internalError: internalError
        }
    }

    /// The one sentence printed for a failure: what happened, then what would help, in the
    /// command line's own terms.
    static func message(for error: any CodedError) -> String {
        message(error.description, advice: error.advice)
    }

    static func message(_ text: String, advice: [Advice]) -> String {
        let help = advice.map(AdviceText.text).joined(separator: ", or ")
        return help.isEmpty ? text : "\(text) (\(help))"
    }
}

/// What the library's advice means on this command line: the options and commands that carry it out.
enum AdviceText {
    static func text(_ advice: Advice) -> String {
        texts[advice] ?? advice.description
    }

    static let texts: [Advice: String] = [
        .raiseStallTimeout: "raise --stall-timeout if the link is very slow",
        .checkTimeouts: "see --connect-timeout and --stall-timeout",
        .lowerJobs: "it has too many connections; lower --jobs if this persists",
        .checkCredentials: "NCBI needs no login; check PUBMED_MIRROR_USER and PUBMED_MIRROR_PASSWORD",
        .trustCertificate: "add its certificate authority with --ca-file, or use --insecure only if you accept the risk",
        .usePlainFTP: "use ftp:// instead of ftps:// if the server has no TLS",
        .checkSource: "check --source",
        .checkSourceAndDNS: "check --source and this machine's DNS",
        .checkSourceFolder: "check that --source names the folder that holds baseline/ and updatefiles/",
        .tryAgainLater: "try again later",
        .credentialsFromEnvironment: "set PUBMED_MIRROR_USER and PUBMED_MIRROR_PASSWORD instead",
        .installLibcurl: "install libcurl 7.85 or later: apt-get install libcurl4-openssl-dev",
        .freeSpace: "free some space and run again; what is mirrored is intact",
        .useLargerDisk: "use --mirror on a larger disk",
        .waitForOtherRun: "try again when it has finished",
        .fetchMissing: "fetch it",
        .allowGaps: "use --allow-gaps to apply anyway",
        .runIndex: "run `pubmed-mirror index` (or `fetch`)",
        .runFetch: "run `pubmed-mirror fetch` first",
        .rebuildIndex: "rebuild it from the mirrored files with `pubmed-mirror index --rebuild`",
        .exportAll: "export everything again without --since, and follow from the high-water mark that export gives",
        .reportBug: "a bug: please report it",
        .buildMeSH: "run `pubmed-mirror mesh` to build it",
        .fetchBeforePublishing: "run `pubmed-mirror fetch` first",
        .chooseShardFolder: "give --shards a folder that does not exist yet, or one an earlier `export --shards` made",
        .publishAgain: "run `pubmed-mirror publish` again once the fetch is done",
        .freeTargetSpace: "free space on the target server; what is published there is intact",
        .checkTargetPermissions: "check that PUBMED_MIRROR_TARGET_USER may create, rename and delete files in the target's folders",
        .addKnownHost: "add the server's host key to the known-hosts file (--known-hosts; ssh-keyscan -p PORT HOST, after checking it)",
        .checkTargetCredentials: "check PUBMED_MIRROR_TARGET_USER and PUBMED_MIRROR_TARGET_PASSWORD",
        .checkSSHCredentials: "check PUBMED_MIRROR_TARGET_USER and PUBMED_MIRROR_TARGET_SSH_KEY",
        .databasePassword: "give the database password in PGPASSWORD, ~/.pgpass or PUBMED_MIRROR_DATABASE_PASSWORD (never in --database)",
        .freeServerSpace: "free space on the database server and run again; every file applied before is intact",
        .createDatabase: "check the database named in --database (or PUBMED_MIRROR_DATABASE_URL), or create it on the server (`createdb NAME`) and run again",
        .tryLater: "run again when the database server is back; a file that was being applied was rolled back and is applied again then",
        .verifyWhereFetched: "run `pubmed-mirror verify` on the machine that fetches, with its --mirror folder",
    ]
}
