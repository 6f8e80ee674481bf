import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

@Suite struct MD5FileTests {
    private static let name = "pubmed25n1275.xml.gz"
    private static let digest = "b60316755b85d0fd7af43f13d06df84c"

    private static func parse(_ text: String, expecting name: String = name) throws(MD5FileError) -> MD5File {
        try MD5File.parse(Array(text.utf8), expectedFileName: name)
    }

    /// The exact 60 bytes of `pmparser-samples/2025/updatefiles/pubmed25n1275.xml.gz.md5`, in
    /// NCBI's format.
    @Test func ncbiFormat() throws {
        let bytes = Array("MD5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c\n".utf8)
        #expect(bytes.count == 60)
        let parsed = try MD5File.parse(bytes, expectedFileName: Self.name)
        #expect(parsed == MD5File(fileName: Self.name, digest: Self.digest))
    }

    @Test(arguments: [
        "MD5(pubmed25n1275.xml.gz)=b60316755b85d0fd7af43f13d06df84c\n",  // no space after `=`
        "MD5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c\r\n",  // CRLF
        "MD5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c",  // no newline
        "\n  MD5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c \t\r\n\n",  // blanks around
        "MD5(pubmed25n1275.xml.gz)= B60316755B85D0FD7AF43F13D06DF84C\n",  // upper case
        "MD5 (pubmed25n1275.xml.gz) = b60316755b85d0fd7af43f13d06df84c\n",  // BSD `md5`
        "md5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c\n",
        "b60316755b85d0fd7af43f13d06df84c  pubmed25n1275.xml.gz\n",  // md5sum, text mode
        "b60316755b85d0fd7af43f13d06df84c *pubmed25n1275.xml.gz\n",  // md5sum, binary mode
        "B60316755b85d0fd7af43f13d06df84C  pubmed25n1275.xml.gz",
    ])
    func acceptedWithName(text: String) throws {
        #expect(try Self.parse(text) == MD5File(fileName: Self.name, digest: Self.digest))
    }

    /// A bare digest names no file: it is taken to be about the expected one.
    @Test(arguments: ["b60316755b85d0fd7af43f13d06df84c", "b60316755b85d0fd7af43f13d06df84c\n",
                      "  B60316755B85D0FD7AF43F13D06DF84C\r\n", "b60316755b85d0fd7af43f13d06df84c  \n"])
    func bareDigest(text: String) throws {
        #expect(try Self.parse(text) == MD5File(fileName: Self.name, digest: Self.digest))
    }

    @Test func nameWithParentheses() throws {
        let parsed = try Self.parse("MD5(odd (1).gz)= b60316755b85d0fd7af43f13d06df84c\n", expecting: "odd (1).gz")
        #expect(parsed.fileName == "odd (1).gz")
    }

    // MARK: - Errors

    private static func error(_ bytes: [UInt8], expecting name: String = name) -> MD5FileError? {
        do {
            _ = try MD5File.parse(bytes, expectedFileName: name)
            return nil
        } catch {
            return error
        }
    }

    private static func error(_ text: String) -> MD5FileError? { error(Array(text.utf8)) }

    @Test func empty() {
        #expect(Self.error("") == .empty(fileName: "pubmed25n1275.xml.gz.md5"))
        #expect(Self.error(" \r\n\t\n") == .empty(fileName: "pubmed25n1275.xml.gz.md5"))
    }

    @Test func tooLong() {
        let bytes = Array("MD5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c".utf8)
            + [UInt8](repeating: UInt8(ascii: " "), count: 4096)
        #expect(Self.error(bytes) == .tooLong(fileName: "pubmed25n1275.xml.gz.md5", byteCount: bytes.count))
        // 4096 bytes is still allowed.
        let padded = Array("b60316755b85d0fd7af43f13d06df84c".utf8) + [UInt8](repeating: 0x0A, count: 4096 - 32)
        #expect(Self.error(padded) == nil)
    }

    @Test func notText() {
        #expect(Self.error([0xFF, 0xFE, 0x4D, 0x00, 0x44, 0x00]) == .notText(fileName: "pubmed25n1275.xml.gz.md5"))
        #expect(Self.error(Array("MD5(pubmed25n1275.xml.gz)= ".utf8) + [0xC3])
            == .notText(fileName: "pubmed25n1275.xml.gz.md5"))
    }

    @Test(arguments: [
        ("<html><body>Not Found</body></html>", "<html><body>Not Found</body></html>"),
        ("SHA256(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c",
         "SHA256(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c"),
        ("MD5 pubmed25n1275.xml.gz b60316755b85d0fd7af43f13d06df84c", "MD5 pubmed25n1275.xml.gz b60316755b85d0fd7af43f13d06df84c"),
        ("MD5()= b60316755b85d0fd7af43f13d06df84c", "MD5()= b60316755b85d0fd7af43f13d06df84c"),
        ("b60316755b85d0fd7af43f13d06df84c \u{1}x", "b60316755b85d0fd7af43f13d06df84c \\u{01}x"),
        ("b60316755b85d0fd7af43f13d06df84c  a\nb60316755b85d0fd7af43f13d06df84c  b",
         "b60316755b85d0fd7af43f13d06df84c  a\\nb60316755b85d0fd7af43f13d06df84c  b"),
    ])
    func unrecognized(text: String, excerpt: String) {
        #expect(Self.error(text) == .unrecognizedFormat(fileName: "pubmed25n1275.xml.gz.md5", excerpt: excerpt))
    }

    @Test(arguments: [
        ("MD5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84", "b60316755b85d0fd7af43f13d06df84"),
        ("MD5(pubmed25n1275.xml.gz)= b60316755b85d0fd7af43f13d06df84c0", "b60316755b85d0fd7af43f13d06df84c0"),
        ("MD5(pubmed25n1275.xml.gz)= g60316755b85d0fd7af43f13d06df84c", "g60316755b85d0fd7af43f13d06df84c"),
        ("MD5(pubmed25n1275.xml.gz)= ", ""),
        ("MD5(pubmed25n1275.xml.gz)= b603 16755b85d0fd7af43f13d06df84c", "b603 16755b85d0fd7af43f13d06df84c"),
        ("abc123", "abc123"),
        ("b60316755b85d0fd7af43f13d06df84  pubmed25n1275.xml.gz", "b60316755b85d0fd7af43f13d06df84"),
    ])
    func badDigest(text: String, found: String) {
        #expect(Self.error(text) == .badDigest(fileName: "pubmed25n1275.xml.gz.md5", found: found))
    }

    @Test(arguments: [
        "MD5(pubmed26n0002.xml.gz)= b60316755b85d0fd7af43f13d06df84c\n",
        "b60316755b85d0fd7af43f13d06df84c  pubmed26n0002.xml.gz\n",
        "b60316755b85d0fd7af43f13d06df84c *pubmed26n0002.xml.gz\n",
    ])
    func nameMismatch(text: String) {
        let error = Self.error(Array(text.utf8), expecting: "pubmed26n0001.xml.gz")
        #expect(error == .nameMismatch(fileName: "pubmed26n0001.xml.gz.md5", found: "pubmed26n0002.xml.gz",
                                       expected: "pubmed26n0001.xml.gz"))
        #expect(error?.description == "pubmed26n0001.xml.gz.md5 names pubmed26n0002.xml.gz, not pubmed26n0001.xml.gz.")
    }

    /// Names are compared exactly: a path or a different case is another file.
    @Test(arguments: ["./pubmed25n1275.xml.gz", "baseline/pubmed25n1275.xml.gz", "PUBMED25N1275.XML.GZ",
                      "pubmed25n1275.xml.gz "])
    func nameMustMatchExactly(written: String) {
        #expect(Self.error("MD5(\(written))= b60316755b85d0fd7af43f13d06df84c")
            == .nameMismatch(fileName: "pubmed25n1275.xml.gz.md5", found: written, expected: Self.name))
    }

    @Test func descriptionsAreOneSentenceNamingTheFile() {
        let errors: [MD5FileError] = [
            .empty(fileName: "pubmed26n0001.xml.gz.md5"),
            .tooLong(fileName: "pubmed26n0001.xml.gz.md5", byteCount: 5000),
            .notText(fileName: "pubmed26n0001.xml.gz.md5"),
            .unrecognizedFormat(fileName: "pubmed26n0001.xml.gz.md5", excerpt: "<html>"),
            .badDigest(fileName: "pubmed26n0001.xml.gz.md5", found: "abc"),
            .nameMismatch(fileName: "pubmed26n0001.xml.gz.md5", found: "x", expected: "pubmed26n0001.xml.gz"),
        ]
        for error in errors {
            #expect(error.description.hasPrefix("pubmed26n0001.xml.gz.md5 "))
            #expect(error.description.hasSuffix("."))
            #expect(!error.description.contains("\n"))
            #expect(error.fileName == "pubmed26n0001.xml.gz.md5")
        }
        #expect(errors[0].description == "pubmed26n0001.xml.gz.md5 is empty.")
        #expect(errors[1].description
            == "pubmed26n0001.xml.gz.md5 is 5000 bytes long, more than the 4096 an MD5 file may have.")
        #expect(errors[4].description
            == "pubmed26n0001.xml.gz.md5 gives the digest \"abc\", which is not 32 hexadecimal digits.")
    }

    @Test func longContentIsCutInMessages() throws {
        let junk = String(repeating: "z", count: 300)
        guard case .unrecognizedFormat(_, let excerpt) = Self.error(junk) else {
            Issue.record("expected unrecognizedFormat")
            return
        }
        #expect(excerpt == String(repeating: "z", count: 80) + "…")
    }
}
