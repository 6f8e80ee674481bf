import Foundation
import Testing
@testable import PubMedListing
@testable import PubMedSupport
@testable import PubMedTransfer

/// One worker's requests over one reused libcurl handle, against real servers: listing, small
/// bodies with their limit, probing sizes, downloads that resume, refuse extra bytes and hash as
/// they go, and one connection for all of it.
@Suite(.heavyweight) struct TransferSessionTests {
    static let name = "pubmed26n1334.xml.gz"

    static func session(_ server: LoopbackServer) throws -> TransferSession {
        var options = TransferOptions()
        options.caFile = server.caFile?.path
        options.stallTimeout = 5
        return try TransferSession(source: try MirrorSource(server.baseURL.absoluteString), options: options, cancellation: CancellationFlag())
    }

    static func served(_ label: String) throws -> (root: URL, tree: URL, bytes: [UInt8]) {
        let root = try TestPaths.temporaryDirectory("served-session-\(label)")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        return (root, tree, [UInt8](try Data(contentsOf: tree.appendingPathComponent("baseline/\(name)"))))
    }

    @Test(arguments: ["apache", "vsftpd"])
    func listsFetchesProbesAndDownloadsOverOneConnection(serverName: String) async throws {
        let served = try Self.served(serverName)
        let server = serverName == "apache" ? try await LoopbackServer.apache(root: served.root, tls: false)
            : try await LoopbackServer.vsftpd(root: served.root, tls: false)
        let session = try Self.session(server)
        let listed = try session.list(.baseline)
        #expect(listed.contains { $0.name == Self.name })
        let md5 = try session.fetchSmall(session.source.fileURL(.baseline, Self.name + ".md5"), limit: 4096)
        #expect(String(decoding: md5, as: UTF8.self).hasPrefix("MD5(\(Self.name))= "))
        #expect(try session.probe(session.source.fileURL(.baseline, Self.name)).size == Int64(served.bytes.count))

        let partial = try TestPaths.temporaryDirectory("session-\(serverName)").appendingPathComponent(Self.name + ".partial")
        // An earlier run left the first 10,000 bytes: only the rest is sent, and the MD5 covers all.
        FileManager.default.createFile(atPath: partial.path, contents: Data(served.bytes.prefix(10_000)))
        let result = try session.download(session.source.fileURL(.baseline, Self.name), to: partial,
                                          expectedSize: Int64(served.bytes.count)) { _ in }
        #expect(result.resumedFrom == 10_000)
        #expect(result.received == Int64(served.bytes.count - 10_000))
        #expect(result.md5 == (try FileDigest.md5(of: served.tree.appendingPathComponent("baseline/\(Self.name)"))))
        #expect([UInt8](try Data(contentsOf: partial)) == served.bytes)
        // vsftpd has no MLSD: its listing is MLSD, refused, then LIST.
        #expect(session.requestCount == (serverName == "vsftpd" ? 5 : 4))
        if serverName == "vsftpd" {
            // One control connection served every request: one login.
            #expect(MirrorTest.count("USER", in: server.requestLog()) == 1, "\(server.requestLog())")
        }
    }

    @Test func aBodyOverItsLimitIsRefusedAsFarTooLarge() async throws {
        let served = try Self.served("limit")
        let server = try await LoopbackServer.apache(root: served.root, tls: false)
        let session = try Self.session(server)
        let error = try #require(throws: TransferError.self) {
            _ = try session.fetchSmall(session.source.fileURL(.baseline, Self.name), limit: 4096)
        }
        #expect(error.code == .transferResponseTooLarge)
        #expect(error.kind == .permanent)
    }

    @Test func aFileLongerThanListedIsCutAtTheListedSize() async throws {
        let served = try Self.served("long")
        let server = try await LoopbackServer.apache(root: served.root, tls: false)
        let session = try Self.session(server)
        let partial = try TestPaths.temporaryDirectory("session-long").appendingPathComponent(Self.name + ".partial")
        let error = try #require(throws: DownloadError.self) {
            _ = try session.download(session.source.fileURL(.baseline, Self.name), to: partial, expectedSize: 1000) { _ in }
        }
        guard case .tooLong(let file, let listed) = error else { Issue.record("expected tooLong, got \(error)"); return }
        #expect(file == Self.name + ".partial" && listed == 1000)
        #expect((try? FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int) ?? 0 <= 1000)
    }

    @Test func aCompletePartialIsTakenWithoutARequest() async throws {
        let served = try Self.served("complete")
        let server = try await LoopbackServer.apache(root: served.root, tls: false)
        let session = try Self.session(server)
        let partial = try TestPaths.temporaryDirectory("session-complete").appendingPathComponent(Self.name + ".partial")
        FileManager.default.createFile(atPath: partial.path, contents: Data(served.bytes))
        let result = try session.download(session.source.fileURL(.baseline, Self.name), to: partial,
                                          expectedSize: Int64(served.bytes.count)) { _ in }
        #expect(result.received == 0 && result.resumedFrom == Int64(served.bytes.count))
        #expect(session.requestCount == 0)
    }
}
