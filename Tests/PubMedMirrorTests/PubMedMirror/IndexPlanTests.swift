import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror

/// What an index run is to do, worked out from the files alone: the live index, a rollover or a
/// rebuild; what is pending, in NCBI's order; what each update file needs first; when it is done.
@Suite struct IndexPlanTests {
    static func file(_ cycle: Int, _ number: Int, _ folder: MirrorFolder = .baseline, status: MirroredFile.Status = .mirrored,
                     md5: String = "md5") -> MirroredFile {
        var record = MirroredFile(folder: folder, file: PubMedFileName(cycle: cycle, number: number), status: status)
        record.md5 = md5
        record.size = 1000
        return record
    }

    static func applied(_ files: [MirroredFile]) -> [AppliedFile] {
        files.map { AppliedFile(name: $0.name, folder: $0.folder.rawValue, cycle: $0.cycle, number: $0.number, md5: $0.md5 ?? "",
                                appliedAt: Date(), records: 1, inserted: 1, replaced: 0, deleted: 0, deletionsAbsent: 0,
                                firstSeq: nil, lastSeq: nil, seconds: 0) }
    }

    static func plan(_ records: [MirroredFile], liveCycle: Int?, applied: [MirroredFile] = [], rebuild: Bool = false,
                     allowGaps: Bool = false, keepOld: Bool = false) -> IndexPlan {
        let target = IndexPlan.target(records: records, liveCycle: liveCycle, rebuild: rebuild)
        return IndexPlan.make(records: records, liveCycle: liveCycle, target: target, applied: Self.applied(applied),
                              allowGaps: allowGaps, keepOld: keepOld)
    }

    static func names(_ plan: IndexPlan) -> [String] { plan.steps.map(\.file.name) }

    @Test func aNewMirrorAppliesEveryFileInNCBIOrder() {
        let records = [Self.file(26, 1336, .updatefiles), Self.file(26, 2), Self.file(26, 1335, .updatefiles), Self.file(26, 1)]
        let plan = Self.plan(records, liveCycle: nil)
        #expect(plan.target == .live)
        #expect(plan.cycle == 26)
        #expect(Self.names(plan) == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz", "pubmed26n1336.xml.gz"])
        // Baseline files need nothing; an update file needs every baseline file and its predecessor.
        #expect(plan.steps[0].requires.isEmpty)
        #expect(plan.steps[3].requires == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz"])
        #expect(plan.rollover(filesIndexed: 0) == nil)
        #expect(plan.prunesBefore == nil)
    }

    @Test func aListedBaselineFileNotYetMirroredHoldsBackEveryUpdateFile() throws {
        // 0002 failed to download (or was listed and not reached): the update files must wait for
        // it, since applied after them it would bring back the older copies they revised.
        let records = [Self.file(26, 1), Self.file(26, 2, status: .missing), Self.file(26, 1335, .updatefiles)]
        let plan = Self.plan(records, liveCycle: nil)
        #expect(Self.names(plan) == ["pubmed26n0001.xml.gz", "pubmed26n1335.xml.gz"])
        #expect(plan.steps[1].requires == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1334.xml.gz"])
        let refusal = try #require(plan.refusal(of: plan.steps[1], applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n1334.xml.gz": "md5"]))
        #expect(refusal.description == "pubmed26n1335.xml.gz cannot be applied: pubmed26n0002.xml.gz, which must be applied before it, is missing or not applied yet")
        // A baseline file NCBI no longer lists is not waited for; --allow-gaps waits for nothing.
        var gone = records
        gone[1].status = .gone
        #expect(Self.plan(gone, liveCycle: nil).steps[1].requires == ["pubmed26n0001.xml.gz", "pubmed26n1334.xml.gz"])
        #expect(Self.plan(records, liveCycle: nil, allowGaps: true).steps[1].requires.isEmpty)
    }

    @Test func appliedFilesAreNotPendingUnlessTheirMD5Changed() throws {
        let one = Self.file(26, 1), two = Self.file(26, 2)
        var republished = two
        republished.md5 = "new"
        let plan = Self.plan([one, republished], liveCycle: 26, applied: [one, two])
        #expect(Self.names(plan) == ["pubmed26n0002.xml.gz"], "the republished file is applied again")
        // With update files applied after it, they are applied again after it, in order: its older
        // copies must not undo them. A republished update file brings back the ones after it only.
        let updates = [Self.file(26, 1335, .updatefiles), Self.file(26, 1336, .updatefiles), Self.file(26, 1337, .updatefiles)]
        let after = Self.plan([one, republished] + updates, liveCycle: 26, applied: [one, two] + updates)
        #expect(Self.names(after) == ["pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz", "pubmed26n1336.xml.gz", "pubmed26n1337.xml.gz"])
        var update = updates[1]
        update.md5 = "new"
        let later = Self.plan([one, two, updates[0], update, updates[2]], liveCycle: 26, applied: [one, two] + updates)
        #expect(Self.names(later) == ["pubmed26n1336.xml.gz", "pubmed26n1337.xml.gz"])
        // A run that re-applied the republished file and the first update file, then stopped: the
        // order of application still says the rest must go again.
        var again = two
        again.md5 = "new"
        let stopped = Self.plan([one, republished] + updates, liveCycle: 26, applied: [one, two] + updates + [again, updates[0]])
        #expect(Self.names(stopped) == ["pubmed26n1336.xml.gz", "pubmed26n1337.xml.gz"])
        // Once all went again in order, nothing is pending.
        let finished = Self.plan([one, republished] + updates, liveCycle: 26, applied: [one, two] + updates + [again] + updates)
        #expect(Self.names(finished).isEmpty)
        // A baseline file applied for the first time after the update files (an index made with
        // --allow-gaps): they go again after it.
        let late = Self.plan([one, two] + updates, liveCycle: 26, applied: [one] + updates + [two])
        #expect(Self.names(late) == ["pubmed26n1335.xml.gz", "pubmed26n1336.xml.gz", "pubmed26n1337.xml.gz"])
        // An update file waits for the mirror's copy of what it requires, not an older one applied
        // before: a republished baseline file that fails to apply holds the update files back.
        let republishedFirst = Self.plan([one, republished] + updates, liveCycle: 26, applied: [one, two] + updates)
        let replay = try #require(republishedFirst.steps.first { $0.file.name == "pubmed26n1335.xml.gz" })
        #expect(republishedFirst.refusal(of: replay, applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n0002.xml.gz": "md5", "pubmed26n1334.xml.gz": "md5"])
                != nil, "the old copy of 0002 does not do")
        #expect(republishedFirst.refusal(of: replay, applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n0002.xml.gz": "new", "pubmed26n1334.xml.gz": "md5"])
                == nil)
        #expect(plan.isComplete(applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n0002.xml.gz": "new"]))
        #expect(!plan.isComplete(applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n0002.xml.gz": "md5"]))
    }

    @Test func aGapIsRefusedUntilWhatIsMissingIsApplied() throws {
        // The last baseline file, then update files with 1336 missing.
        let records = [Self.file(26, 1334), Self.file(26, 1335, .updatefiles), Self.file(26, 1337, .updatefiles)]
        let plan = Self.plan(records, liveCycle: 26, applied: [records[0]])
        #expect(Self.names(plan) == ["pubmed26n1335.xml.gz", "pubmed26n1337.xml.gz"])
        let late = try #require(plan.steps.last)
        // 1336 never listed by the server: fetching it cannot help, only --allow-gaps.
        let unlisted = try #require(plan.refusal(of: late, applied: ["pubmed26n1334.xml.gz": "md5", "pubmed26n1335.xml.gz": "md5"]))
        #expect(unlisted.description == "pubmed26n1337.xml.gz cannot be applied: pubmed26n1336.xml.gz, which must be applied before it, has never been listed by the server")
        #expect(unlisted.advice == [.allowGaps])
        // Listed but not mirrored (a download that failed): fetch it, or --allow-gaps.
        let failed = Self.plan(records + [Self.file(26, 1336, .updatefiles, status: .missing)], liveCycle: 26, applied: [records[0]])
        let lastStep = try #require(failed.steps.last)
        let missing = try #require(failed.refusal(of: lastStep, applied: ["pubmed26n1334.xml.gz": "md5", "pubmed26n1335.xml.gz": "md5"]))
        #expect(missing.description == "pubmed26n1337.xml.gz cannot be applied: pubmed26n1336.xml.gz, which must be applied before it, is missing or not applied yet")
        #expect(missing.advice == [.fetchMissing, .allowGaps])
        // A baseline file that is not applied (it failed in this run) holds back every update file.
        #expect(plan.refusal(of: plan.steps[0], applied: [:]).map { "\($0)" }?.contains("pubmed26n1334.xml.gz") == true)
        #expect(plan.refusal(of: plan.steps[0], applied: ["pubmed26n1334.xml.gz": "md5"]) == nil)
        let allowed = Self.plan(records, liveCycle: 26, applied: [records[0]], allowGaps: true)
        #expect(allowed.steps.allSatisfy { $0.requires.isEmpty })
    }

    /// A listing's update file numbered 0000 has no update file before it (it trapped every
    /// index, fetch and status run that planned it).
    @Test func anUpdateFileNumberedZeroNeedsTheBaselineAlone() {
        let records = [Self.file(26, 1), Self.file(26, 0, .updatefiles)]
        let plan = Self.plan(records, liveCycle: nil)
        #expect(Self.names(plan) == ["pubmed26n0001.xml.gz", "pubmed26n0000.xml.gz"])
        #expect(plan.steps[1].requires == ["pubmed26n0001.xml.gz"])
    }

    @Test func olderCyclesAreSkipped() {
        let records = [Self.file(25, 1274), Self.file(25, 1300, .updatefiles), Self.file(26, 1)]
        let plan = Self.plan(records, liveCycle: nil)
        #expect(plan.cycle == 26)
        #expect(plan.skipped.map(\.name) == ["pubmed25n1274.xml.gz", "pubmed25n1300.xml.gz"])
        #expect(Self.names(plan) == ["pubmed26n0001.xml.gz"])
    }

    @Test func aNewerBaselineBuildsARolloverIndexAndHoldsUpdatesBackUntilItIsMirrored() {
        let old = [Self.file(25, 1), Self.file(25, 1275, .updatefiles)]
        let new = [Self.file(26, 1), Self.file(26, 2, status: .missing), Self.file(26, 1335, .updatefiles)]
        let plan = Self.plan(old + new, liveCycle: 25)
        #expect(plan.target == .rollover(from: 25, to: 26))
        #expect(Self.names(plan) == ["pubmed26n0001.xml.gz"], "the baseline file that is mirrored; the update waits")
        #expect(plan.heldBack.map(\.name) == ["pubmed26n1335.xml.gz"])
        #expect(plan.baselineListed == 2 && plan.baselineMirrored == 1)
        #expect(!plan.isComplete(applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n1335.xml.gz": "md5"]))
        #expect(plan.rollover(filesIndexed: 1) == RolloverState(fromCycle: 25, toCycle: 26, baselineListed: 2, baselineMirrored: 1,
                                                                filesIndexed: 1, switched: false, filesPruned: 0))
        #expect(plan.prunesBefore == 26, "after the switch")
        #expect(Self.plan(old + new, liveCycle: 25, keepOld: true).prunesBefore == nil)

        var complete = new
        complete[1].status = .mirrored
        let ready = Self.plan(old + complete, liveCycle: 25, applied: [complete[0]])
        #expect(Self.names(ready) == ["pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz"])
        #expect(ready.isComplete(applied: Dictionary(uniqueKeysWithValues: complete.map { ($0.name, "md5") })))
    }

    @Test func aNewerCycleListedButNotMirroredIsAnnounced() {
        let records = [Self.file(25, 1), Self.file(26, 1, status: .missing), Self.file(26, 2, status: .missing)]
        let plan = Self.plan(records, liveCycle: 25, applied: [records[0]])
        #expect(plan.target == .live)
        #expect(plan.rollover(filesIndexed: 0) == RolloverState(fromCycle: 25, toCycle: 26, baselineListed: 2, baselineMirrored: 0,
                                                                filesIndexed: 0, switched: false, filesPruned: 0))
    }

    @Test func filesLeftByASwitchedRolloverArePrunedAtOnce() {
        let records = [Self.file(25, 1), Self.file(26, 1)]
        #expect(Self.plan(records, liveCycle: 26, applied: [records[1]]).prunesBefore == 26)
        #expect(Self.plan(records, liveCycle: nil).prunesBefore == nil, "not before the index of the new cycle exists")
        #expect(Self.plan(records, liveCycle: 26, applied: [records[1]], keepOld: true).prunesBefore == nil)
    }

    @Test func aRebuildAppliesEverythingAndPrunesNothing() {
        let records = [Self.file(25, 1), Self.file(26, 1), Self.file(26, 1335, .updatefiles)]
        let plan = Self.plan(records, liveCycle: 26, applied: records, rebuild: true)
        #expect(plan.target == .rebuild)
        // The plan is made against the new index, which holds nothing yet.
        let fresh = IndexPlan.make(records: records, liveCycle: 26, target: .rebuild, applied: [], allowGaps: false, keepOld: false)
        #expect(Self.names(fresh) == ["pubmed26n0001.xml.gz", "pubmed26n1335.xml.gz"])
        #expect(fresh.prunesBefore == nil)
        #expect(fresh.incomplete == nil)
        #expect(fresh.isComplete(applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n1335.xml.gz": "md5"]))
    }

    /// A rebuild that would hold less than the index in use is refused: during a rollover whose
    /// baseline is still arriving (it would be the new cycle's index, part built), or without a
    /// file the index in use holds (`verify` found it damaged). A file neither holds, `--allow-gaps`,
    /// or an index in use that cannot be read (the reason to rebuild) refuse nothing.
    @Test func aRebuildThatWouldHoldLessThanTheIndexInUseIsRefused() throws {
        func rebuild(_ records: [MirroredFile], liveCycle: Int?, liveFiles: [String]?, allowGaps: Bool = false) -> IndexPlan {
            IndexPlan.make(records: records, liveCycle: liveCycle, target: .rebuild, applied: [], allowGaps: allowGaps, keepOld: false,
                           liveFiles: liveFiles.map(Set.init))
        }
        let rolling = [Self.file(25, 1), Self.file(25, 1275, .updatefiles), Self.file(26, 1), Self.file(26, 2, status: .missing)]
        let during = rebuild(rolling, liveCycle: 25, liveFiles: ["pubmed25n0001.xml.gz", "pubmed25n1275.xml.gz"])
        #expect(during.cycle == 26)
        #expect(during.incomplete == "a rollover from cycle 25 to 26 is under way, and 1 of its 2 baseline files are not mirrored yet: run `fetch` to finish it first")
        #expect(!during.isComplete(applied: ["pubmed26n0001.xml.gz": "md5"]))

        let damaged = [Self.file(26, 1), Self.file(26, 1335, .updatefiles), Self.file(26, 1336, .updatefiles, status: .damaged),
                       Self.file(26, 1337, .updatefiles, status: .damaged), Self.file(26, 1338, .updatefiles, status: .missing)]
        let held = ["pubmed26n0001.xml.gz", "pubmed26n1335.xml.gz", "pubmed26n1336.xml.gz", "pubmed26n1337.xml.gz"]
        let plan = rebuild(damaged, liveCycle: 26, liveFiles: held)
        #expect(plan.incomplete == "2 files the index in use holds, the first updatefiles/pubmed26n1336.xml.gz, are not mirrored (damaged): run `fetch` first, or rebuild without it with --allow-gaps")
        #expect(!plan.isComplete(applied: ["pubmed26n0001.xml.gz": "md5", "pubmed26n1335.xml.gz": "md5"]))
        // Today's file, which failed to download and the index in use does not hold either: no loss.
        var fetched = damaged
        fetched[2].status = .mirrored
        fetched[3].status = .mirrored
        #expect(rebuild(fetched, liveCycle: 26, liveFiles: held).incomplete == nil)
        #expect(rebuild(damaged, liveCycle: 26, liveFiles: held, allowGaps: true).incomplete == nil)
        #expect(rebuild(damaged, liveCycle: nil, liveFiles: nil).incomplete == nil, "an index in use that cannot be read")
    }

    /// A new baseline listed while NCBI is still posting it must not replace the old index: its
    /// listing is taken as whole only with no numbers missing, and as many files as the old
    /// cycle's baseline or an update file of the new cycle after it.
    @Test func aRolloverWaitsForABaselineListingThatLooksWhole() {
        let old = (1...3).map { Self.file(25, $0) } + [Self.file(25, 1275, .updatefiles)]
        let all: [MirroredFile] = (1...3).map { Self.file(26, $0) }
        func plan(_ new: [MirroredFile]) -> IndexPlan { Self.plan(old + new, liveCycle: 25) }
        func applied(_ new: [MirroredFile]) -> [String: String] { Dictionary(uniqueKeysWithValues: new.map { ($0.name, "md5") }) }

        let fewer = Array(all.prefix(2))
        #expect(plan(fewer).target == .rollover(from: 25, to: 26))
        #expect(plan(fewer).incomplete == "the server lists 2 baseline files of cycle 26 (pubmed26n0001.xml.gz to pubmed26n0002.xml.gz), fewer than the 3 of cycle 25, and no update file of cycle 26 yet: the switch waits until the listing looks whole")
        #expect(!plan(fewer).isComplete(applied: applied(fewer)), "every listed file applied, but the listing looks short")
        #expect(plan(fewer).rollover(filesIndexed: 2)?.waiting == plan(fewer).incomplete)
        #expect(Self.names(plan(fewer)) == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz"], "the files listed are applied meanwhile")
        // As many as the old cycle's: whole.
        #expect(plan(all).incomplete == nil)
        #expect(plan(all).isComplete(applied: applied(all)))
        // Fewer, but NCBI's first update file of the new cycle comes after them: whole.
        let followed = fewer + [Self.file(26, 3, .updatefiles)]
        #expect(plan(followed).incomplete == nil)
        #expect(plan(followed).isComplete(applied: applied(followed)))
        // A number missing between them: not whole, whatever the count, until an update file of
        // the new cycle comes (NCBI posts it once the baseline is out).
        let holed = [Self.file(26, 1), Self.file(26, 3), Self.file(26, 4)]
        #expect(plan(holed).incomplete == "the server lists 3 baseline files of cycle 26 numbered pubmed26n0001.xml.gz to pubmed26n0004.xml.gz, with numbers missing between them, and no update file of cycle 26 yet: the switch waits until none are missing or one comes")
        #expect(!plan(holed).isComplete(applied: applied(holed)))
        let holedFollowed = holed + [Self.file(26, 5, .updatefiles)]
        #expect(plan(holedFollowed).incomplete == nil)
    }
}
