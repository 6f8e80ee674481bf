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

/// Where the real PubMed files live and how tests read them.
enum RecordTestData {
    /// `../shared/data/pubmed` beside the repository (the repository root is three folders above
    /// this file's folder).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Records
        .deletingLastPathComponent()  // PubMedMirrorTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository
        .deletingLastPathComponent()
        .appendingPathComponent("shared/data/pubmed")

    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    /// A file under `Tests/PubMedMirrorTests/Fixtures/records/`.
    static func fixture(_ name: String) throws -> URL {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return folder.appendingPathComponent("records/\(name)")
    }

    static let largerBaseline = "pmparser-samples/2020-larger/baseline/pubmed20n1015.xml.gz"
    static let largerUpdate = "pmparser-samples/2020-larger/updatefiles/pubmed20n1016.xml.gz"
    static let fullFile = "ncbi-full/pubmed20n0014.xml.gz"
    static let truncated = "ncbi-truncated/pubmed23n0001.xml.gz"
    static let legacy = "legacy-medline16/medline16n0902.xml.gz"
    static let book = "efetch-samples/metapub_20301546_book.xml"

    /// The 16 pmparser samples with their record and deleted-PMID counts from SOURCES.md.
    static let samples: [(path: String, records: Int, deletions: Int)] = [
        ("pmparser-samples/2020/baseline/pubmed20n1015.xml.gz", 29, 0),
        ("pmparser-samples/2020/updatefiles/pubmed20n1016.xml.gz", 28, 262),
        ("pmparser-samples/2021/baseline/pubmed21n1062.xml.gz", 29, 0),
        ("pmparser-samples/2021/updatefiles/pubmed21n1063.xml.gz", 33, 0),
        ("pmparser-samples/2022/baseline/pubmed22n1114.xml.gz", 33, 0),
        ("pmparser-samples/2022/updatefiles/pubmed22n1115.xml.gz", 30, 48),
        ("pmparser-samples/2023/baseline/pubmed23n1166.xml.gz", 34, 0),
        ("pmparser-samples/2023/updatefiles/pubmed23n1167.xml.gz", 23, 0),
        ("pmparser-samples/2024/baseline/pubmed24n1219.xml.gz", 30, 0),
        ("pmparser-samples/2024/updatefiles/pubmed24n1220.xml.gz", 30, 0),
        ("pmparser-samples/2025/baseline/pubmed25n1274.xml.gz", 30, 0),
        ("pmparser-samples/2025/updatefiles/pubmed25n1275.xml.gz", 30, 0),
        ("pmparser-samples/2026/baseline/pubmed26n1334.xml.gz", 30, 0),
        ("pmparser-samples/2026/updatefiles/pubmed26n1335.xml.gz", 30, 6),
        (largerBaseline, 756, 0),
        (largerUpdate, 735, 218),
    ]

    /// Everything `ArticleFile.read` delivers for a file.
    struct Contents {
        var records: [(record: PubMedRecord, xml: [UInt8])] = []
        var deletions: [(pmid: Int, version: Int)] = []
        var summary: ArticleFileSummary?

        /// The first record with this PMID (and version, when given).
        func record(_ pmid: Int, version: Int? = nil) throws -> PubMedRecord {
            try #require(try records.first { $0.record.pmid == pmid && (version == nil || $0.record.version == version) }).record
        }
    }

    static func read(_ url: URL) throws -> Contents {
        var contents = Contents()
        contents.summary = try ArticleFile.read(url) { item in
            switch item {
            case .record(let record, let xml): contents.records.append((record, xml))
            case .deletion(let pmid, let version): contents.deletions.append((pmid, version))
            }
        }
        return contents
    }

    /// Parsed once and shared by the tests that read fields from these files.
    static let largerBaselineContents = Result { try read(url(largerBaseline)) }
    static let excerptContents = Result { try read(fixture("pubmed20n0014-excerpt.xml")) }

    /// The whole decompressed file, for tests that compare bytes (small files only).
    static func decompressed(_ url: URL) throws -> [UInt8] {
        var bytes: [UInt8] = []
        if url.pathExtension == "gz" {
            try GzipInflater.readFile(url) { (chunk) throws(GzipError) in bytes.append(contentsOf: chunk) }
        } else {
            bytes = try [UInt8](Data(contentsOf: url))
        }
        return bytes
    }

    /// Parses `bytes` fed in pieces of `chunkSize` bytes.
    static func parse(_ bytes: [UInt8], chunkSize: Int, fileName: String = "test.xml") throws -> [ArticleFileItem] {
        var items: [ArticleFileItem] = []
        let parser = ArticleFileParser(fileName: fileName) { items.append($0) }
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = min(chunkSize, buffer.count - offset)
                try parser.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count]))
                offset += count
            }
        }
        try parser.finish()
        return items
    }

    /// Parses an XML document given as text.
    static func parse(_ text: String, chunkSize: Int = 1 << 16) throws -> [ArticleFileItem] {
        try parse(Array(text.utf8), chunkSize: chunkSize)
    }

    /// The records of a parse, in order.
    static func records(_ items: [ArticleFileItem]) -> [PubMedRecord] {
        items.compactMap { if case .record(let record, _) = $0 { record } else { nil } }
    }

    /// Runs `body` and returns the `RecordError` it throws.
    static func error<E: Error>(_ type: E.Type = RecordError.self, _ body: () throws -> Void) throws -> E {
        do {
            try body()
        } catch let error as E {
            return error
        }
        Issue.record("no error was thrown")
        throw CancellationError()
    }
}
