import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedListing
@testable import PubMedPublish

/// What `publish` sends, confirms and deletes, from the mirror's files, the target's records and the
/// target's listing alone.
@Suite struct PublishPlanTests {
    static let target = "ftp://files.lab/pubmed/"
    static let md5 = "0123456789abcdef0123456789abcdef"

    static func local(_ number: Int, cycle: Int = 26, folder: MirrorFolder = .baseline, size: Int64 = 1000, md5: String = md5,
                      status: MirroredFile.Status = .mirrored) -> MirroredFile {
        var file = MirroredFile(folder: folder, file: PubMedFileName(cycle: cycle, number: number), status: status)
        file.size = size
        file.md5 = md5
        return file
    }

    static func record(_ file: MirroredFile, md5: String? = md5, pending: String? = nil) -> PublishedFile {
        var record = PublishedFile(target: target, folder: file.folder, name: file.name)
        record.size = md5 == nil ? nil : file.size
        record.md5 = md5
        record.pendingMD5 = pending
        return record
    }

    /// The target's listing of `files` (name, size), each with its `.md5` unless told otherwise.
    static func listing(_ files: [(MirroredFile, Int64)], md5: Bool = true, extra: [MirrorFolder: [String]] = [:]) -> [MirrorFolder: [ListingEntry]] {
        var listing: [MirrorFolder: [ListingEntry]] = [:]
        for (file, size) in files {
            listing[file.folder, default: []].append(ListingEntry(name: file.name, size: .exact(size)))
            if md5 { listing[file.folder, default: []].append(ListingEntry(name: file.name + ".md5", size: .exact(60))) }
        }
        for (folder, names) in extra { listing[folder, default: []] += names.map { ListingEntry(name: $0, size: .exact(1)) } }
        return listing
    }

    @Test func aFirstPublishSendsEveryVerifiedFileInNCBIOrder() {
        let files = [Self.local(1335, folder: .updatefiles), Self.local(2), Self.local(1), Self.local(3, status: .damaged),
                     Self.local(4, status: .missing), Self.local(5, status: .gone)]
        let plan = PublishPlan.make(local: files, records: [], listing: [:], delete: true)
        #expect(plan.items.map(\.file.number) == [1, 2, 1335])
        #expect(plan.items.allSatisfy { $0.action == .upload(.new) })
        #expect(plan.bytesToUpload == 3000 && plan.work.count == 3 && plan.deletions.isEmpty)
    }

    @Test func aTargetThatHoldsWhatTheRecordsSayNeedsNothing() {
        let files = [Self.local(1), Self.local(1335, folder: .updatefiles)]
        let plan = PublishPlan.make(local: files, records: files.map { Self.record($0) }, listing: Self.listing(files.map { ($0, 1000) }), delete: true)
        #expect(plan.items.map(\.action) == [.inPlace, .inPlace])
        #expect(plan.work.isEmpty && plan.deletions.isEmpty)
    }

    @Test func eachDifferenceHasItsReason() {
        let republished = Self.local(1, md5: "ffffffffffffffffffffffffffffffff")
        let missing = Self.local(2)
        let wrongSize = Self.local(3)
        let md5Missing = Self.local(4)
        let unknownButRightSize = Self.local(5)
        let unknownNoMD5 = Self.local(6)
        let cutUpload = Self.local(7)
        let files = [republished, missing, wrongSize, md5Missing, unknownButRightSize, unknownNoMD5, cutUpload]
        let records = [Self.record(republished), Self.record(missing), Self.record(wrongSize), Self.record(md5Missing),
                       Self.record(cutUpload, md5: nil, pending: Self.md5)]
        var listing = Self.listing([(republished, 1000), (wrongSize, 999), (unknownButRightSize, 1000)])
        listing[.baseline]! += Self.listing([(md5Missing, 1000), (unknownNoMD5, 1000)], md5: false)[.baseline]!
        let plan = PublishPlan.make(local: files, records: records, listing: listing, delete: false)
        #expect(plan.items.map(\.action) == [.upload(.republished), .upload(.missing), .upload(.wrongSize), .sendMD5, .confirm,
                                             .upload(.unconfirmed), .upload(.new)])
        #expect(plan.uploads.count == 5 && plan.work.count == 7)
        // The record travels with the item: the upload of number 7 resumes only for the same bytes.
        #expect(plan.items.last?.record?.pendingMD5 == Self.md5)
    }

    @Test func aSizeWithoutExactBytesNeverCountsAsInPlace() {
        let file = Self.local(1)
        let listing: [MirrorFolder: [ListingEntry]] = [.baseline: [ListingEntry(name: file.name, size: .approximate(bytes: 1000, tolerance: 50)),
                                                                   ListingEntry(name: file.name + ".md5", size: .exact(60))]]
        #expect(PublishPlan.make(local: [file], records: [Self.record(file)], listing: listing, delete: false).items.map(\.action) == [.upload(.wrongSize)])
    }

    @Test func deletionsTakeOnlyPubMedNamesTheMirrorNoLongerHolds() {
        let kept = Self.local(1, cycle: 26)
        let gone = Self.local(1400, cycle: 26, folder: .updatefiles, status: .gone)
        let damaged = Self.local(2, cycle: 26, status: .damaged)
        let oldCycle = [Self.local(1, cycle: 25), Self.local(2, cycle: 25)]
        let listing = Self.listing([(kept, 1000), (damaged, 1000), (gone, 1000)] + oldCycle.map { ($0, 500) }, extra: [
            .baseline: ["README.txt", "pubmed25n0003.xml.gz.md5", ".pubmed26n0009.xml.gz.partial", "pubmed25n0001.xml", "pubmed25n01.xml.gz"],
            .updatefiles: ["stats.html"],
        ])
        let plan = PublishPlan.make(local: [kept, gone, damaged], records: [], listing: listing, delete: true)
        #expect(plan.deletions.map { "\($0.folder.rawValue)/\($0.name)" } == [
            "baseline/pubmed25n0001.xml.gz", "baseline/pubmed25n0001.xml.gz.md5",
            "baseline/pubmed25n0002.xml.gz", "baseline/pubmed25n0002.xml.gz.md5",
            "baseline/pubmed25n0003.xml.gz.md5",
            "updatefiles/pubmed26n1400.xml.gz", "updatefiles/pubmed26n1400.xml.gz.md5",
        ])
        // Without --delete, nothing is.
        #expect(PublishPlan.make(local: [kept, gone, damaged], records: [], listing: listing, delete: false).deletions.isEmpty)
    }

    /// Hidden temporary files of earlier runs: an upload's is kept while the mirror holds those
    /// bytes and the target does not have them in place (resumed now, or once a held-back cycle is
    /// published); every other one of ours goes, with or without --delete; other names stay.
    @Test func leftoverTemporaryFilesAreRemovedUnlessAnUploadResumesThem() {
        let inPlace = Self.local(1)
        let toSend = Self.local(2)
        let gone = Self.local(1400, folder: .updatefiles, status: .gone)
        let prefix = String(Self.md5.prefix(8))
        let listing = Self.listing([(inPlace, 1000)], extra: [
            .baseline: [".pubmed26n0001.xml.gz.\(prefix).partial",   // its file is in place: stale
                        ".pubmed26n0002.xml.gz.\(prefix).partial",   // resumed by this run
                        ".pubmed26n0002.xml.gz.deadbeef.partial",     // other bytes than the mirror's
                        ".pubmed26n0003.xml.gz.\(prefix).partial",   // a file the mirror does not hold
                        ".pubmed26n0002.xml.gz.md5.partial",          // a .md5 whose rename failed
                        ".pubmed26n0002.xml.gz.partial", ".notes.0123abcd.partial", ".pubmed26n0002.xml.gz.0123abc.partial",
                        "pubmed26n0002.xml.gz.\(prefix).partial", ".README.txt.md5.partial"],
            .updatefiles: [".pubmed26n1400.xml.gz.\(prefix).partial"],
        ])
        for delete in [false, true] {
            let plan = PublishPlan.make(local: [inPlace, toSend, gone], records: [Self.record(inPlace)], listing: listing, delete: delete)
            #expect(plan.items.map(\.action) == [.inPlace, .upload(.new)])
            #expect(plan.leftovers.map { "\($0.folder.rawValue)/\($0.name)" } == [
                "baseline/.pubmed26n0001.xml.gz.\(prefix).partial", "baseline/.pubmed26n0002.xml.gz.deadbeef.partial",
                "baseline/.pubmed26n0002.xml.gz.md5.partial", "baseline/.pubmed26n0003.xml.gz.\(prefix).partial",
                "updatefiles/.pubmed26n1400.xml.gz.\(prefix).partial",
            ])
        }
        // A new cycle held back: its file's upload is kept for when it is published.
        let old = Self.local(1, cycle: 25, status: .gone)
        let held = [Self.local(1), Self.local(2, status: .missing)]
        let partWay = PublishPlan.make(local: [old] + held, records: [], listing: Self.listing([], extra: [.baseline: [".pubmed26n0001.xml.gz.\(prefix).partial"]]), delete: true)
        #expect(partWay.heldBack != nil && partWay.leftovers.isEmpty)
    }

    /// An annual rollover part way: NCBI lists the new cycle (one of its baseline files not yet
    /// mirrored) and no longer the old one. The target keeps the old cycle, and gets none of the
    /// new one, until the new baseline is whole in the mirror; then both happen.
    @Test func aNewCycleIsPublishedOnlyWholeAndTheOldOneKeptUntilThen() {
        let old = [Self.local(1, cycle: 25, status: .gone), Self.local(1300, cycle: 25, folder: .updatefiles, status: .gone)]
        let listing = Self.listing(old.map { ($0, 1000) })
        let partWay = old + [Self.local(1, cycle: 26), Self.local(2, cycle: 26, status: .missing)]
        let held = PublishPlan.make(local: partWay, records: old.map { Self.record($0) }, listing: listing, delete: true)
        #expect(held.items.isEmpty && held.deletions.isEmpty)
        #expect(held.heldBack?.cycle == 26 && held.heldBack?.mirrored == 1 && held.heldBack?.listed == 2)
        let whole = old + [Self.local(1, cycle: 26), Self.local(2, cycle: 26), Self.local(1335, cycle: 26, folder: .updatefiles)]
        let plan = PublishPlan.make(local: whole, records: old.map { Self.record($0) }, listing: listing, delete: true)
        #expect(plan.heldBack == nil)
        #expect(plan.items.map(\.file.name) == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz"])
        #expect(plan.deletions.map(\.name) == ["pubmed25n0001.xml.gz", "pubmed25n0001.xml.gz.md5", "pubmed25n1300.xml.gz", "pubmed25n1300.xml.gz.md5"])
    }
}
