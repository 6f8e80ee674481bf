import Foundation
import PubMedMirror

/// Human-readable results on stdout.
enum TextOutput {
    /// Pending files `status` lists one a line; more are counted.
    static let pendingShown = 20

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

    static func publish(_ report: PublishReport) -> String {
        let plan = report.plan
        var lines: [String] = []
        if report.outcome == .planned {
            lines.append("Plan for publishing to \(report.target):")
            lines.append("  upload: \(plan.uploads.count) files, \(ByteCount.format(plan.bytesToUpload))")
            if plan.count(.sendMD5) > 0 { lines.append("  .md5 only: \(plan.count(.sendMD5))") }
            if plan.count(.confirm) > 0 { lines.append("  check the target's .md5 (send if it differs): \(plan.count(.confirm))") }
            lines.append("  in place: \(plan.count(.inPlace))")
            lines.append("  delete: \(plan.deletions.count)")
            for item in plan.work.prefix(50) { lines.append("    \(item.folder.rawValue)/\(item.file.name)  \(describe(item.action))") }
            if plan.work.count > 50 { lines.append("    … and \(plan.work.count - 50) more") }
            for deletion in plan.deletions.prefix(50) { lines.append("    \(deletion.folder.rawValue)/\(deletion.name)  delete") }
            if plan.deletions.count > 50 { lines.append("    … and \(plan.deletions.count - 50) more deletions") }
            return lines.joined(separator: "\n")
        }
        lines.append("published \(report.outcome.rawValue) to \(report.target): \(report.uploads.count) uploaded (\(ByteCount.format(report.bytesSent)) sent), \(report.md5Sent) .md5 only, \(report.confirmed) confirmed in place, \(plan.count(.inPlace)) in place, \(report.deleted.count) deleted, \(report.failures.count) failed; \(report.requests) requests in \(String(format: "%.2f", report.seconds)) s")
        for upload in report.uploads {
            let resumed = upload.resumedFrom > 0 ? ", resumed from \(upload.resumedFrom)" : ""
            lines.append("  \(upload.folder.rawValue)/\(upload.name)  \(upload.reason.rawValue)  \(upload.size) bytes\(resumed)")
        }
        for deletion in report.deleted { lines.append("  deleted \(deletion.folder.rawValue)/\(deletion.name)") }
        if report.deletionsHeldBack > 0 { lines.append("  \(report.deletionsHeldBack) deletions held back until every file is in place") }
        if report.leftoversRemoved > 0 { lines.append("  \(report.leftoversRemoved) temporary files of earlier runs removed") }
        for failure in report.failures {
            lines.append("  FAILED \(failure.folder.rawValue)/\(failure.name): \(Exit.message(failure.message, advice: failure.advice))")
        }
        if let error = report.runError { lines.append("  run stopped: \(Exit.message(for: error))") }
        return lines.joined(separator: "\n")
    }

    static func describe(_ action: PublishPlan.Action) -> String {
        switch action {
        case .upload(let reason): "upload (\(reason.rawValue))"
        case .sendMD5: "send .md5"
        case .confirm: "check the target's .md5"
        case .inPlace: "in place"
        }
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
        let waiting = state.waiting.map { "; \($0)" } ?? ""
        return "  rollover from cycle \(state.fromCycle) to \(state.toCycle) in progress: \(state.baselineMirrored) of \(state.baselineListed) new baseline files mirrored, \(state.filesIndexed) files in the new index; the cycle \(state.fromCycle) index keeps answering\(waiting)"
    }

    static func applied(_ file: AppliedFile) -> String {
        "indexed \(file.name): \(file.records) records (\(file.inserted) new, \(file.replaced) replaced), \(file.deleted) deleted, \(file.deletionsAbsent) deletions of absent records, in \(String(format: "%.1f", file.seconds)) s"
    }

    /// Text on one line: tabs and newlines become spaces (for text and TSV output).
    static func oneLine(_ text: String) -> String {
        CitationFormat.oneLine(text)
    }

    static func record(_ stored: StoredRecord) throws -> String {
        RecordText.render(try stored.record, isCurrent: stored.isCurrent, versions: stored.versions)
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
        guard status.exists else {
            var lines = ["No mirror at \(status.mirrorPath) yet: run `pubmed-mirror fetch`."]
            // A machine that reads the shared store: its index, without a mirror folder.
            if let index = status.index, let location = status.indexPath {
                lines = ["Index \(location): \(index.current) current records (\(index.versions) versions) from \(index.files) files, high-water mark \(index.highWaterMark)"]
            } else if let error = status.indexError {
                lines.append("Index: cannot be read: \(Exit.message(for: error))")
            }
            return (lines + meshStatus(status)).joined(separator: "\n")
        }
        let files = status.files
        let ledger = status.stateLocation.map { $0.hasPrefix("postgres") ? " (ledger in \($0))" : "" } ?? ""
        var lines = ["Mirror \(status.mirrorPath): \(files.totalFiles) files, \(ByteCount.format(files.totalBytes))\(ledger)"]
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
            lines.append("Index\(status.indexPath.map { $0.hasPrefix("postgres") ? " \($0)" : "" } ?? ""): \(index.current) current records (\(index.versions) versions) from \(index.files) files, high-water mark \(index.highWaterMark)\(status.notIndexed.isEmpty ? "" : "; \(status.notIndexed.count) mirrored files not indexed yet")")
        } else if let error = status.indexError {
            lines.append("Index: cannot be read: \(Exit.message(for: error))")
        } else {
            lines.append("Index: none yet (run `pubmed-mirror index`)")
        }
        if let state = status.rollover { lines.append(TextOutput.rollover(state)) }
        lines += meshStatus(status)
        for target in status.published {
            var line = "Published to \(target.target): \(target.files) files (\(ByteCount.format(target.bytes)))"
            if let at = target.lastPublished { line += ", last sent \(at.formatted(.iso8601))" }
            if target.failing > 0 { line += ", \(target.failing) failing" }
            if let run = target.lastRun {
                line += "; last run \(run.outcome?.rawValue ?? "running or killed")\(run.error.map { ": \($0)" } ?? "")"
            }
            lines.append(line)
        }
        if files.pending.isEmpty {
            lines.append("Pending: nothing")
        } else {
            lines.append("Pending: \(files.pending.count) files")
            // A first sync stopped part way has a thousand files listed and not downloaded yet:
            // the first few say what is going on, the count says the rest.
            for item in files.pending.prefix(Self.pendingShown) {
                let partial = item.partialBytes.map { ", \(ByteCount.format($0)) partial" } ?? ""
                let state = item.status == .missing && item.error == nil ? "not downloaded yet" : item.status.rawValue
                lines.append("  \(item.folder.rawValue)/\(item.name) (\(state)\(partial))\(item.error.map { ": \($0)" } ?? "")")
            }
            if files.pending.count > Self.pendingShown {
                lines.append("  … and \(files.pending.count - Self.pendingShown) more (all of them: status --format json)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The thesaurus's line in `status`, when there is one (or one that cannot be read).
    private static func meshStatus(_ status: MirrorStatus) -> [String] {
        if let mesh = status.mesh {
            return ["MeSH thesaurus: \(mesh.year), \(mesh.descriptors) descriptors, from \(mesh.sourceFile), built \(mesh.builtAt.formatted(.iso8601))"]
        }
        return status.meshError.map { ["MeSH thesaurus: cannot be read: \(Exit.message(for: $0))"] } ?? []
    }

    static func mesh(_ report: MeshReport, thesaurus path: String) -> String {
        let held = report.thesaurus.map { "MeSH \($0.year), \($0.descriptors) descriptors, from \($0.sourceFile)" }
        switch report.outcome {
        case .updated:
            let received = report.bytesReceived > 0 ? " (\(ByteCount.format(report.bytesReceived)) downloaded)" : ""
            return "MeSH thesaurus built: \(held ?? "?")\(received), in \(path)"
        case .upToDate:
            return "MeSH thesaurus up to date: \(held ?? "?"); \(report.source) has not changed"
        case .planned:
            if let found = report.descriptorsFound {
                return "\(report.source): a complete DescriptorRecordSet of \(found) descriptors; nothing changed"
            }
            let size = report.remoteSize.map { " (\(ByteCount.format($0)))" } ?? ""
            return "Would download \(report.source)\(size) and build the thesaurus in \(path); nothing changed"
        }
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
