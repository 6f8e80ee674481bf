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

@Suite struct MirrorSourceTests {
    @Test(arguments: [
        ("ftp://ftp.ncbi.nlm.nih.gov/pubmed/", MirrorSource.Scheme.ftp),
        ("ftps://example.org/pubmed", .ftps),
        ("https://ftp.ncbi.nlm.nih.gov/pubmed", .https),
        ("HTTP://127.0.0.1:8080/pubmed/", .http),
        ("file:///data/pubmed", .file),
        ("sftp://files.lab/srv/pubmed", .sftp),
    ])
    func acceptsEverySupportedScheme(text: String, scheme: MirrorSource.Scheme) throws {
        let source = try MirrorSource(text)
        #expect(source.scheme == scheme)
        #expect(source.url.absoluteString.hasSuffix("/"))
        #expect(source.folderURL(.baseline).absoluteString.hasSuffix("/baseline/"))
        #expect(source.fileURL(.updatefiles, "pubmed26n1335.xml.gz").absoluteString.hasSuffix("/updatefiles/pubmed26n1335.xml.gz"))
    }

    @Test(arguments: [
        "scp://host/pubmed/", "sftp://user:secret@host/pubmed/", "ftp://user:secret@host/pubmed/", "https://host/pubmed/?x=1", "not a url",
        "file://otherhost/data/", "https:///pubmed/",
    ])
    func refusesWhatCannotWork(text: String) {
        #expect(throws: ConfigurationError.self) { try MirrorSource(text) }
    }

    @Test func credentialsInTheURLAreRefusedWithoutEchoingThem() {
        do {
            _ = try MirrorSource("ftp://alice:hunter2@host/pubmed/")
            Issue.record("accepted a URL with a password")
        } catch {
            #expect(!error.description.contains("hunter2"))
            #expect(error.advice == [.credentialsFromEnvironment])
        }
    }
}
