import Foundation
import Logging
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

@Suite struct MirrorPlanTests {
    static let minute = RemoteTimestamp.Precision.minute

    static func remote(_ number: Int, folder: MirrorFolder = .baseline, size: SizeHint = .exact(1000),
                       time: Int64 = 1_700_000_000, md5Time: Int64? = 1_700_000_000, md5: Bool = true) -> RemoteFile {
        let file = PubMedFileName(cycle: 26, number: number)
        return RemoteFile(folder: folder, file: file,
                          data: ListingEntry(name: file.name, size: size, modified: RemoteTimestamp(seconds: time, precision: minute)),
                          md5: md5 ? ListingEntry(name: file.md5Name, size: .exact(60),
                                                  modified: md5Time.map { RemoteTimestamp(seconds: $0, precision: minute) }) : nil)
    }

    /// A record as a successful fetch of `remote` leaves it.
    static func mirrored(_ remote: RemoteFile, size: Int64 = 1000) -> MirroredFile {
        var record = MirroredFile(folder: remote.folder, file: remote.file, status: .mirrored)
        record.size = size
        record.md5 = "0123456789abcdef0123456789abcdef"
        record.remember(remote)
        return record
    }

    func plan(_ remote: [RemoteFile], _ records: [MirroredFile], local: [String: Int64]? = nil) -> MirrorPlan {
        MirrorPlan.make(remote: remote, records: records) { folder, name in
            if let local { return local[name] }
            return records.first { record in record.folder == folder && record.name == name }?.size
        }
    }

    @Test func newFilesAreDownloadedInNCBIOrder() {
        let files = [Self.remote(1335, folder: .updatefiles), Self.remote(2), Self.remote(1)]
        let result = plan(files, [])
        #expect(result.items.map(\.file.number) == [1, 2, 1335])
        #expect(result.items.allSatisfy { $0.action == .download(.new) })
        #expect(result.bytesToDownload == 3000)
        #expect(result.work.count == 3)
    }

    @Test func unchangedListingNeedsNoRequest() {
        let file = Self.remote(1)
        let result = plan([file], [Self.mirrored(file)])
        #expect(result.items.map(\.action) == [.unchanged])
        #expect(result.work.isEmpty)
    }

    @Test func sizeChangeMeansRepublished() {
        let before = Self.remote(1)
        let after = Self.remote(1, size: .exact(2000))
        #expect(plan([after], [Self.mirrored(before)]).items.map(\.action) == [.download(.republished)])
    }

    @Test func roundedSizeThatStillAdmitsTheFileIsUnchanged() {
        let before = Self.remote(1, size: .approximate(bytes: 1024, tolerance: 102))
        let record = Self.mirrored(before, size: 1000)
        #expect(plan([before], [record]).items.map(\.action) == [.unchanged])
        let after = Self.remote(1, size: .approximate(bytes: 2048, tolerance: 102))
        #expect(plan([after], [record]).items.map(\.action) == [.download(.republished)])
    }

    @Test func timeOrMD5RowChangeMeansCheck() {
        let before = Self.remote(1)
        let record = Self.mirrored(before)
        #expect(plan([Self.remote(1, time: 1_700_000_000 + 3600)], [record]).items.map(\.action) == [.check])
        #expect(plan([Self.remote(1, md5Time: 1_700_086_400)], [record]).items.map(\.action) == [.check])
    }

    @Test func aStampThatLostPrecisionIsNotAChange() {
        // LIST shows "Jan 10 14:05" for a recent file and "Jan 10 2025" once it is older.
        let recent = Self.remote(1, time: 1_736_517_900) // 2025-01-10 14:05 UTC
        var aged = recent
        aged.data.modified = RemoteTimestamp(seconds: 1_736_467_200, precision: .day) // 2025-01-10
        #expect(plan([aged], [Self.mirrored(recent)]).items.map(\.action) == [.unchanged])
    }

    @Test func localFileMissingOrWrongSizeIsFetchedAgain() {
        let file = Self.remote(1)
        let record = Self.mirrored(file)
        #expect(plan([file], [record], local: [:]).items.map(\.action) == [.download(.missingLocally)])
        #expect(plan([file], [record], local: [file.file.name: 999]).items.map(\.action) == [.download(.damaged)])
    }

    @Test func failedAndDamagedRecordsAreRetried() {
        let file = Self.remote(1)
        var failed = MirroredFile(folder: .baseline, file: file.file, status: .missing)
        failed.lastError = "boom"
        #expect(plan([file], [failed]).items.map(\.action) == [.download(.retry)])
        var damaged = Self.mirrored(file)
        damaged.status = .damaged
        #expect(plan([file], [damaged]).items.map(\.action) == [.download(.damaged)])
    }

    @Test func goneFromTheServerIsReportedOnce() {
        let file = Self.remote(1)
        let record = Self.mirrored(file)
        #expect(plan([], [record]).items.map(\.action) == [.gone])
        var gone = record
        gone.status = .gone
        #expect(plan([], [gone]).items.isEmpty)
        // Listed again: its .md5 is read again (which, when it matches, makes it mirrored again).
        #expect(plan([file], [gone]).items.map(\.action) == [.check])
        // A changed file that was gone is downloaded again, as any other.
        #expect(plan([Self.remote(1, size: .exact(2000))], [gone]).items.map(\.action) == [.download(.republished)])
    }

    /// The whole listing is in the state database before the first download: a run stopped part
    /// way leaves the files it never reached as missing, which the index plan waits for (a
    /// rollover's switch, the update files), rather than unknown.
    @Test func everyNewlyListedFileIsRecordedAsMissingBeforeAnyDownload() throws {
        let known = Self.mirrored(Self.remote(1))
        let plan = plan([Self.remote(1), Self.remote(2), Self.remote(1335, folder: .updatefiles)], [known])
        let root = try TestPaths.temporaryDirectory("unrequested")
        let state = try SQLiteStateStore(path: root.appendingPathComponent("state.sqlite").path)
        try state.save(known)
        let files = FileMirror(layout: MirrorLayout(root: root), logger: Logger(label: "test"))
        #expect(try files.recordUnrequested(plan, in: state).isEmpty)
        let saved = try state.files()
        #expect(saved.map(\.name) == ["pubmed26n0001.xml.gz", "pubmed26n0002.xml.gz", "pubmed26n1335.xml.gz"])
        #expect(saved.map(\.status) == [.mirrored, .missing, .missing])
        #expect(saved.allSatisfy { $0.lastError == nil })
        // Planned again, they are new downloads still (not retries).
        #expect(self.plan([Self.remote(2)], saved.filter { $0.number == 2 }).items.map(\.action) == [.download(.new)])
    }

    @Test func noPublishedMD5MeansUnverifiable() {
        let file = Self.remote(1, md5: false)
        #expect(plan([file], []).items.map(\.action) == [.unverifiable])
        #expect(plan([file], []).work.isEmpty)
        // Already mirrored and unchanged: the missing .md5 does not matter.
        #expect(plan([file], [Self.mirrored(file)]).items.map(\.action) == [.unchanged])
    }
}
