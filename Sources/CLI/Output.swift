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

    init(_ status: MirrorStatus) {
        mirror = status.mirrorPath
        exists = status.exists
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

/// Human-readable results on stdout.
enum TextOutput {
    static func fetch(_ report: FetchReport, mirror: String) -> String {
        let plan = report.plan
        var lines: [String] = []
        if report.outcome == .planned {
            lines.append("Plan for \(mirror) from \(report.source):")
            for (label, action) in [("new", MirrorPlan.Action.download(.new)), ("republished", .download(.republished)),
                                    ("missing locally", .download(.missingLocally)), ("damaged", .download(.damaged)),
                                    ("retry", .download(.retry))] {
                let items = plan.items.filter { $0.action == action }
                if !items.isEmpty {
                    let bytes = items.reduce(Int64(0)) { $0 + $1.estimatedBytes }
                    lines.append("  download (\(label)): \(items.count) files, \(ByteCount.format(bytes))")
                }
            }
            lines.append("  check .md5 (listing changed): \(plan.count(.check))")
            lines.append("  unchanged: \(plan.count(.unchanged))")
            lines.append("  gone from the server (kept): \(plan.count(.gone))")
            if plan.count(.unverifiable) > 0 { lines.append("  no .md5 published (will fail): \(plan.count(.unverifiable))") }
            if plan.count(.obsolete) > 0 { lines.append("  older cycle than the newest baseline (not downloaded): \(plan.count(.obsolete))") }
            lines.append("  to download: \(plan.downloadCount) files, \(ByteCount.format(plan.bytesToDownload))")
            if let free = report.freeBytes {
                let fits = free >= report.bytesNeeded ? "" : "  NOT ENOUGH SPACE"
                lines.append("  disk needed (downloads and index growth): about \(ByteCount.format(report.bytesNeeded)); free: \(ByteCount.format(free))\(fits)")
            }
            for item in plan.work.prefix(50) {
                lines.append("    \(item.folder.rawValue)/\(item.file.name)  \(describe(item.action))")
            }
            if plan.work.count > 50 { lines.append("    … and \(plan.work.count - 50) more") }
            return lines.joined(separator: "\n")
        }
        let downloaded = report.downloads.reduce(Int64(0)) { $0 + $1.received }
        lines.append("\(report.outcome.rawValue): \(report.downloads.count) downloaded (\(ByteCount.format(downloaded))), \(report.confirmed) confirmed unchanged, \(plan.count(.unchanged)) unchanged, \(plan.count(.gone)) gone from the server, \(report.failures.count) failed; \(report.requests) requests in \(String(format: "%.2f", report.seconds)) s")
        for download in report.downloads {
            let resumed = download.resumedFrom > 0 ? ", resumed from \(download.resumedFrom)" : ""
            lines.append("  \(download.folder.rawValue)/\(download.name)  \(download.reason.rawValue)  \(download.size) bytes\(resumed)  md5 \(download.md5)")
        }
        for failure in report.failures {
            lines.append("  FAILED \(failure.folder.rawValue)/\(failure.name): \(Exit.message(failure.message, advice: failure.advice))")
        }
        if let error = report.runError { lines.append("  run stopped: \(Exit.message(for: error))") }
        if let index = report.index { lines.append(TextOutput.index(index)) }
        if let error = report.indexError { lines.append("  indexing failed: \(Exit.message(for: error))") }
        return lines.joined(separator: "\n")
    }

    static func index(_ report: IndexReport) -> String {
        let summary = IndexSummary(report)
        var lines = ["indexed \(report.applied.count) files: \(summary.records) records (\(summary.inserted) new, \(summary.replaced) replaced), \(summary.deleted) deleted, \(summary.deletionsAbsent) deletions of absent records, in \(String(format: "%.1f", report.seconds)) s"]
        if let counts = report.counts {
            lines.append("  index: \(counts.current) current records, \(counts.versions) versions, \(counts.files) files applied, high-water mark \(counts.highWaterMark)")
        }
        if let rollover = report.rollover {
            lines.append(TextOutput.rollover(rollover))
        }
        for failure in report.failures { lines.append("  NOT APPLIED \(failure.name): \(Exit.message(failure.message, advice: failure.advice))") }
        if report.interrupted { lines.append("  interrupted: the file being applied was rolled back; the next run applies it") }
        if !report.skipped.isEmpty { lines.append("  skipped \(report.skipped.count) files of an older cycle") }
        return lines.joined(separator: "\n")
    }

    static func rollover(_ state: RolloverState) -> String {
        if state.switched {
            return "  rollover from cycle \(state.fromCycle) to \(state.toCycle) complete: the new index is in use; \(state.filesPruned) old-cycle files pruned"
        }
        return "  rollover from cycle \(state.fromCycle) to \(state.toCycle) in progress: \(state.baselineMirrored) of \(state.baselineListed) new baseline files mirrored, \(state.filesIndexed) files in the new index; the cycle \(state.fromCycle) index keeps answering"
    }

    static func applied(_ file: AppliedFile) -> String {
        "indexed \(file.name): \(file.records) records (\(file.inserted) new, \(file.replaced) replaced), \(file.deleted) deleted, \(file.deletionsAbsent) deletions of absent records, in \(String(format: "%.1f", file.seconds)) s"
    }

    /// Text on one line: tabs and newlines become spaces (for text and TSV output).
    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    static func record(_ stored: StoredRecord) throws -> String {
        let record = try stored.record
        var lines: [String] = []
        lines.append(record.title)
        if let vernacular = record.vernacularTitle { lines.append(vernacular) }
        let authors = record.authors.map { $0.collectiveName ?? [$0.lastName, $0.initials].compactMap { $0 }.joined(separator: " ") }
        if !authors.isEmpty { lines.append(authors.joined(separator: ", ")) }
        var citation: [String] = []
        if let journal = record.journal?.isoAbbreviation ?? record.journal?.title { citation.append(journal) }
        if let date = record.pubDate {
            citation.append(date.medlineDate ?? [date.year.map(String.init), date.season].compactMap { $0 }.joined(separator: " "))
        }
        var volume = record.journal?.volume ?? ""
        if let issue = record.journal?.issue { volume += "(\(issue))" }
        if !volume.isEmpty { citation.append(volume) }
        if let pages = record.pages { citation.append(pages) }
        if !citation.isEmpty { lines.append(citation.joined(separator: "; ")) }
        var ids = ["PMID \(record.pmid).\(record.version)\(stored.isCurrent ? "" : " (not current)")"]
        if stored.versions.count > 1 { ids.append("versions \(stored.versions.map(String.init).joined(separator: ", "))") }
        if let doi = record.doi { ids.append("doi:\(doi)") }
        if let pmcid = record.pmcid { ids.append(pmcid) }
        if let status = record.status { ids.append(status) }
        lines.append(ids.joined(separator: "  "))
        if !record.abstractSections.isEmpty {
            lines.append("")
            for section in record.abstractSections {
                lines.append((section.label.map { "\($0): " } ?? "") + section.text)
            }
        }
        if !record.meshHeadings.isEmpty {
            lines.append("")
            lines.append("MeSH: " + record.meshHeadings.map { ($0.majorTopic ? "*" : "") + $0.descriptor + $0.qualifiers.map { "/" + $0.name }.joined() }.joined(separator: "; "))
        }
        if !record.keywords.isEmpty { lines.append("Keywords: " + record.keywords.joined(separator: "; ")) }
        if !record.publicationTypes.isEmpty { lines.append("Type: " + record.publicationTypes.joined(separator: "; ")) }
        if let source = record.sourceFile { lines.append("From \(source)") }
        return lines.joined(separator: "\n")
    }

    static func describe(_ action: MirrorPlan.Action) -> String {
        switch action {
        case .download(let reason): "download (\(reason.rawValue))"
        case .check: "check .md5"
        case .unchanged: "unchanged"
        case .gone: "gone"
        case .unverifiable: "no .md5"
        case .obsolete: "older cycle (not downloaded)"
        }
    }

    static func status(_ status: MirrorStatus) -> String {
        guard status.exists else { return "No mirror at \(status.mirrorPath) yet: run `pubmed-mirror fetch`." }
        let files = status.files
        var lines = ["Mirror \(status.mirrorPath): \(files.totalFiles) files, \(ByteCount.format(files.totalBytes))"]
        for folder in files.folders {
            var line = "  \(folder.folder.rawValue)/: \(folder.mirrored) mirrored (\(ByteCount.format(folder.bytes)))"
            if let first = folder.first, let last = folder.last { line += ", \(first) … \(last)" }
            if folder.missing > 0 { line += ", \(folder.missing) not yet fetched" }
            if folder.damaged > 0 { line += ", \(folder.damaged) damaged" }
            if folder.gone > 0 { line += ", \(folder.gone) gone from the server" }
            lines.append(line)
        }
        if let run = files.lastRun {
            let when = run.finishedAt.map { $0.formatted(.iso8601) } ?? "started \(run.startedAt.formatted(.iso8601)), not finished"
            lines.append("Last fetch: \(run.outcome?.rawValue ?? "running or killed"), \(when), \(run.filesDownloaded) files (\(ByteCount.format(run.bytesDownloaded))), \(run.filesFailed) failed, from \(run.source)")
            if let error = run.error { lines.append("  \(error)") }
        }
        if let success = files.lastSuccess, let finished = success.finishedAt {
            lines.append("Last complete fetch: \(finished.formatted(.iso8601))")
        }
        if let index = status.index {
            lines.append("Index: \(index.current) current records (\(index.versions) versions) from \(index.files) files, high-water mark \(index.highWaterMark)\(status.notIndexed.isEmpty ? "" : "; \(status.notIndexed.count) mirrored files not indexed yet")")
        } else if let error = status.indexError {
            lines.append("Index: cannot be read: \(Exit.message(for: error))")
        } else {
            lines.append("Index: none yet (run `pubmed-mirror index`)")
        }
        if let state = status.rollover { lines.append(TextOutput.rollover(state)) }
        if files.pending.isEmpty {
            lines.append("Pending: nothing")
        } else {
            lines.append("Pending: \(files.pending.count) files")
            for item in files.pending {
                let partial = item.partialBytes.map { ", \(ByteCount.format($0)) partial" } ?? ""
                lines.append("  \(item.folder.rawValue)/\(item.name) (\(item.status.rawValue)\(partial))\(item.error.map { ": \($0)" } ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func verify(_ report: VerifyReport) -> String {
        var lines = ["\(report.files.count - report.problems.count) of \(report.files.count) files verified (\(ByteCount.format(report.bytesHashed)) in \(String(format: "%.1f", report.seconds)) s)"]
        for problem in report.problems {
            lines.append("  \(problem.result.rawValue.uppercased()) \(problem.folder.rawValue)/\(problem.name): \(problem.detail ?? "")")
        }
        if !report.problems.isEmpty { lines.append("Damaged and missing files are marked; the next fetch downloads them again.") }
        return lines.joined(separator: "\n")
    }

    static func health(_ report: HealthReport) -> String {
        var lines = ["\(report.healthy ? "healthy" : "UNHEALTHY"): \(report.source)"]
        for check in report.checks {
            if check.ok {
                lines.append("  \(check.folder.rawValue)/: listed \(check.files) files in \(String(format: "%.0f", check.milliseconds)) ms\(check.withoutMD5 > 0 ? " (\(check.withoutMD5) without .md5)" : "")")
            } else {
                lines.append("  \(check.folder.rawValue)/: FAILED after \(String(format: "%.0f", check.milliseconds)) ms: \(check.error ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }
}
