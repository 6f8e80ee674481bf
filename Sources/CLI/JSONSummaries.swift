import Foundation
import PubMedMirror

/// Machine-readable results on stdout: camelCase JSON, one object per command run.
enum JSONOutput {
    static func write<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        try ResultWriter.standardOutput.write(Array(data))
        try ResultWriter.standardOutput.write("\n")
    }
}

struct FetchSummary: Encodable {
    struct File: Encodable {
        var folder: String
        var name: String
        var reason: String?
        var bytes: Int64?
        var received: Int64?
        var resumedFrom: Int64?
        var md5: String?
        var error: String?
        var errorCode: String?
    }
    struct Plan: Encodable {
        var new: Int
        var toDownload: Int
        var toCheck: Int
        var unchanged: Int
        var gone: Int
        var unverifiable: Int
        var bytesToDownload: Int64
    }
    var mirror: String
    var source: String
    var outcome: String
    var plan: Plan
    var downloaded: [File]
    var confirmedUnchanged: Int
    var failed: [File]
    var ignoredNames: [String]
    var error: String?
    var errorCode: String?
    var requests: Int
    var bytesReceived: Int64
    var seconds: Double
    var freeBytes: Int64?
    var bytesNeeded: Int64
    var index: IndexSummary?
    var indexError: String?
    var indexErrorCode: String?
    /// `fetch --mesh`: what the thesaurus update did.
    var mesh: MeshSummary?
    /// `fetch --publish`: what publishing did.
    var publish: PublishSummary?

    init(_ report: FetchReport, mirror: String) {
        self.mirror = mirror
        source = report.source
        outcome = report.outcome.rawValue
        let plan = report.plan
        self.plan = Plan(new: plan.count(.download(.new)), toDownload: plan.downloadCount, toCheck: plan.count(.check),
                         unchanged: plan.count(.unchanged), gone: plan.count(.gone), unverifiable: plan.count(.unverifiable),
                         bytesToDownload: plan.bytesToDownload)
        downloaded = report.downloads.map {
            File(folder: $0.folder.rawValue, name: $0.name, reason: $0.reason.rawValue, bytes: $0.size,
                 received: $0.received, resumedFrom: $0.resumedFrom, md5: $0.md5)
        }
        confirmedUnchanged = report.confirmed
        failed = report.failures.map {
            File(folder: $0.folder.rawValue, name: $0.name, error: Exit.message($0.message, advice: $0.advice), errorCode: $0.code.name)
        }
        ignoredNames = report.ignored.filter { $0.reason == .unsafe || $0.reason == .unexpected }
            .map { "\($0.folder.rawValue)/\($0.printableName)" }
        error = report.runError.map(Exit.message(for:))
        errorCode = report.runError?.code.name
        requests = report.requests
        bytesReceived = report.bytesReceived
        seconds = report.seconds
        freeBytes = report.freeBytes
        bytesNeeded = report.bytesNeeded
        index = report.index.map(IndexSummary.init)
        indexError = report.indexError.map(Exit.message(for:))
        indexErrorCode = report.indexError?.code.name
    }
}

struct IndexSummary: Encodable {
    struct Problem: Encodable {
        var name: String
        var message: String
        var code: String
        init(_ problem: IndexReport.Problem) {
            name = problem.name
            message = Exit.message(problem.message, advice: problem.advice)
            code = problem.code.name
        }
    }
    var applied: [AppliedFile]
    var records: Int
    var inserted: Int
    var replaced: Int
    var deleted: Int
    var deletionsAbsent: Int
    var failed: [Problem]
    var skipped: [Problem]
    var currentRecords: Int?
    var highWaterMark: Int64?
    var seconds: Double
    var rollover: RolloverState?
    var interrupted: Bool

    init(_ report: IndexReport) {
        applied = report.applied
        records = report.applied.reduce(0) { $0 + $1.records }
        inserted = report.applied.reduce(0) { $0 + $1.inserted }
        replaced = report.applied.reduce(0) { $0 + $1.replaced }
        deleted = report.applied.reduce(0) { $0 + $1.deleted }
        deletionsAbsent = report.applied.reduce(0) { $0 + $1.deletionsAbsent }
        failed = report.failures.map(Problem.init)
        skipped = report.skipped.map(Problem.init)
        currentRecords = report.counts?.current
        highWaterMark = report.counts?.highWaterMark
        seconds = report.seconds
        rollover = report.rollover
        interrupted = report.interrupted
    }
}

struct StatusSummary: Encodable {
    struct Folder: Encodable {
        var folder: String
        var mirrored: Int
        var missing: Int
        var damaged: Int
        var gone: Int
        var bytes: Int64
        var first: String?
        var last: String?
    }
    struct Run: Encodable {
        var startedAt: Date
        var finishedAt: Date?
        var outcome: String?
        var filesDownloaded: Int
        var bytesDownloaded: Int64
        var filesFailed: Int
        var source: String
        var error: String?
        var errorCode: String?
        init(_ run: FetchRun) {
            startedAt = run.startedAt
            finishedAt = run.finishedAt
            outcome = run.outcome?.rawValue ?? "running-or-killed"
            filesDownloaded = run.filesDownloaded
            bytesDownloaded = run.bytesDownloaded
            filesFailed = run.filesFailed
            source = run.source
            error = run.error
            errorCode = run.errorCode
        }
    }
    struct Pending: Encodable {
        var folder: String
        var name: String
        var status: String
        var error: String?
        var errorCode: String?
        var partialBytes: Int64?
    }
    var mirror: String
    var exists: Bool
    /// Where the file ledger and the fetch runs are kept: the folder's state database, or the server.
    var state: String?
    var files: Int
    var bytes: Int64
    var folders: [Folder]
    var lastFetch: Run?
    var lastSuccessfulFetch: Run?
    var pending: [Pending]
    var index: IndexCounts?
    var notIndexed: [String]
    var indexError: String?
    var indexErrorCode: String?
    var rollover: RolloverState?
    var mesh: MeshThesaurusInfo?
    var meshError: String?
    var meshErrorCode: String?
    var published: [PublishedTargetSummary]

    init(_ status: MirrorStatus) {
        mirror = status.mirrorPath
        exists = status.exists
        state = status.stateLocation
        files = status.files.totalFiles
        bytes = status.files.totalBytes
        folders = status.files.folders.map {
            Folder(folder: $0.folder.rawValue, mirrored: $0.mirrored, missing: $0.missing, damaged: $0.damaged,
                   gone: $0.gone, bytes: $0.bytes, first: $0.first, last: $0.last)
        }
        lastFetch = status.files.lastRun.map(Run.init)
        lastSuccessfulFetch = status.files.lastSuccess.map(Run.init)
        pending = status.files.pending.map {
            Pending(folder: $0.folder.rawValue, name: $0.name, status: $0.status.rawValue, error: $0.error, errorCode: $0.errorCode,
                    partialBytes: $0.partialBytes)
        }
        index = status.index
        notIndexed = status.notIndexed
        indexError = status.indexError.map(Exit.message(for:))
        indexErrorCode = status.indexError?.code.name
        rollover = status.rollover
        mesh = status.mesh
        meshError = status.meshError.map(Exit.message(for:))
        meshErrorCode = status.meshError?.code.name
        published = status.published.map(PublishedTargetSummary.init)
    }
}

struct VerifySummary: Encodable {
    struct File: Encodable {
        var folder: String
        var name: String
        var result: String
        var detail: String?
    }
    var files: Int
    var ok: Int
    var problems: [File]
    var bytesHashed: Int64
    var seconds: Double

    init(_ report: VerifyReport) {
        files = report.files.count
        ok = report.files.count - report.problems.count
        problems = report.problems.map { File(folder: $0.folder.rawValue, name: $0.name, result: $0.result.rawValue, detail: $0.detail) }
        bytesHashed = report.bytesHashed
        seconds = report.seconds
    }
}

struct HealthSummary: Encodable {
    struct Check: Encodable {
        var folder: String
        var ok: Bool
        var milliseconds: Double
        var files: Int
        var withoutMD5: Int
        var error: String?
        var errorCode: String?
    }
    var source: String
    var healthy: Bool
    var checks: [Check]

    init(_ report: HealthReport) {
        source = report.source
        healthy = report.healthy
        checks = report.checks.map {
            Check(folder: $0.folder.rawValue, ok: $0.ok, milliseconds: ($0.milliseconds * 10).rounded() / 10,
                  files: $0.files, withoutMD5: $0.withoutMD5, error: $0.error, errorCode: $0.errorCode?.name)
        }
    }
}

struct MeshSummary: Encodable {
    var outcome: String
    var source: String
    /// The thesaurus file, and what it holds after the run.
    var path: String
    var thesaurus: MeshThesaurusInfo?
    var remoteSize: Int64?
    var remoteModified: Int64?
    var descriptorsFound: Int?
    var bytesReceived: Int64
    var resumedFrom: Int64
    var requests: Int
    var seconds: Double

    init(_ report: MeshReport, thesaurus path: String) {
        outcome = report.outcome.rawValue
        source = report.source
        self.path = path
        thesaurus = report.thesaurus
        remoteSize = report.remoteSize
        remoteModified = report.remoteModified
        descriptorsFound = report.descriptorsFound
        bytesReceived = report.bytesReceived
        resumedFrom = report.resumedFrom
        requests = report.requests
        seconds = report.seconds
    }
}

struct PublishSummary: Encodable {
    struct File: Encodable {
        var folder: String
        var name: String
        var reason: String?
        var bytes: Int64?
        var sent: Int64?
        var resumedFrom: Int64?
        var error: String?
        var errorCode: String?
    }
    struct Plan: Encodable {
        var upload: Int
        var sendMD5: Int
        var confirm: Int
        var inPlace: Int
        var delete: Int
        var bytesToUpload: Int64
        var files: [File]
        var deletions: [String]
    }
    var target: String
    var outcome: String
    var plan: Plan
    var uploaded: [File]
    var md5Sent: Int
    var confirmedInPlace: Int
    var deleted: [String]
    var deletionsHeldBack: Int
    var temporaryFilesRemoved: Int
    var failed: [File]
    var error: String?
    var errorCode: String?
    var requests: Int
    var bytesSent: Int64
    var seconds: Double

    init(_ report: PublishReport) {
        target = report.target
        outcome = report.outcome.rawValue
        let plan = report.plan
        self.plan = Plan(upload: plan.uploads.count, sendMD5: plan.count(.sendMD5), confirm: plan.count(.confirm),
                         inPlace: plan.count(.inPlace), delete: plan.deletions.count, bytesToUpload: plan.bytesToUpload,
                         files: plan.work.map { File(folder: $0.folder.rawValue, name: $0.file.name, reason: TextOutput.describe($0.action), bytes: $0.size) },
                         deletions: plan.deletions.map { "\($0.folder.rawValue)/\($0.name)" })
        uploaded = report.uploads.map {
            File(folder: $0.folder.rawValue, name: $0.name, reason: $0.reason.rawValue, bytes: $0.size, sent: $0.sent, resumedFrom: $0.resumedFrom)
        }
        md5Sent = report.md5Sent
        confirmedInPlace = report.confirmed
        deleted = report.deleted.map { "\($0.folder.rawValue)/\($0.name)" }
        deletionsHeldBack = report.deletionsHeldBack
        temporaryFilesRemoved = report.leftoversRemoved
        failed = report.failures.map {
            File(folder: $0.folder.rawValue, name: $0.name, error: Exit.message($0.message, advice: $0.advice), errorCode: $0.code.name)
        }
        error = report.runError.map(Exit.message(for:))
        errorCode = report.runError?.code.name
        requests = report.requests
        bytesSent = report.bytesSent
        seconds = report.seconds
    }
}

/// What `status` tells of one publish target.
struct PublishedTargetSummary: Encodable {
    var target: String
    var files: Int
    var bytes: Int64
    var failing: Int
    var lastPublished: Date?
    var lastRun: String?
    var lastRunAt: Date?
    var lastRunError: String?

    init(_ target: PublishedTarget) {
        self.target = target.target
        files = target.files
        bytes = target.bytes
        failing = target.failing
        lastPublished = target.lastPublished
        lastRun = target.lastRun.map { $0.outcome?.rawValue ?? "running-or-killed" }
        lastRunAt = target.lastRun?.finishedAt ?? target.lastRun?.startedAt
        lastRunError = target.lastRun?.error
    }
}
