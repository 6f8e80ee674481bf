import PubMedFiles
import PubMedIndex
import PubMedListing

/// What an index run is to do, worked out from the state database's files and the index's applied
/// files, and nothing else: which index to apply to (the one in use, an annual rollover's new one
/// beside it, or a rebuild), which files to apply in which order and what each needs applied
/// first, which are left alone, and when the work is complete. Pure, like `MirrorPlan`; `index`,
/// `fetch` and `status` all use it, so the rollover is worked out in one place.
///
/// The rules are NLM's (NCBI.md): only the newest baseline cycle is indexed, since a new baseline
/// replaces everything before it; every baseline file before any update file; update files in
/// number order, each after its predecessor.
public struct IndexPlan: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// The index in use (a new one when there is none).
        case live
        /// An annual rollover: the index of cycle `to`, built beside the one in use (cycle `from`),
        /// which keeps answering until the new one is complete.
        case rollover(from: Int, to: Int)
        /// Every local file into a new index beside the old one.
        case rebuild
    }

    /// A file to apply, and the files that must be applied before it (every baseline file of the
    /// cycle the server lists, mirrored or not, then the predecessor, for an update file; nothing
    /// for a baseline file or with `allowGaps`).
    public struct Step: Sendable, Equatable {
        public var file: MirroredFile
        public var requires: [String]
    }

    public var target: Target
    /// The newest baseline cycle mirrored: the only one indexed.
    public var cycle: Int?
    /// The files to apply, in order.
    public var steps: [Step]
    /// Mirrored files of older cycles, left alone.
    public var skipped: [MirroredFile]
    /// Update files of a rollover's cycle, held back until every listed baseline file is mirrored.
    public var heldBack: [MirroredFile]
    /// Every mirrored file of `cycle`: once all are applied (with their MD5), the target is complete.
    public var candidates: [MirroredFile]
    /// The candidates' MD5s by name, for `refusal`, which runs once a step.
    private var candidateMD5: [String: String] = [:]
    /// Every file the state database knows (listed by the server at some time), for `refusal`.
    private var known: Set<String> = []
    /// Baseline files of the cycle being rolled over to that the server lists, and those mirrored.
    public var baselineListed: Int
    public var baselineMirrored: Int
    /// A newer baseline cycle than the index holds, which the server lists but no file of which is
    /// mirrored yet (a rollover about to start), and how many of its baseline files are listed.
    public var announced: (cycle: Int, listed: Int)?
    /// Cycles older than this are pruned: after a rollover's switch, or at once when the index in
    /// use is already of `cycle` (a rollover interrupted after its switch, or kept with `keepOld`).
    public var prunesBefore: Int?
    /// Why the target may not replace the index in use even once its files are applied (nil:
    /// nothing stops it): a rebuild that would hold less than it (`rebuildLacks`), or a rollover
    /// whose baseline listing does not look whole yet (`unconfirmed`).
    public var incomplete: String?

    /// The cycle of an index, from the files applied to it: of those the mirror applied, not of
    /// those `index --file` added (whose name may say any cycle, and would put off a rollover or
    /// let a new baseline into the old index).
    public static func cycle(of applied: [AppliedFile]) -> Int? {
        applied.filter { MirrorFolder(rawValue: $0.folder) != nil }.compactMap(\.cycle).max()
    }

    /// Where to apply, from the files and the cycle of the index in use (nil: none, or empty).
    public static func target(records: [MirroredFile], liveCycle: Int?, rebuild: Bool) -> Target {
        if rebuild { return .rebuild }
        if let liveCycle, let cycle = newestCycle(records), liveCycle < cycle { return .rollover(from: liveCycle, to: cycle) }
        return .live
    }

    /// The plan for `target`, whose index holds `applied`; `liveCycle` is the cycle of the index in use.
    /// For a rebuild, `liveFiles` names the files the index in use holds (nil: it cannot be read).
    public static func make(records: [MirroredFile], liveCycle: Int?, target: Target, applied: [AppliedFile],
                            allowGaps: Bool, keepOld: Bool, liveFiles: Set<String>? = nil) -> IndexPlan {
        let mirrored = records.filter { $0.status == .mirrored }
        let cycle = newestCycle(records)
        let candidates = mirrored.filter { $0.cycle == cycle }.sorted { ($0.folder, $0.fileName) < ($1.folder, $1.fileName) }
        let listed = records.filter { $0.folder == .baseline && $0.cycle == cycle && $0.status != .gone }
        let ready = listed.filter { $0.status == .mirrored }.count
        var pending = pendingInOrder(candidates, applied: applied)
        var heldBack: [MirroredFile] = []
        if case .rollover = target, ready < listed.count {
            heldBack = pending.filter { $0.folder == .updatefiles }
            pending.removeAll { $0.folder == .updatefiles }
        }
        // Every listed baseline file of the cycle, mirrored or not: an update file applied before
        // one of them would be undone by it when it comes (it holds older copies of the records).
        let baselines = listed.map(\.name).sorted()
        let steps = pending.map { file in
            // The update file before it, when there can be one (a listing's `…n0000` has none).
            let previous = file.number > 0 ? [PubMedFileName(cycle: file.cycle, number: file.number - 1).name] : []
            return Step(file: file, requires: file.folder == .updatefiles && !allowGaps ? baselines + previous : [])
        }
        var plan = IndexPlan(target: target, cycle: cycle, steps: steps, skipped: mirrored.filter { $0.cycle != cycle },
                             heldBack: heldBack, candidates: candidates, baselineListed: listed.count, baselineMirrored: ready)
        plan.candidateMD5 = Dictionary(candidates.compactMap { file in file.md5.map { (file.name, $0) } }, uniquingKeysWith: { $1 })
        plan.known = Set(records.map(\.name))
        if let announced = records.filter({ $0.folder == .baseline && $0.status != .gone }).map(\.cycle).max(),
           announced > (cycle ?? -1) {
            plan.announced = (announced, records.filter { $0.folder == .baseline && $0.cycle == announced && $0.status != .gone }.count)
        }
        if let cycle {
            switch target {
            case .rebuild: plan.incomplete = rebuildLacks(records, cycle: cycle, liveCycle: liveCycle, liveFiles: liveFiles, allowGaps: allowGaps)
            case .rollover(let from, _): plan.incomplete = unconfirmed(records, from: from, to: cycle)
            case .live: break
            }
        }
        if !keepOld, let cycle, records.contains(where: { $0.cycle < cycle }) {
            switch target {
            case .rollover: plan.prunesBefore = cycle
            case .live where liveCycle == cycle: plan.prunesBefore = cycle
            case .live, .rebuild: break
            }
        }
        return plan
    }

    /// Why a rebuild of `cycle` would hold less than the index in use, which it replaces.
    ///
    /// - The index in use is of an older cycle: a rollover is under way, and the rebuild would be
    ///   its new index, so it must be as whole as the rollover's switch asks (every listed baseline
    ///   file mirrored, and the listing whole: `unconfirmed`).
    /// - Of the same cycle: a file it holds that is not mirrored now (`verify` found it damaged,
    ///   it was removed) would be left out. `--allow-gaps` accepts that; a file neither holds (a
    ///   download that failed today) is no loss.
    /// - Nothing is known of the index in use (none, or unreadable: the reason to rebuild): no
    ///   condition.
    static func rebuildLacks(_ records: [MirroredFile], cycle: Int, liveCycle: Int?, liveFiles: Set<String>?, allowGaps: Bool) -> String? {
        if let liveCycle, liveCycle < cycle {
            let listed = records.filter { $0.folder == .baseline && $0.cycle == cycle && $0.status != .gone }
            let waiting = listed.filter { $0.status != .mirrored }.count
            if waiting > 0 {
                return "a rollover from cycle \(liveCycle) to \(cycle) is under way, and \(waiting) of its \(listed.count) baseline files are not mirrored yet: run `fetch` to finish it first"
            }
            return unconfirmed(records, from: liveCycle, to: cycle).map { "a rollover from cycle \(liveCycle) to \(cycle) is under way, and \($0)" }
        }
        guard let liveFiles, !allowGaps else { return nil }
        let lacking = records.filter { $0.cycle == cycle && $0.status != .mirrored && liveFiles.contains($0.name) }
            .sorted { ($0.folder, $0.fileName) < ($1.folder, $1.fileName) }
        guard let first = lacking.first else { return nil }
        let count = lacking.count == 1 ? "\(first.folder.rawValue)/\(first.name), which the index in use holds, is"
            : "\(lacking.count) files the index in use holds, the first \(first.folder.rawValue)/\(first.name), are"
        return "\(count) not mirrored (\(first.status.rawValue)): run `fetch` first, or rebuild without it with --allow-gaps"
    }

    /// Why the baseline of a rollover to cycle `to` may not be whole yet, although every file the
    /// server lists is mirrored: NCBI posts a new baseline of over a thousand files, and a listing
    /// read while they are still arriving must not replace the index in use (and prune the old
    /// cycle's files) with part of one. The listing is taken as whole when its numbers have no hole
    /// and it has at least as many files as the old cycle's baseline (PubMed only grows), or when
    /// an update file of the new cycle comes after it (NCBI numbers the first one after the last
    /// baseline file, and posts it once the baseline is out, whatever the listing shows then).
    static func unconfirmed(_ records: [MirroredFile], from: Int, to cycle: Int) -> String? {
        let listed = records.filter { $0.folder == .baseline && $0.cycle == cycle && $0.status != .gone }.map(\.number)
        guard let low = listed.min(), let high = listed.max() else { return nil }
        let old = records.filter { $0.folder == .baseline && $0.cycle == from }.count
        let followed = records.contains { $0.folder == .updatefiles && $0.cycle == cycle && $0.status != .gone && $0.number > high }
        let numbers = "\(PubMedFileName(cycle: cycle, number: low).name) to \(PubMedFileName(cycle: cycle, number: high).name)"
        if high - low + 1 != Set(listed).count && !followed {
            return "the server lists \(Set(listed).count) baseline files of cycle \(cycle) numbered \(numbers), with numbers missing between them, and no update file of cycle \(cycle) yet: the switch waits until none are missing or one comes"
        }
        if listed.count < old && !followed {
            return "the server lists \(listed.count) baseline files of cycle \(cycle) (\(numbers)), fewer than the \(old) of cycle \(from), and no update file of cycle \(cycle) yet: the switch waits until the listing looks whole"
        }
        return nil
    }

    /// The files of `candidates` (in NCBI's order) that are to be applied: those not applied with
    /// their MD5, and every update file that must be applied again so that the index is what NCBI's
    /// order gives. An update file applied before a file that comes earlier in NCBI's order (a
    /// baseline file that arrived late, a file published again) would have its revisions undone by
    /// that file's older copies; so it goes again after it, and so does every update file after it
    /// (`applied` is in the order of application, which tells "before" even when a run that
    /// re-applied them was stopped part way). Baseline files of one cycle hold different records:
    /// their order among themselves does not matter.
    static func pendingInOrder(_ candidates: [MirroredFile], applied: [AppliedFile]) -> [MirroredFile] {
        var position: [String: (md5: String, at: Int)] = [:]
        for (index, file) in applied.enumerated() { position[file.name] = (file.md5, index) }
        var pending: [MirroredFile] = []
        var latest = Int.min
        var replaying = false
        for file in candidates {
            guard let done = position[file.name], done.md5 == file.md5 else {
                pending.append(file)
                replaying = true
                continue
            }
            if file.folder == .updatefiles && (replaying || done.at < latest) {
                pending.append(file)
                replaying = true
                continue
            }
            latest = max(latest, done.at)
        }
        return pending
    }

    /// The newest baseline cycle mirrored (the newest cycle mirrored, when no baseline file is).
    static func newestCycle(_ records: [MirroredFile]) -> Int? {
        let mirrored = records.filter { $0.status == .mirrored }
        return mirrored.filter { $0.folder == .baseline }.map(\.cycle).max() ?? mirrored.map(\.cycle).max()
    }

    /// Why `step` cannot be applied after `applied` (the files applied so far, before this run
    /// and in it, by name, with their MD5): the first file it requires that is not applied, or is
    /// applied only in an older copy than the mirror's (published again, and failing to apply).
    public func refusal(of step: Step, applied: [String: String]) -> IndexError? {
        guard let missing = step.requires.first(where: { name in
            guard let have = applied[name] else { return true }
            if let want = candidateMD5[name] { return have != want }
            return false
        }) else { return nil }
        return .gap(file: step.file.name, missing: missing, listed: known.contains(missing))
    }

    /// Whether the target holds every file of the cycle once `applied` are applied.
    public func isComplete(applied: [String: String]) -> Bool {
        incomplete == nil && heldBack.isEmpty && baselineMirrored == baselineListed && candidates.allSatisfy { applied[$0.name] == $0.md5 }
    }

    /// Where a rollover stands, for reports: building the new cycle's index (which holds
    /// `filesIndexed` files), or announced by the server and not begun.
    public func rollover(filesIndexed: Int) -> RolloverState? {
        if case .rollover(let from, let to) = target {
            return RolloverState(fromCycle: from, toCycle: to, baselineListed: baselineListed, baselineMirrored: baselineMirrored,
                                 filesIndexed: filesIndexed, switched: false, filesPruned: 0, waiting: incomplete)
        }
        if let announced, let from = cycle {
            return RolloverState(fromCycle: from, toCycle: announced.cycle, baselineListed: announced.listed, baselineMirrored: 0,
                                 filesIndexed: 0, switched: false, filesPruned: 0)
        }
        return nil
    }

    public static func == (lhs: IndexPlan, rhs: IndexPlan) -> Bool {
        lhs.target == rhs.target && lhs.cycle == rhs.cycle && lhs.steps == rhs.steps && lhs.skipped == rhs.skipped
            && lhs.heldBack == rhs.heldBack && lhs.candidates == rhs.candidates && lhs.baselineListed == rhs.baselineListed
            && lhs.baselineMirrored == rhs.baselineMirrored && lhs.announced?.cycle == rhs.announced?.cycle
            && lhs.announced?.listed == rhs.announced?.listed && lhs.prunesBefore == rhs.prunesBefore && lhs.incomplete == rhs.incomplete
    }
}
