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

@Suite(.heavyweight) struct GzipInflatingReaderTests {
    /// The read-ahead thread hands over exactly the bytes the plain inflater produces, in order,
    /// in buffers of at most 256 KiB, each with what `ahead` computed for it.
    @Test func sameBytesAsTheInflater() throws {
        let url = RecordTestData.url(RecordTestData.largerBaseline)
        var expected: [UInt8] = []
        try GzipInflater.readFile(url) { expected.append(contentsOf: $0) }
        var bytes: [UInt8] = []
        var largest = 0
        let size = try InflatingReader.read(url, readSize: 10_000, ahead: { Array($0.prefix(4)) }, mapError: { $0 }) { (chunk, prefix, _) throws(GzipError) in
            #expect(Array(chunk.prefix(4)) == prefix)
            largest = max(largest, chunk.count)
            bytes.append(contentsOf: chunk)
        }
        #expect(size.fileSize == 823_919)
        #expect(bytes == expected)
        #expect(largest == InflatingReader.bufferSize)
    }

    /// Everything before the cut, then the gzip error.
    @Test func truncatedFile() throws {
        var total = 0
        let error = try RecordTestData.error(GzipError.self) {
            try InflatingReader.read(RecordTestData.url(RecordTestData.truncated)) { total += $0.count }
        }
        #expect(error.kind == .truncated)
        #expect(error.description == "pubmed23n0001.xml.gz: the gzip stream ends early at byte 212992 (truncated download?)")
        #expect(total == 2_009_329)
    }

    /// An error from the caller's closure stops the reading thread (which may be waiting for a
    /// free buffer) and comes back unchanged; repeated many times, nothing hangs or leaks a thread.
    @Test func callerErrorStopsTheReader() throws {
        let url = RecordTestData.url(RecordTestData.fullFile)
        for round in 0..<20 {
            var calls = 0
            let error = try RecordTestData.error(GzipError.self) {
                try InflatingReader.read(url) { (_) throws(GzipError) in
                    calls += 1
                    if calls > round % 5 { throw GzipError(kind: .io, file: "x", message: "stop \(round)") }
                }
            }
            #expect(error.message == "stop \(round)")
            #expect(calls == round % 5 + 1)
        }
    }

    @Test func notGzipAndMissingFile() throws {
        let notGzip = try RecordTestData.error(GzipError.self) {
            try InflatingReader.read(RecordTestData.url(RecordTestData.book)) { _ in }
        }
        #expect(notGzip.kind == .notGzip)
        let missing = try RecordTestData.error(GzipError.self) {
            try InflatingReader.read(URL(fileURLWithPath: "/nonexistent/x.gz")) { _ in }
        }
        #expect(missing.kind == .io)
    }
}
