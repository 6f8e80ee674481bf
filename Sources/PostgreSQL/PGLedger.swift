import Foundation
import PubMedFiles
import PubMedListing
import PubMedSupport

/// The tables of the mirror's state in schema `pubmed_mirror` (README, "The PostgreSQL store"):
/// `mirrored_file` (the file ledger), `fetch_run`, `published_file` and `publish_run`, with the
/// columns of `MirroredFile`, `FetchRun`, `PublishedFile` and `PublishRun` in snake case, and
/// `ledger_meta` with the tables' version. Dates are `timestamptz`; values cross as text.
enum PGLedger {
    /// The version of these tables that this pubmed-mirror writes and reads.
    static let version = 1
    /// The advisory lock a writer of the state holds: "ledger" in ASCII.
    static let lock: Int64 = 0x6c65_6467_6572
    /// The first key of a publish target's lock (`pg_try_advisory_lock(int, int)`, the second key
    /// a hash of the target's URL): "pb" in ASCII.
    static let publishLockClass: Int32 = 0x7062

    enum Kind { case value, date }

    /// One table: its columns in the order `values` gives them, the first ones its key.
    struct Table {
        let name: String
        let key: [String]
        let columns: [(name: String, kind: Kind)]

        var table: String { "\(PGCatalog.control).\(name)" }

        /// The columns to SELECT, dates as seconds since 1970.
        var selectList: String {
            columns.map { $0.kind == .date ? "extract(epoch FROM \($0.name))::float8" : $0.name }.joined(separator: ", ")
        }

        private func placeholders(from first: Int, _ columns: ArraySlice<(name: String, kind: Kind)>) -> String {
            columns.enumerated().map { offset, column in
                column.kind == .date ? "to_timestamp($\(first + offset)::float8)" : "$\(first + offset)"
            }.joined(separator: ", ")
        }

        /// Inserts a row or replaces the one with its key.
        var upsert: String {
            let names = columns.map(\.name)
            let updates = names.filter { !key.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
            return "INSERT INTO \(table) (\(names.joined(separator: ", "))) VALUES (\(placeholders(from: 1, columns[...]))) "
                + "ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(updates)"
        }

        /// Inserts a run without its id (the first column), returning the id given.
        var insert: String {
            let rest = columns.dropFirst()
            return "INSERT INTO \(table) (\(rest.map(\.name).joined(separator: ", "))) VALUES (\(placeholders(from: 1, rest))) RETURNING id"
        }
    }

    static let file = Table(name: "mirrored_file", key: ["folder", "name"], columns: [
        ("folder", .value), ("name", .value), ("cycle", .value), ("number", .value), ("status", .value), ("size", .value),
        ("md5", .value), ("remote_modified", .value), ("listed_size", .value), ("listed_size_tolerance", .value),
        ("listed_modified", .value), ("listed_modified_precision", .value), ("md5_listed_size", .value),
        ("md5_listed_modified", .value), ("md5_listed_modified_precision", .value), ("fetched_at", .date),
        ("last_error", .value), ("last_error_code", .value), ("last_error_at", .date),
    ])

    static let fetchRun = Table(name: "fetch_run", key: ["id"], columns: [
        ("id", .value), ("source", .value), ("started_at", .date), ("finished_at", .date), ("outcome", .value),
        ("files_downloaded", .value), ("bytes_downloaded", .value), ("files_failed", .value), ("requests", .value),
        ("error", .value), ("error_code", .value),
    ])

    static let published = Table(name: "published_file", key: ["target", "folder", "name"], columns: [
        ("target", .value), ("folder", .value), ("name", .value), ("size", .value), ("md5", .value), ("published_at", .date),
        ("pending_md5", .value), ("last_error", .value), ("last_error_code", .value), ("last_error_at", .date),
    ])

    static let publishRun = Table(name: "publish_run", key: ["id"], columns: [
        ("id", .value), ("target", .value), ("started_at", .date), ("finished_at", .date), ("outcome", .value),
        ("files_uploaded", .value), ("bytes_uploaded", .value), ("files_deleted", .value), ("files_failed", .value),
        ("requests", .value), ("error", .value), ("error_code", .value),
    ])

    /// Creates the tables when missing; refuses tables of another version.
    static func prepare(_ connection: PGConnection) throws(ServerDatabaseFailure) {
        let found: Int?
        do {
            found = try connection.execute("SELECT value FROM \(PGCatalog.control).ledger_meta WHERE key = 'ledger_version'").string(0, 0).flatMap { Int($0) }
        } catch where error.sqlState == "42P01" || error.sqlState == "3F000" {
            found = nil
        }
        if let found {
            guard found != version else { return }
            throw ServerDatabaseFailure(
                server: connection.url.text, operation: "opening the mirror's state", sqlState: nil,
                message: found < version
                    ? "its state tables are of version \(found), made by an earlier pubmed-mirror; this one reads version \(version)"
                    : "its state tables are of version \(found), made by a newer pubmed-mirror; this one reads version \(version) (upgrade pubmed-mirror)",
                connectionLost: false)
        }
        let c = PGCatalog.control
        try connection.execute("""
            BEGIN;
            CREATE SCHEMA IF NOT EXISTS \(c);
            CREATE TABLE IF NOT EXISTS \(c).ledger_meta (key text PRIMARY KEY, value text NOT NULL);
            CREATE TABLE IF NOT EXISTS \(c).mirrored_file (
                folder text NOT NULL, name text NOT NULL, cycle integer NOT NULL, number integer NOT NULL, status text NOT NULL,
                size bigint, md5 text, remote_modified bigint,
                listed_size bigint, listed_size_tolerance bigint, listed_modified bigint, listed_modified_precision integer,
                md5_listed_size bigint, md5_listed_modified bigint, md5_listed_modified_precision integer,
                fetched_at timestamptz, last_error text, last_error_code text, last_error_at timestamptz,
                PRIMARY KEY (folder, name)
            );
            CREATE TABLE IF NOT EXISTS \(c).fetch_run (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, source text NOT NULL,
                started_at timestamptz NOT NULL, finished_at timestamptz, outcome text,
                files_downloaded integer NOT NULL, bytes_downloaded bigint NOT NULL, files_failed integer NOT NULL,
                requests integer NOT NULL, error text, error_code text
            );
            CREATE TABLE IF NOT EXISTS \(c).published_file (
                target text NOT NULL, folder text NOT NULL, name text NOT NULL, size bigint, md5 text, published_at timestamptz,
                pending_md5 text, last_error text, last_error_code text, last_error_at timestamptz,
                PRIMARY KEY (target, folder, name)
            );
            CREATE TABLE IF NOT EXISTS \(c).publish_run (
                id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, target text NOT NULL,
                started_at timestamptz NOT NULL, finished_at timestamptz, outcome text,
                files_uploaded integer NOT NULL, bytes_uploaded bigint NOT NULL, files_deleted integer NOT NULL,
                files_failed integer NOT NULL, requests integer NOT NULL, error text, error_code text
            );
            INSERT INTO \(c).ledger_meta VALUES ('ledger_version', '\(version)') ON CONFLICT (key) DO NOTHING;
            COMMIT;
            """)
    }

    // MARK: Rows

    static func values(_ file: MirroredFile) -> [String?] {
        [file.folder.rawValue, file.name, String(file.cycle), String(file.number), file.status.rawValue, text(file.size), file.md5,
         text(file.remoteModified), text(file.listedSize), text(file.listedSizeTolerance), text(file.listedModified),
         text(file.listedModifiedPrecision), text(file.md5ListedSize), text(file.md5ListedModified),
         text(file.md5ListedModifiedPrecision), text(file.fetchedAt), file.lastError, file.lastErrorCode, text(file.lastErrorAt)]
    }

    static func mirroredFile(_ result: PGResult, _ row: Int) -> MirroredFile? {
        guard let folder = result.string(row, 0).flatMap(MirrorFolder.init(rawValue:)),
              let status = result.string(row, 4).flatMap(MirroredFile.Status.init(rawValue:)),
              let cycle = result.int(row, 2), let number = result.int(row, 3) else { return nil }
        var file = MirroredFile(folder: folder, file: PubMedFileName(cycle: cycle, number: number), status: status)
        file.name = result.string(row, 1) ?? file.name
        file.size = result.int64(row, 5)
        file.md5 = result.string(row, 6)
        file.remoteModified = result.int64(row, 7)
        file.listedSize = result.int64(row, 8)
        file.listedSizeTolerance = result.int64(row, 9)
        file.listedModified = result.int64(row, 10)
        file.listedModifiedPrecision = result.int(row, 11)
        file.md5ListedSize = result.int64(row, 12)
        file.md5ListedModified = result.int64(row, 13)
        file.md5ListedModifiedPrecision = result.int(row, 14)
        file.fetchedAt = date(result, row, 15)
        file.lastError = result.string(row, 16)
        file.lastErrorCode = result.string(row, 17)
        file.lastErrorAt = date(result, row, 18)
        return file
    }

    static func values(_ run: FetchRun) -> [String?] {
        [text(run.id), run.source, text(run.startedAt), text(run.finishedAt), run.outcome?.rawValue, String(run.filesDownloaded),
         String(run.bytesDownloaded), String(run.filesFailed), String(run.requests), run.error, run.errorCode]
    }

    static func fetchRun(_ result: PGResult, _ row: Int) -> FetchRun? {
        guard let started = date(result, row, 2) else { return nil }
        var run = FetchRun(source: result.string(row, 1) ?? "", startedAt: started)
        run.id = result.int64(row, 0)
        run.finishedAt = date(result, row, 3)
        run.outcome = result.string(row, 4).flatMap(FetchRun.Outcome.init(rawValue:))
        run.filesDownloaded = result.int(row, 5) ?? 0
        run.bytesDownloaded = result.int64(row, 6) ?? 0
        run.filesFailed = result.int(row, 7) ?? 0
        run.requests = result.int(row, 8) ?? 0
        run.error = result.string(row, 9)
        run.errorCode = result.string(row, 10)
        return run
    }

    static func values(_ file: PublishedFile) -> [String?] {
        [file.target, file.folder.rawValue, file.name, text(file.size), file.md5, text(file.publishedAt), file.pendingMD5,
         file.lastError, file.lastErrorCode, text(file.lastErrorAt)]
    }

    static func publishedFile(_ result: PGResult, _ row: Int) -> PublishedFile? {
        guard let folder = result.string(row, 1).flatMap(MirrorFolder.init(rawValue:)) else { return nil }
        var file = PublishedFile(target: result.string(row, 0) ?? "", folder: folder, name: result.string(row, 2) ?? "")
        file.size = result.int64(row, 3)
        file.md5 = result.string(row, 4)
        file.publishedAt = date(result, row, 5)
        file.pendingMD5 = result.string(row, 6)
        file.lastError = result.string(row, 7)
        file.lastErrorCode = result.string(row, 8)
        file.lastErrorAt = date(result, row, 9)
        return file
    }

    static func values(_ run: PublishRun) -> [String?] {
        [text(run.id), run.target, text(run.startedAt), text(run.finishedAt), run.outcome?.rawValue, String(run.filesUploaded),
         String(run.bytesUploaded), String(run.filesDeleted), String(run.filesFailed), String(run.requests), run.error, run.errorCode]
    }

    static func publishRun(_ result: PGResult, _ row: Int) -> PublishRun? {
        guard let started = date(result, row, 2) else { return nil }
        var run = PublishRun(target: result.string(row, 1) ?? "", startedAt: started)
        run.id = result.int64(row, 0)
        run.finishedAt = date(result, row, 3)
        run.outcome = result.string(row, 4).flatMap(PublishRun.Outcome.init(rawValue:))
        run.filesUploaded = result.int(row, 5) ?? 0
        run.bytesUploaded = result.int64(row, 6) ?? 0
        run.filesDeleted = result.int(row, 7) ?? 0
        run.filesFailed = result.int(row, 8) ?? 0
        run.requests = result.int(row, 9) ?? 0
        run.error = result.string(row, 10)
        run.errorCode = result.string(row, 11)
        return run
    }

    private static func text(_ value: (some BinaryInteger)?) -> String? { value.map { String($0) } }
    private static func text(_ value: Date?) -> String? { value.map { String($0.timeIntervalSince1970) } }

    private static func date(_ result: PGResult, _ row: Int, _ column: Int) -> Date? {
        result.double(row, column).map { Date(timeIntervalSince1970: $0) }
    }
}
