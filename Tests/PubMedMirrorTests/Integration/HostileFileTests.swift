import Foundation
import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

/// Files whose published MD5 matches but whose content is not a PubMed file: an HTML error page,
/// a decompression bomb, bytes that are not gzip, another XML document. Each is refused with its
/// name, nothing from it is applied, and the rest of the run goes on.
@Suite(.heavyweight) struct HostileFileTests {
    static func gzip(_ bytes: [UInt8], to url: URL) throws {
        let raw = url.deletingPathExtension()
        try Data(bytes).write(to: raw)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-f", "-n", raw.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test(arguments: ["html", "bomb", "not-gzip", "wrong-root"])
    func aHostileUpdateFileIsRefusedByNameAndNothingOfItIsApplied(kind: String) async throws {
        let root = try TestPaths.temporaryDirectory("hostile-\(kind)")
        let tree = try ServedTree.make(cycles: [2026], at: root)
        let target = tree.appendingPathComponent("updatefiles/pubmed26n1336.xml.gz")
        switch kind {
        case "html":
            try Self.gzip(Array("<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>\n".utf8), to: target)
        case "bomb":
            // 64 MB of zeros in about 64 KB: the parser must give up at the first bytes.
            try Self.gzip([UInt8](repeating: 0, count: 64 << 20), to: target)
        case "not-gzip":
            try Data("this is not a gzip file\n".utf8).write(to: target)
        default:
            try Self.gzip(Array("<?xml version=\"1.0\"?><Catalog><Book id=\"1\"/></Catalog>\n".utf8), to: target)
        }
        try TestPaths.publishMD5(target)

        let mirror = Mirror(root: try TestPaths.temporaryDirectory("mirror-hostile-\(kind)"))
        var options = try MirrorTest.options(tree)
        options.index = true
        let report = try await mirror.fetch(options)
        if kind == "bomb" {
            // The parser gives up at the first bytes rather than inflating all 64 MB.
            let error = try RecordTestData.error { try ArticleFile.read(target) { _ in } }
            #expect((error.byteOffset ?? .max) < 1 << 20, "\(error)")
        }
        #expect(report.outcome == .partial)
        #expect(report.downloads.count == 3, "the file itself is what the server published")
        let index = try #require(report.index)
        #expect(index.applied.map(\.name) == ["pubmed26n1334.xml.gz", "pubmed26n1335.xml.gz"])
        let failure = try #require(index.failures.first)
        #expect(failure.name == "pubmed26n1336.xml.gz")
        #expect(failure.message.hasPrefix("pubmed26n1336.xml.gz: "))
        let counts = try mirror.openIndex().counts()
        #expect(counts.files == 2)
    }
}
