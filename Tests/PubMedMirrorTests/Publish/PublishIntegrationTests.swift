import Crypto
import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedListing
@testable import PubMedPublish
@testable import PubMedSupport

/// `publish` run as cron runs it, against real servers on loopback: vsftpd with a local user
/// allowed to write (plain and explicit FTPS), OpenSSH's sshd for SFTP, a local folder, and the
/// scriptable FTP server for the faults an upload meets.
@Suite(.heavyweight) struct PublishIntegrationTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// A mirror fetched (and indexed) from the shared samples of `cycles`; returns it and the tree it came from.
    static func mirror(_ label: String, cycles: [Int] = [2026], into existing: URL? = nil) async throws -> URL {
        let tree = try ServedTree.make(cycles: cycles, at: try TestPaths.temporaryDirectory("served-\(label)"))
        let mirror = try existing ?? TestPaths.temporaryDirectory("mirror-\(label)")
        let fetched = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", mirror.path, "--quiet"])
        #expect(fetched.status == 0, "fetch of the samples: \(fetched.stderr)")
        return mirror
    }

    static func target(_ scheme: String) async throws -> PublishTarget {
        switch scheme {
        case "ftp": return try await LoopbackServer.writableVsftpd(tls: false)
        case "ftps": return try await LoopbackServer.writableVsftpd(tls: true)
        case "sftp": return try await LoopbackServer.sshd()
        default:
            let tree = try TestPaths.temporaryDirectory("folder-target").appendingPathComponent("pubmed", isDirectory: true)
            return PublishTarget(server: nil, url: tree, tree: tree, environment: [:], arguments: [], secret: "no-secret-\(UUID())")
        }
    }

    /// The target holds exactly the mirror's PubMed files, byte for byte, and no temporary file.
    static func expectPublished(mirror: URL, tree: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try MirrorTest.pubmedFiles(under: mirror)
        let actual = try MirrorTest.pubmedFiles(under: tree)
        #expect(!expected.isEmpty, sourceLocation: sourceLocation)
        #expect(Set(actual.keys) == Set(expected.keys), sourceLocation: sourceLocation)
        for (path, bytes) in expected { #expect(actual[path] == bytes, "\(path) differs", sourceLocation: sourceLocation) }
        let leftovers = (try? FileManager.default.subpathsOfDirectory(atPath: tree.path))?.filter { $0.hasSuffix(".partial") } ?? []
        #expect(leftovers.isEmpty, "left on the target: \(leftovers)", sourceLocation: sourceLocation)
    }

    /// Every name under a real PubMed name on the target is a whole file: the mirror's bytes.
    static func expectNoPartFileUnderARealName(mirror: URL, tree: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try MirrorTest.pubmedFiles(under: mirror)
        for (path, bytes) in try MirrorTest.pubmedFiles(under: tree) {
            #expect(expected[path] == bytes, "\(path) is on the target but is not the mirror's file", sourceLocation: sourceLocation)
        }
    }

    /// The target's login, for `fetch --source` (PUBMED_MIRROR_TARGET_X becomes PUBMED_MIRROR_X).
    static func sourceEnvironment(_ target: PublishTarget) -> [String: String] {
        Dictionary(uniqueKeysWithValues: target.environment.map { ($0.key.replacingOccurrences(of: "_TARGET_", with: "_"), $0.value) })
    }

    @Test(arguments: ["ftp", "ftps", "sftp", "file"])
    func aPublishedTargetIsASourceThatFetchReadsBackWhole(scheme: String) async throws {
        let source = try await Self.mirror("round-trip-\(scheme)")
        let target = try await Self.target(scheme)
        let published = try await CLI.run(target.publish(source, ["--format", "json", "--quiet"]), environment: target.environment)
        #expect(published.status == 0, "\(published.stderr)")
        let report = try Self.json(published.stdout)
        #expect(report["outcome"] as? String == "updated")
        #expect((report["uploaded"] as? [[String: Any]])?.map { $0["reason"] as? String } == ["new", "new"])
        try Self.expectPublished(mirror: source, tree: target.tree)

        // The internal server as the source of another mirror: the same files, the same records.
        let copy = try TestPaths.temporaryDirectory("copy-\(scheme)")
        let fetched = try await CLI.run(["fetch", "--source", target.url.absoluteString, "--mirror", copy.path, "--quiet"] + target.arguments,
                                        environment: Self.sourceEnvironment(target))
        #expect(fetched.status == 0, "\(fetched.stderr)")
        try MirrorTest.expectIdentical(served: source, mirror: copy)
        let original = try await CLI.run(["export", "--mirror", source.path])
        let copied = try await CLI.run(["export", "--mirror", copy.path])
        #expect(original.status == 0 && copied.status == 0 && original.stdout.count > 10_000)
        #expect(original.stdout == copied.stdout, "the two mirrors export differently")

        // Nothing new: nothing sent, a few listing requests.
        let again = try await CLI.run(target.publish(source, ["--format", "json", "--quiet"]), environment: target.environment)
        #expect(again.status == 0, "\(again.stderr)")
        let second = try Self.json(again.stdout)
        #expect(second["outcome"] as? String == "up-to-date")
        #expect((second["uploaded"] as? [Any])?.isEmpty == true && second["bytesSent"] as? Int == 0)
        #expect(try #require(second["requests"] as? Int) <= 3)

        let status = try await CLI.run(["status", "--mirror", source.path])
        #expect(status.stdout.contains("Published to \(target.url.absoluteString): 2 files"), "\(status.stdout)")
        for text in [published.stdout, published.stderr, again.stdout, again.stderr, status.stdout, fetched.stdout, fetched.stderr] {
            #expect(!text.contains(target.secret))
        }
        if let server = target.server, scheme.hasPrefix("ftp") {
            // The second run wrote nothing: every STOR of the log is the first run's four.
            #expect(MirrorTest.count("STOR", in: server.requestLog()) == 4)
        }
    }

    /// A mirror with no update file yet still gets both of NCBI's folders on the target, so that
    /// fetch reads it (a source without `updatefiles/` is refused as broken).
    @Test(arguments: ["ftp", "sftp", "file"])
    func bothFoldersAreMadeEvenWhenOneHasNothingToHold(scheme: String) async throws {
        let tree = try ServedTree.make(cycles: [2026], at: try TestPaths.temporaryDirectory("served-folders-\(scheme)"))
        let updates = tree.appendingPathComponent("updatefiles")
        for name in try FileManager.default.contentsOfDirectory(atPath: updates.path) { try FileManager.default.removeItem(at: updates.appendingPathComponent(name)) }
        let source = try TestPaths.temporaryDirectory("mirror-folders-\(scheme)")
        #expect(try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", source.path, "--quiet", "--no-index"]).status == 0)
        let target = try await Self.target(scheme)
        let published = try await CLI.run(target.publish(source, ["--quiet"]), environment: target.environment)
        #expect(published.status == 0, "\(published.stderr)")
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: target.tree.appendingPathComponent("updatefiles").path, isDirectory: &isFolder) && isFolder.boolValue)
        let copy = try TestPaths.temporaryDirectory("copy-folders-\(scheme)")
        let fetched = try await CLI.run(["fetch", "--source", target.url.absoluteString, "--mirror", copy.path, "--quiet", "--no-index"] + target.arguments,
                                        environment: Self.sourceEnvironment(target))
        #expect(fetched.status == 0, "\(fetched.stderr)")
        try MirrorTest.expectIdentical(served: source, mirror: copy)
    }

    /// What an earlier run left in the temporary file is kept and the rest appended (FTP APPE,
    /// SFTP's append, a local append), when the state database says it was for the same bytes.
    @Test(arguments: ["ftp", "sftp", "file"])
    func anUploadAnEarlierRunLeftIsAppendedTo(scheme: String) async throws {
        let source = try await Self.mirror("publish-append-\(scheme)")
        let target = try await Self.target(scheme)
        let name = "pubmed26n1335.xml.gz"
        let temporary = URL(fileURLWithPath: try Self.temporary(.updatefiles, name, mirror: source, tree: target.tree))
        try TestPaths.makeDirectory(temporary.deletingLastPathComponent())
        let head = try Data(contentsOf: source.appendingPathComponent("updatefiles/\(name)")).prefix(40_000)
        try head.write(to: temporary)
        if scheme == "ftp", let user = getpwnam(LoopbackServer.publishUser) {
            for path in [target.tree.path, temporary.deletingLastPathComponent().path, temporary.path] { chown(path, user.pointee.pw_uid, user.pointee.pw_gid) }
        }
        let state = try SQLiteStateStore(path: source.appendingPathComponent("state.sqlite").path)
        var record = PublishedFile(target: target.url.absoluteString, folder: .updatefiles, name: name)
        let files = try state.files()
        record.pendingMD5 = try #require(files.first { $0.name == name }?.md5)
        try state.save(record)

        let run = try await CLI.run(target.publish(source, ["--format", "json", "--quiet"]), environment: target.environment)
        #expect(run.status == 0, "\(run.stderr)")
        let uploads = try #require(try Self.json(run.stdout)["uploaded"] as? [[String: Any]])
        let resumed = try #require(uploads.first { $0["name"] as? String == name })
        #expect(resumed["resumedFrom"] as? Int == 40_000 && resumed["sent"] as? Int == (resumed["bytes"] as? Int ?? 0) - 40_000)
        try Self.expectPublished(mirror: source, tree: target.tree)
    }

    /// Hidden temporary files that earlier runs left and no upload resumes (of bytes the mirror no
    /// longer has, of a file it does not hold, a `.md5`'s) are removed, without --delete; the
    /// upload this run resumes keeps its own; other names stay. (vsftpd lists no hidden file, so
    /// there they stay unseen.)
    @Test(arguments: ["sftp", "file", "faulty-ftp"])
    func temporaryFilesOfEarlierRunsAreRemoved(scheme: String) async throws {
        let source = try await Self.mirror("publish-leftovers-\(scheme)")
        let target = scheme == "faulty-ftp" ? try await LoopbackServer.writableFaultyFTP(arguments: []) : try await Self.target(scheme)
        let name = "pubmed26n1335.xml.gz"
        let resumable = URL(fileURLWithPath: try Self.temporary(.updatefiles, name, mirror: source, tree: target.tree))
        let updatefiles = resumable.deletingLastPathComponent(), baseline = target.tree.appendingPathComponent("baseline")
        try TestPaths.makeDirectory(updatefiles)
        try TestPaths.makeDirectory(baseline)
        try Data(contentsOf: source.appendingPathComponent("updatefiles/\(name)")).prefix(40_000).write(to: resumable)
        let state = try SQLiteStateStore(path: source.appendingPathComponent("state.sqlite").path)
        var record = PublishedFile(target: target.url.absoluteString, folder: .updatefiles, name: name)
        record.pendingMD5 = try #require(try state.files().first { $0.name == name }?.md5)
        try state.save(record)
        let stale = [baseline.appendingPathComponent(".pubmed26n1334.xml.gz.deadbeef.partial"),
                     baseline.appendingPathComponent(".pubmed26n0007.xml.gz.0123abcd.partial"),
                     updatefiles.appendingPathComponent(".\(name).md5.partial")]
        let foreign = [baseline.appendingPathComponent(".notes.partial"), baseline.appendingPathComponent(".pubmed26n0007.xml.gz.partial")]
        for file in stale + foreign { try Data("left over\n".utf8).write(to: file) }

        let run = try await CLI.run(target.publish(source, ["--format", "json", "--quiet"]), environment: target.environment)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.json(run.stdout)
        let uploads = try #require(report["uploaded"] as? [[String: Any]])
        #expect(uploads.first { $0["name"] as? String == name }?["resumedFrom"] as? Int == 40_000, "the resumed upload kept its bytes")
        #expect(report["temporaryFilesRemoved"] as? Int == 3)
        for file in stale { #expect(!FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent) was left") }
        for file in foreign { #expect(FileManager.default.fileExists(atPath: file.path), "\(file.lastPathComponent) was removed") }
        for file in foreign { try FileManager.default.removeItem(at: file) }
        try Self.expectPublished(mirror: source, tree: target.tree)

        // Nothing left: the next run removes nothing and sends nothing.
        let again = try await CLI.run(target.publish(source, ["--format", "json", "--quiet"]), environment: target.environment)
        #expect(try Self.json(again.stdout)["temporaryFilesRemoved"] as? Int == 0)
        #expect(try Self.json(again.stdout)["outcome"] as? String == "up-to-date")
    }

    /// Killed with SIGKILL mid-upload, then again after the first file is in place: no part of a
    /// file ever shows under its real name, and each rerun sends only what is not there yet.
    @Test func aPublishKilledAtAnyMomentLeavesNoPartFileUnderARealNameAndResumes() async throws {
        let root = try TestPaths.temporaryDirectory("served-publish-kill")
        let tree = try ServedTree.larger(at: root)
        let source = try TestPaths.temporaryDirectory("mirror-publish-kill")
        let fetched = try await CLI.run(["fetch", "--source", tree.absoluteString, "--mirror", source.path, "--quiet", "--no-index"])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let slow = try await LoopbackServer.writableVsftpd(tls: false, maxRate: 250_000)
        let baselineTemporary = try Self.temporary(.baseline, "pubmed20n1015.xml.gz", mirror: source, tree: slow.tree)
        let updateTemporary = try Self.temporary(.updatefiles, "pubmed20n1016.xml.gz", mirror: source, tree: slow.tree)

        // 1. In the middle of the first file.
        var seen = -1
        let first = try await CLI.whileRunning(slow.publish(source, ["--jobs", "1", "--quiet"]), environment: slow.environment) { (pid) async throws in
            seen = try await CLI.waitForFile(baselineTemporary, atLeast: 150_000, while: pid)
            kill(pid, SIGKILL)
        }
        #expect(seen >= 150_000 && first.signal == SIGKILL, "\(first.stderr)")
        // The server finishes writing what the killed run had sent before the next run looks.
        try await Self.waitForUploadEnd(baselineTemporary, server: slow.server)
        try Self.expectNoPartFileUnderARealName(mirror: source, tree: slow.tree)
        #expect(!FileManager.default.fileExists(atPath: slow.tree.appendingPathComponent("baseline/pubmed20n1015.xml.gz").path))

        // 2. With the first file in place, in the middle of the second.
        let second = try await CLI.whileRunning(slow.publish(source, ["--jobs", "1", "--quiet"]), environment: slow.environment) { (pid) async throws in
            seen = try await CLI.waitForFile(updateTemporary, atLeast: 100_000, while: pid)
            kill(pid, SIGKILL)
        }
        #expect(seen >= 100_000 && second.signal == SIGKILL, "\(second.stderr)")
        try Self.expectNoPartFileUnderARealName(mirror: source, tree: slow.tree)
        #expect(FileManager.default.fileExists(atPath: slow.tree.appendingPathComponent("baseline/pubmed20n1015.xml.gz").path))
        let kept = try await Self.waitForUploadEnd(updateTemporary, server: slow.server)

        // 3. The rerun: the second file resumed, the first not sent again.
        let fast = slow
        let before = try #require(fast.server?.requestLog().count)
        let rerun = try await CLI.run(fast.publish(source, ["--jobs", "1", "--quiet", "--format", "json"]), environment: fast.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let uploads = try #require(try Self.json(rerun.stdout)["uploaded"] as? [[String: Any]])
        #expect(uploads.map { $0["name"] as? String } == ["pubmed20n1016.xml.gz"])
        #expect(uploads.first?["resumedFrom"] as? Int == kept && uploads.first?["sent"] as? Int == 761_246 - kept)
        let log = String(try #require(fast.server?.requestLog()).dropFirst(before))
        // What the killed run had sent is kept (the server may have received all of it: loopback's
        // socket buffers hold most of a file): the rest is appended, never the whole sent again.
        let temporaryName = URL(fileURLWithPath: updateTemporary).lastPathComponent
        #expect(!log.contains("STOR \(temporaryName)") && log.contains("SIZE \(temporaryName)"), "\(log)")
        #expect(kept == 761_246 || log.contains("APPE \(temporaryName)"), "\(log)")
        #expect(!log.contains("pubmed20n1015.xml.gz."), "the file in place was not touched again")
        try Self.expectPublished(mirror: source, tree: fast.tree)
    }

    /// Where the upload of `name` goes before it is renamed into place.
    static func temporary(_ folder: MirrorFolder, _ name: String, mirror: URL, tree: URL) throws -> String {
        let published = try MD5File.parse(Array(try Data(contentsOf: mirror.appendingPathComponent("\(folder.rawValue)/\(name).md5"))),
                                          expectedFileName: name)
        return tree.appendingPathComponent(folder.rawValue).appendingPathComponent(FileUpload.temporaryName(name, md5: published.digest)).path
    }

    /// Waits until vsftpd has logged the end of the upload to `path` (OK or FAIL UPLOAD: it has
    /// written all it received, the client killed or not), up to 60 s; returns the file's size then.
    @discardableResult
    static func waitForUploadEnd(_ path: String, server: LoopbackServer?) async throws -> Int {
        let server = try #require(server)
        let name = URL(fileURLWithPath: path).lastPathComponent
        func ended() -> Bool { server.requestLog().split(separator: "\n").contains { $0.contains(" UPLOAD: ") && $0.contains(name) } }
        for _ in 0..<1_200 where !ended() { try await Task.sleep(for: .milliseconds(50)) }
        #expect(ended(), "vsftpd logged no end of the upload to \(name)")
        return FileSystem.size(of: URL(fileURLWithPath: path)).map { Int($0) } ?? -1
    }

    /// After an annual rollover the old cycle goes, and only it: after the new one is in place,
    /// never a name that is not a PubMed file's.
    @Test func deleteAfterARolloverRemovesExactlyTheOldCycle() async throws {
        let mirror = try await Self.mirror("publish-rollover", cycles: [2025])
        let target = try await Self.target("sftp")
        let first = try await CLI.run(target.publish(mirror, ["--quiet"]), environment: target.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let foreign = ["baseline/README.txt", "updatefiles/notes.txt", "baseline/pubmed25n1274.xml"]
        for name in foreign { try Data("kept".utf8).write(to: target.tree.appendingPathComponent(name)) }

        // The mirror rolls over to cycle 2026: the 2025 files are pruned once the new index is in use.
        _ = try await Self.mirror("publish-rollover-2026", cycles: [2026], into: mirror)
        let old = ["baseline/pubmed25n1274.xml.gz", "baseline/pubmed25n1274.xml.gz.md5",
                   "updatefiles/pubmed25n1275.xml.gz", "updatefiles/pubmed25n1275.xml.gz.md5"]
        let planned = try await CLI.run(target.publish(mirror, ["--delete", "--dry-run", "--format", "json"]), environment: target.environment)
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect((try Self.json(planned.stdout)["plan"] as? [String: Any])?["deletions"] as? [String] == old)
        #expect(FileManager.default.fileExists(atPath: target.tree.appendingPathComponent(old[0]).path), "a dry run changes nothing")

        let published = try await CLI.run(target.publish(mirror, ["--delete", "--format", "json", "--quiet"]), environment: target.environment)
        #expect(published.status == 0, "\(published.stderr)")
        let report = try Self.json(published.stdout)
        #expect(report["deleted"] as? [String] == old)
        #expect((report["uploaded"] as? [Any])?.count == 2)
        try Self.expectPublished(mirror: mirror, tree: target.tree)
        for name in foreign { #expect(FileManager.default.fileExists(atPath: target.tree.appendingPathComponent(name).path), "\(name) was touched") }
    }

    /// The server fills up after 20,000 bytes (FTP 552): the run stops with its own message and
    /// code, nothing half-sent is under a real name, and the next run resumes where it stopped.
    @Test func aServerOutOfSpaceStopsTheRunAndTheNextResumes() async throws {
        let source = try await Self.mirror("publish-552")
        let full = try await LoopbackServer.writableFaultyFTP(arguments: ["--stor-full-after", "20000", "--stor-full-times", "1000", "--match", "*.xml.gz.????????.partial"])
        let refused = try await CLI.run(full.publish(source, ["--jobs", "1", "--format", "json", "--quiet"]), environment: full.environment)
        #expect(refused.status == 4, "\(refused.stderr)")
        let report = try Self.json(refused.stdout)
        #expect(report["errorCode"] as? String == "transfer.storage-full" && report["outcome"] as? String == "failed")
        #expect(refused.stderr.contains("552") && refused.stderr.contains("free space on the target server"))
        #expect(MirrorTest.count("STOR", in: full.server!.requestLog()) == 1, "no room is not retried, and stops the run")
        try Self.expectNoPartFileUnderARealName(mirror: source, tree: full.tree)
        #expect(try MirrorTest.pubmedFiles(under: full.tree).isEmpty)
        await full.server?.stop()

        // The same server (same port, so the same target), with room again.
        let roomy = try await LoopbackServer.writableFaultyFTP(arguments: ["--port", "\(full.server!.port)"], root: full.root)
        let rerun = try await CLI.run(roomy.publish(source, ["--jobs", "1", "--format", "json", "--quiet"]), environment: roomy.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let uploads = try #require(try Self.json(rerun.stdout)["uploaded"] as? [[String: Any]])
        #expect(uploads.first?["resumedFrom"] as? Int == 20_000)
        #expect(roomy.server!.requestLog().contains("APPE"))
        try Self.expectPublished(mirror: source, tree: roomy.tree)
    }

    /// Where the FTP server has the HASH command, its MD5 of the upload must be the file's before
    /// the rename; one that is not (a server that lies once here) sends the file again whole.
    @Test func aServerWithHASHChecksTheUploadByItsMD5() async throws {
        let source = try await Self.mirror("publish-hash")
        let honest = try await LoopbackServer.writableFaultyFTP(arguments: ["--hash"])
        let checked = try await CLI.run(honest.publish(source, ["--jobs", "1", "--quiet"]), environment: honest.environment)
        #expect(checked.status == 0, "\(checked.stderr)")
        let log = honest.server!.requestLog()
        #expect(MirrorTest.count("HASH .pubmed26n", in: log) == 2 && MirrorTest.count("OPTS HASH MD5", in: log) == 2)
        try Self.expectPublished(mirror: source, tree: honest.tree)

        let other = try await Self.mirror("publish-hash-lie")
        let liar = try await LoopbackServer.writableFaultyFTP(arguments: ["--hash", "--hash-lie", "1"])
        let resent = try await CLI.run(liar.publish(other, ["--jobs", "1", "--format", "json"]), environment: liar.environment)
        #expect(resent.status == 0, "\(resent.stderr)")
        #expect(resent.stderr.contains("the server hashes what it holds to MD5 00000000000000000000000000000000"), "\(resent.stderr)")
        let lied = liar.server!.requestLog()
        let temporary = URL(fileURLWithPath: try Self.temporary(.baseline, "pubmed26n1334.xml.gz", mirror: other, tree: liar.tree)).lastPathComponent
        #expect(MirrorTest.count("DELE \(temporary)", in: lied) == 1 && MirrorTest.count("STOR \(temporary)", in: lied) == 2, "\(lied)")
        try Self.expectPublished(mirror: other, tree: liar.tree)

        // A server without HASH refuses the OPTS (501): asked once a session, then not again.
        let plain = try await LoopbackServer.writableFaultyFTP(arguments: [])
        let third = try await Self.mirror("publish-no-hash")
        #expect(try await CLI.run(plain.publish(third, ["--jobs", "1", "--quiet"]), environment: plain.environment).status == 0)
        #expect(MirrorTest.count("OPTS HASH MD5", in: plain.server!.requestLog()) == 1)
    }

    /// A republished file's new bytes never stand beside its old `.md5`: the old one goes with the
    /// rename, and when the new one cannot be sent, the next run sends only that.
    @Test func aRepublishedFileNeverStandsBesideItsOldMD5() async throws {
        let source = try await Self.mirror("publish-republished")
        let first = try await LoopbackServer.writableFaultyFTP(arguments: [])
        #expect(try await CLI.run(first.publish(source, ["--quiet"]), environment: first.environment).status == 0)
        await first.server?.stop()

        // NCBI republishes pubmed26n1335.xml.gz and a fetch brings it in (other bytes, its .md5, its record).
        let name = "pubmed26n1335.xml.gz"
        let file = source.appendingPathComponent("updatefiles/\(name)")
        let bytes = try Data(contentsOf: file) + Data("republished".utf8)
        try bytes.write(to: file)
        let digest = Insecure.MD5.hash(data: bytes).hex
        let md5File = Data("MD5(\(name))= \(digest)\n".utf8)
        try md5File.write(to: source.appendingPathComponent("updatefiles/\(name).md5"))
        let state = try SQLiteStateStore(path: source.appendingPathComponent("state.sqlite").path)
        var record = try #require(try state.files().first { $0.name == name })
        record.size = Int64(bytes.count)
        record.md5 = digest
        try state.save(record)

        // The same server, now refusing every .md5 upload: the run stops after the data's rename.
        let picky = try await LoopbackServer.writableFaultyFTP(arguments: ["--port", "\(first.server!.port)", "--stor-error", "550",
                                                                           "--stor-error-times", "1000", "--match", "*.md5.partial"], root: first.root)
        let stopped = try await CLI.run(picky.publish(source, ["--quiet"]), environment: picky.environment)
        #expect(stopped.status == 4, "\(stopped.stderr)")
        #expect(try Data(contentsOf: picky.tree.appendingPathComponent("updatefiles/\(name)")) == bytes)
        #expect(!FileManager.default.fileExists(atPath: picky.tree.appendingPathComponent("updatefiles/\(name).md5").path),
                "the old .md5 went with the rename")
        await picky.server?.stop()

        let fixed = try await LoopbackServer.writableFaultyFTP(arguments: ["--port", "\(first.server!.port)"], root: first.root)
        let rerun = try await CLI.run(fixed.publish(source, ["--format", "json", "--quiet"]), environment: fixed.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let report = try Self.json(rerun.stdout)
        #expect(report["md5Sent"] as? Int == 1 && (report["uploaded"] as? [Any])?.isEmpty == true, "\(rerun.stdout)")
        try Self.expectPublished(mirror: source, tree: fixed.tree)
    }

    /// The target's disk fills up (a tmpfs under sshd; OpenSSH says only "failure"): the file that
    /// does not fit fails after its retries, nothing half-written is under a real name, and once
    /// there is room the next run appends to what was sent and completes.
    @Test(.enabled(if: SmallDisk.canMount, "needs root and permission to mount a tmpfs"))
    func aTargetDiskThatFillsUpLeavesNoPartFileUnderARealNameAndTheNextRunCompletes() async throws {
        let source = try await Self.mirror("publish-full-disk")
        let disk = try SmallDisk(kib: 120)  // the 72 KB baseline file fits, the 94 KB update file does not
        let target = try await LoopbackServer.sshd(root: disk.url)
        let full = try await CLI.run(target.publish(source, ["--jobs", "1", "--retries", "1", "--format", "json"]), environment: target.environment)
        #expect(full.status == 2, "\(full.stderr)")
        let failed = try #require(try Self.json(full.stdout)["failed"] as? [[String: Any]])
        #expect(failed.map { $0["name"] as? String } == ["pubmed26n1335.xml.gz"] && failed.first?["errorCode"] as? String == "transfer.write-failed")
        #expect(full.stderr.contains("the SFTP server failed the write and does not say why"))
        try Self.expectNoPartFileUnderARealName(mirror: source, tree: target.tree)
        #expect(FileManager.default.fileExists(atPath: target.tree.appendingPathComponent("baseline/pubmed26n1334.xml.gz").path))

        try disk.resize(kib: 1024)
        let rerun = try await CLI.run(target.publish(source, ["--format", "json", "--quiet"]), environment: target.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let uploads = try #require(try Self.json(rerun.stdout)["uploaded"] as? [[String: Any]])
        #expect(uploads.map { $0["name"] as? String } == ["pubmed26n1335.xml.gz"] && (uploads.first?["resumedFrom"] as? Int ?? 0) > 0)
        try Self.expectPublished(mirror: source, tree: target.tree)
        withExtendedLifetime(disk) {}
    }

    /// A name the server will not take (553) fails that file only; a refused write (550) stops the run.
    @Test func refusedNamesFailTheirFileAndRefusedWritesStopTheRun() async throws {
        let source = try await Self.mirror("publish-553")
        let picky = try await LoopbackServer.writableFaultyFTP(arguments: ["--stor-error", "553", "--stor-error-times", "1000", "--match", "*pubmed26n1335.xml.gz.????????.partial"])
        let partly = try await CLI.run(picky.publish(source, ["--jobs", "1", "--format", "json", "--quiet"]), environment: picky.environment)
        #expect(partly.status == 2, "\(partly.stderr)")
        let report = try Self.json(partly.stdout)
        let failed = try #require(report["failed"] as? [[String: Any]])
        #expect(failed.map { $0["name"] as? String } == ["pubmed26n1335.xml.gz"] && failed.first?["errorCode"] as? String == "transfer.name-refused")
        #expect((report["uploaded"] as? [[String: Any]])?.map { $0["name"] as? String } == ["pubmed26n1334.xml.gz"])
        let status = try await CLI.run(["status", "--mirror", source.path, "--format", "json"])
        let published = try #require(try Self.json(status.stdout)["published"] as? [[String: Any]])
        #expect(published.first?["failing"] as? Int == 1 && published.first?["lastRun"] as? String == "partial")

        let locked = try await LoopbackServer.writableFaultyFTP(arguments: ["--stor-error", "550", "--stor-error-times", "1000"])
        let refused = try await CLI.run(locked.publish(source, ["--format", "json", "--quiet"]), environment: locked.environment)
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(try Self.json(refused.stdout)["errorCode"] as? String == "transfer.write-refused")
        #expect(refused.stderr.contains("check that PUBMED_MIRROR_TARGET_USER may create, rename and delete files"))
        #expect(!refused.stderr.contains(locked.secret) && !refused.stdout.contains(locked.secret))

        // A wrong password (530): the target's own variables are named, the password never shown.
        var wrong = locked.environment
        wrong["PUBMED_MIRROR_TARGET_PASSWORD"] = "not-" + locked.secret
        let login = try await CLI.run(locked.publish(source, ["--quiet"]), environment: wrong)
        #expect(login.status == 4 && login.stderr.contains("the FTP server refused the login (530)"), "\(login.stderr)")
        #expect(login.stderr.contains("check PUBMED_MIRROR_TARGET_USER and PUBMED_MIRROR_TARGET_PASSWORD"))
        #expect(!login.stderr.contains(wrong["PUBMED_MIRROR_TARGET_PASSWORD"]!))
    }

    /// A data connection cut mid-upload, and one that stalls: retried in the same run, resumed.
    @Test(arguments: [["--stor-cut-at", "20000"], ["--stor-stall-at", "20000", "--stor-stall-seconds", "6"]])
    func aCutOrStalledUploadIsResumedInTheSameRun(fault: [String]) async throws {
        let source = try await Self.mirror("publish-\(fault[0].dropFirst(2))")
        let target = try await LoopbackServer.writableFaultyFTP(arguments: fault + ["--match", "*pubmed26n1334.xml.gz.????????.partial"])
        let result = try await CLI.run(target.publish(source, ["--jobs", "1", "--format", "json"]), environment: target.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let uploads = try #require(try Self.json(result.stdout)["uploaded"] as? [[String: Any]])
        let resumed = try #require(uploads.first { $0["name"] as? String == "pubmed26n1334.xml.gz" })
        #expect(resumed["resumedFrom"] as? Int == 20_000, "\(result.stderr)")
        #expect(result.stderr.contains("retry 1 of 5"))
        #expect(target.server!.requestLog().contains("APPE .pubmed26n1334.xml.gz."))
        try Self.expectPublished(mirror: source, tree: target.tree)
    }

    /// Two publishes to one target never overlap; an unknown host key and an empty mirror are
    /// refused with their own codes.
    @Test func refusalsBeforeAnythingIsSent() async throws {
        let source = try await Self.mirror("publish-refusals")
        let target = try await Self.target("sftp")
        do {
            let lock = try FileLock(path: MirrorLayout(root: source).publishLock(target: target.url.absoluteString).path)
            let blocked = try await CLI.run(target.publish(source), environment: target.environment)
            #expect(blocked.status == 3 && blocked.stderr.contains("locked by another pubmed-mirror run"), "\(blocked.stderr)")
            withExtendedLifetime(lock) {}
        }

        // Another host's key under this server's name.
        let folder = try TestPaths.temporaryDirectory("known-hosts")
        let other = folder.appendingPathComponent("other_host")
        #expect(try await ChildProcess.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", other.path]).status == 0)
        let key = try String(contentsOfFile: other.path + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let strangers = folder.appendingPathComponent("known_hosts")
        try "[127.0.0.1]:\(target.server!.port) \(key)\n".write(to: strangers, atomically: true, encoding: .utf8)
        let untrusted = try await CLI.run(target.publish(source, ["--format", "json"], trust: ["--known-hosts", strangers.path]),
                                          environment: target.environment)
        #expect(untrusted.status == 4, "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("the server's SSH host key is not the one the known-hosts file holds") && untrusted.stderr.contains("ssh-keyscan"))
        #expect(try MirrorTest.pubmedFiles(under: target.tree).isEmpty)

        // A key the server does not know: SFTP's login refusal, with the target's key variable named.
        let stranger = folder.appendingPathComponent("stranger_key")
        #expect(try await ChildProcess.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger.path]).status == 0)
        var otherKey = target.environment
        otherKey["PUBMED_MIRROR_TARGET_SSH_KEY"] = stranger.path
        let unknown = try await CLI.run(target.publish(source), environment: otherKey)
        #expect(unknown.status == 4 && unknown.stderr.contains("the SSH server refused the login"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("check PUBMED_MIRROR_TARGET_USER and PUBMED_MIRROR_TARGET_SSH_KEY"))

        let empty = try TestPaths.temporaryDirectory("mirror-empty")
        let nothing = try await CLI.run(target.publish(empty), environment: target.environment)
        #expect(nothing.status == 8 && nothing.stderr.contains("holds no verified PubMed file"), "\(nothing.stderr)")
    }

    /// A file a fetch replaced after publish read the state database is not sent as the recorded
    /// one: it fails, for the next run, and nothing lands under its name.
    @Test func aFileThatChangedInTheMirrorIsNotPublishedAsTheRecordedOne() async throws {
        let source = try await Self.mirror("publish-changed")
        let target = try await Self.target("file")
        // The same size, other bytes: only the MD5 tells.
        let file = source.appendingPathComponent("updatefiles/pubmed26n1335.xml.gz")
        var bytes = try Data(contentsOf: file)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: file)
        let run = try await CLI.run(target.publish(source, ["--format", "json", "--quiet"]))
        #expect(run.status == 2, "\(run.stderr)")
        let failed = try #require(try Self.json(run.stdout)["failed"] as? [[String: Any]])
        #expect(failed.map { $0["errorCode"] as? String } == ["local.changed-during-publish"])
        #expect((failed.first?["error"] as? String)?.contains("changed in the mirror while it was being published") == true)
        #expect(!FileManager.default.fileExists(atPath: target.tree.appendingPathComponent("updatefiles/pubmed26n1335.xml.gz").path))
        #expect(FileManager.default.fileExists(atPath: target.tree.appendingPathComponent("baseline/pubmed26n1334.xml.gz").path))
    }

    /// One nightly job: fetch, index, then publish; the next night sends nothing.
    /// A server that will not rename onto an existing name (as Windows' IIS) gets the new file by
    /// the old one renamed aside first; one that refuses the rename for another reason keeps the
    /// old file: a whole published file is never deleted before its replacement is in place.
    @Test func aFileIsReplacedOnlyOnceItsReplacementIsInPlace() async throws {
        let source = try await Self.mirror("publish-replace")
        func stale(_ root: URL) throws -> URL {
            let file = root.appendingPathComponent("pubmed/baseline/pubmed26n1334.xml.gz")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("an older copy".utf8).write(to: file)
            return file
        }
        let iisRoot = try TestPaths.temporaryDirectory("target-no-replace")
        _ = try stale(iisRoot)
        let iis = try await LoopbackServer.writableFaultyFTP(arguments: ["--rename-no-replace"], root: iisRoot)
        let replaced = try await CLI.run(iis.publish(source, ["--jobs", "1", "--quiet"]), environment: iis.environment)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        try Self.expectPublished(mirror: source, tree: iis.tree)
        #expect(iis.server!.requestLog().contains("RNTO .pubmed26n1334.xml.gz.replaced"))
        #expect(!FileManager.default.fileExists(atPath: iis.tree.appendingPathComponent("baseline/.pubmed26n1334.xml.gz.replaced").path))

        let refusingRoot = try TestPaths.temporaryDirectory("target-refuses-rename")
        let kept = try stale(refusingRoot)
        let refusing = try await LoopbackServer.writableFaultyFTP(arguments: ["--rnto-error", "550", "--rnto-error-times", "1000"], root: refusingRoot)
        let failed = try await CLI.run(refusing.publish(source, ["--jobs", "1", "--quiet"]), environment: refusing.environment)
        #expect(failed.status != 0)
        #expect(try Data(contentsOf: kept) == Data("an older copy".utf8), "the file in place was kept")
    }

    /// A folder the target cannot make (here a file stands where it should be) fails the run with
    /// that error, not as an interrupted run with no message.
    @Test func aFolderTheTargetCannotMakeIsTheRunsError() async throws {
        let mirror = try await Self.mirror("no-folder")
        let blocker = try TestPaths.temporaryDirectory("target-blocked").appendingPathComponent("pubmed")
        try Data("not a folder".utf8).write(to: blocker)
        let run = try await CLI.run(["publish", "--mirror", mirror.path, "--target", blocker.appendingPathComponent("mirror/").absoluteString,
                                     "--format", "json", "--quiet"])
        #expect(run.status != 0 && run.status != 130, "\(run.status) \(run.stderr)")
        let report = try Self.json(run.stdout)
        #expect(report["outcome"] as? String == "failed", "\(run.stdout)")
        #expect((report["errorCode"] as? String)?.isEmpty == false, "\(run.stdout)")
    }

    @Test func fetchWithPublishIsTheNightlyJob() async throws {
        let tree = try ServedTree.make(cycles: [2026], at: try TestPaths.temporaryDirectory("served-nightly"))
        let mirror = try TestPaths.temporaryDirectory("mirror-nightly")
        let target = try await Self.target("ftp")
        let arguments = ["fetch", "--source", tree.absoluteString, "--mirror", mirror.path, "--publish", target.url.absoluteString,
                         "--format", "json", "--quiet"]
        let night = try await CLI.run(arguments, environment: target.environment)
        #expect(night.status == 0, "\(night.stderr)")
        let report = try Self.json(night.stdout)
        #expect((report["downloaded"] as? [Any])?.count == 2)
        #expect(((report["publish"] as? [String: Any])?["uploaded"] as? [Any])?.count == 2)
        try Self.expectPublished(mirror: mirror, tree: target.tree)
        let next = try Self.json(try await CLI.run(arguments, environment: target.environment).stdout)
        #expect(next["outcome"] as? String == "up-to-date")
        #expect((next["publish"] as? [String: Any])?["outcome"] as? String == "up-to-date")
    }
}
