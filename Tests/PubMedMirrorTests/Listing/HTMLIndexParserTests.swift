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

@Suite struct HTMLIndexParserTests {
    private static func minute(_ seconds: Int64) -> RemoteTimestamp {
        RemoteTimestamp(seconds: seconds, precision: .minute)
    }

    private static func approx(_ bytes: Int64, _ tolerance: Int64) -> SizeHint {
        .approximate(bytes: bytes, tolerance: tolerance)
    }

    /// What Apache 2.4.71's fancy index shows for the served tree, in `<pre>` and `HTMLTable` form
    /// alike: rounded 1024-based sizes, exact below 973 bytes; times to the minute in the server's
    /// own zone (UTC here); the link's target's size and time for the symbolic link.
    private static let apacheEntries: [ListingEntry] = [
        ListingEntry(name: "README.txt", size: approx(4608, 103), modified: minute(1_675_764_000)),
        ListingEntry(name: "big archive.tar", size: approx(1_288_490_189, 107_374_183), modified: minute(1_719_791_940)),
        ListingEntry(name: "latest.xml.gz", size: approx(94208, 1024), modified: minute(1_795_183_500)),
        ListingEntry(name: "notes:2025.txt", size: .exact(6), modified: minute(1_780_315_200)),
        ListingEntry(name: "old", size: nil, modified: minute(1_795_075_200), isDirectory: true),
        ListingEntry(name: "pubmed25n1275.xml.gz", size: approx(83968, 1024), modified: minute(1_736_517_900)),
        ListingEntry(name: "pubmed25n1275.xml.gz.md5", size: .exact(60), modified: minute(1_736_517_900)),
        ListingEntry(name: "pubmed25n1275_stats.html", size: .exact(167), modified: minute(1_736_517_960)),
        ListingEntry(name: "pubmed26n1335.xml.gz", size: approx(94208, 1024), modified: minute(1_795_183_500)),
        ListingEntry(name: "pubmed26n1335.xml.gz.md5", size: .exact(60), modified: minute(1_795_183_500)),
        ListingEntry(name: "pubmed26n1336.xml.gz", size: approx(87_031_808, 1_048_576), modified: minute(1_795_252_500)),
        ListingEntry(name: "résumé.txt", size: .exact(8), modified: minute(1_772_325_000)),
    ]

    /// `IndexOptions FancyIndexing NameWidth=* SuppressDescription`: NCBI's layout.
    @Test func apacheFancy() throws {
        #expect(HTMLIndexParser.parse(try ListingFixture.bytes("apache-fancy.html")) == Self.apacheEntries)
    }

    /// `IndexOptions FancyIndexing HTMLTable NameWidth=* SuppressDescription`.
    @Test func apacheTable() throws {
        #expect(HTMLIndexParser.parse(try ListingFixture.bytes("apache-table.html")) == Self.apacheEntries)
    }

    /// Apache's default `NameWidth` (23) cuts the link text: `pubmed25n1275.xml.gz..&gt;`. Names
    /// come from the hrefs, so nothing changes.
    @Test func apacheDefaultNameWidthTruncatesLinkText() throws {
        let html = try ListingFixture.bytes("apache-fancy-default-namewidth.html")
        #expect(String(decoding: html, as: UTF8.self).contains("pubmed25n1275.xml.gz..&gt;</a>"))
        #expect(HTMLIndexParser.parse(html) == Self.apacheEntries)
    }

    /// nginx 1.22.1 `autoindex on`: exact byte sizes, `16-Dec-2019 11:49` stamps in UTC
    /// (`autoindex_localtime off`), `-` for folders, `../` for the parent.
    @Test func nginxAutoindex() throws {
        let entries = HTMLIndexParser.parse(try ListingFixture.bytes("nginx-autoindex.html"))
        #expect(entries == [
            ListingEntry(name: "old", size: nil, modified: Self.minute(1_795_075_200), isDirectory: true),
            ListingEntry(name: "README.txt", size: .exact(4600), modified: Self.minute(1_675_764_000)),
            ListingEntry(name: "big archive.tar", size: .exact(1_288_490_189), modified: Self.minute(1_719_791_940)),
            ListingEntry(name: "latest.xml.gz", size: .exact(93697), modified: Self.minute(1_795_183_500)),
            ListingEntry(name: "notes:2025.txt", size: .exact(6), modified: Self.minute(1_780_315_200)),
            ListingEntry(name: "pubmed25n1275.xml.gz", size: .exact(84226), modified: Self.minute(1_736_517_900)),
            ListingEntry(name: "pubmed25n1275.xml.gz.md5", size: .exact(60), modified: Self.minute(1_736_517_900)),
            ListingEntry(name: "pubmed25n1275_stats.html", size: .exact(167), modified: Self.minute(1_736_517_960)),
            ListingEntry(name: "pubmed26n1335.xml.gz", size: .exact(93697), modified: Self.minute(1_795_183_500)),
            ListingEntry(name: "pubmed26n1335.xml.gz.md5", size: .exact(60), modified: Self.minute(1_795_183_500)),
            ListingEntry(name: "pubmed26n1336.xml.gz", size: .exact(87_000_000), modified: Self.minute(1_795_252_500)),
            ListingEntry(name: "résumé.txt", size: .exact(8), modified: Self.minute(1_772_325_000)),
        ])
    }

    /// nginx with `autoindex_exact_size off` rounds to whole K/M/G (`1G` for 1.2 GiB).
    @Test func nginxAutoindexRounded() throws {
        let entries = HTMLIndexParser.parse(try ListingFixture.bytes("nginx-autoindex-rounded.html"))
        let sizes = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.size) })
        #expect(sizes["big archive.tar"] == Self.approx(1_073_741_824, 1_073_741_824))
        #expect(sizes["pubmed25n1275.xml.gz"] == Self.approx(83968, 1024))
        #expect(sizes["pubmed26n1336.xml.gz"] == Self.approx(87_031_808, 1_048_576))
        #expect(sizes["README.txt"] == .exact(4600))
        #expect(sizes["old"] == .some(nil))
    }

    /// lighttpd 1.4.69 `dir-listing`: a table with `2026-Nov-19 08:00:00` stamps (seconds, server's
    /// zone) and sizes with one decimal that are cut, not rounded, and never below `0.1K`.
    @Test func lighttpdDirListing() throws {
        let entries = HTMLIndexParser.parse(try ListingFixture.bytes("lighttpd-dirlisting.html"))
        let second = { (seconds: Int64) in RemoteTimestamp(seconds: seconds, precision: .second) }
        let tenthK = Self.approx(102, 103)
        #expect(entries == [
            ListingEntry(name: "old", size: nil, modified: second(1_795_075_200), isDirectory: true),
            ListingEntry(name: "README.txt", size: Self.approx(4608, 103), modified: second(1_675_764_000)),
            ListingEntry(name: "big archive.tar", size: Self.approx(1_288_490_189, 107_374_183), modified: second(1_719_791_999)),
            ListingEntry(name: "latest.xml.gz", size: Self.approx(93696, 103), modified: second(1_795_183_527)),
            ListingEntry(name: "notes:2025.txt", size: tenthK, modified: second(1_780_315_200)),
            ListingEntry(name: "pubmed25n1275.xml.gz", size: Self.approx(84173, 103), modified: second(1_736_517_907)),
            ListingEntry(name: "pubmed25n1275.xml.gz.md5", size: tenthK, modified: second(1_736_517_942)),
            ListingEntry(name: "pubmed25n1275_stats.html", size: tenthK, modified: second(1_736_517_960)),
            ListingEntry(name: "pubmed26n1335.xml.gz", size: Self.approx(93696, 103), modified: second(1_795_183_527)),
            ListingEntry(name: "pubmed26n1335.xml.gz.md5", size: tenthK, modified: second(1_795_183_541)),
            ListingEntry(name: "pubmed26n1336.xml.gz", size: Self.approx(86_926_950, 104_858), modified: second(1_795_252_500)),
            ListingEntry(name: "résumé.txt", size: tenthK, modified: second(1_772_325_000)),
        ])
    }

    /// For every captured page, each size hint admits the file's true size and each stamp matches
    /// its true modification time: the tolerances are wide enough for every server's rounding.
    @Test(arguments: ["apache-fancy.html", "apache-table.html", "apache-fancy-default-namewidth.html",
                      "nginx-autoindex.html", "nginx-autoindex-rounded.html", "lighttpd-dirlisting.html"])
    func hintsAdmitTheServedFiles(fixture: String) throws {
        let entries = HTMLIndexParser.parse(try ListingFixture.bytes(fixture))
        #expect(Set(entries.map(\.name)) == Set(ListingFixture.servedNamesInOrder))
        for entry in entries {
            let served = try #require(ListingFixture.served[entry.name])
            if let bytes = served.bytes {
                let size = try #require(entry.size, "\(entry.name)")
                #expect(size.admits(bytes), "\(entry.name): \(size) vs \(bytes)")
            } else {
                #expect(entry.size == nil && entry.isDirectory, "\(entry.name)")
            }
            let modified = try #require(entry.modified, "\(entry.name)")
            #expect(modified.matches(RemoteTimestamp(seconds: served.seconds, precision: .second)), "\(entry.name)")
        }
    }

    /// Hand-made, not captured: NCBI's own index in Apache's format, from the rows other tools quote
    /// (`pubmed25n1275.xml.gz  2025-01-10 14:05  83M`, its `.md5` at `60`, the HTML 3.2 doctype,
    /// `Parent Directory` → `/pubmed/`). The README and stats sizes are invented.
    @Test func ncbiHandMade() throws {
        let entries = HTMLIndexParser.parse(try ListingFixture.bytes("ncbi-updatefiles-handmade.html"))
        #expect(entries == [
            ListingEntry(name: "README.txt", size: Self.approx(4096, 103), modified: Self.minute(1_736_517_900)),
            ListingEntry(name: "pubmed25n1275.xml.gz", size: Self.approx(87_031_808, 1_048_576),
                         modified: Self.minute(1_736_517_900)),
            ListingEntry(name: "pubmed25n1275.xml.gz.md5", size: .exact(60), modified: Self.minute(1_736_517_900)),
            ListingEntry(name: "pubmed25n1275_stats.html", size: Self.approx(1126, 103), modified: Self.minute(1_736_517_900)),
        ])
    }

    /// A page the size of NCBI's 2026 `baseline/` index (1,334 files and their `.md5`s, in Apache's
    /// format) parses whole and quickly.
    @Test func baselineSizedPage() {
        var html = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2 Final//EN\">\n<html><body><pre>"
        html += "<a href=\"/pubmed/\">Parent Directory</a>   -\n"
        for number in 1...1334 {
            let name = PubMedFileName(cycle: 26, number: number).name
            html += "<img src=\"/icons/compressed.gif\" alt=\"[   ]\"> <a href=\"\(name)\">\(name)</a>     2026-01-30 09:15   19M  \n"
            html += "<img src=\"/icons/unknown.gif\" alt=\"[   ]\"> <a href=\"\(name).md5\">\(name).md5</a> 2026-01-30 09:15   60   \n"
        }
        html += "<hr></pre></body></html>\n"
        let entries = HTMLIndexParser.parse(Array(html.utf8))
        #expect(entries.count == 2668)
        #expect(entries.last == ListingEntry(name: "pubmed26n1334.xml.gz.md5", size: .exact(60),
                                             modified: Self.minute(1_769_764_500)))
    }

    // MARK: - Links

    @Test(arguments: [
        ("?C=N;O=D", nil), ("?C=M;O=A", nil), ("../", nil), ("..", nil), ("/pubmed/", nil), ("/", nil),
        ("//example.org/x.gz", nil), ("http://example.org/x.gz", nil), ("HTTPS://example.org/", nil),
        ("ftp:x.gz", nil), ("mailto:help@example.org", nil), ("x.gz?download=1", nil), ("x.gz#top", nil),
        ("sub/x.gz", nil), ("./", nil), ("%2Fetc%2Fpasswd", nil), ("a%2fb", nil), ("bad%zz", nil), ("bad%4", nil),
        ("%ff%fe", nil), ("%2e%2e", nil), ("", nil), ("   ", nil),
        ("pubmed25n1275.xml.gz", "pubmed25n1275.xml.gz"), ("pubmed%2025n0001.xml.gz", "pubmed 25n0001.xml.gz"),
        ("./notes:2025.txt", "notes:2025.txt"), ("notes%3A2025.txt", "notes:2025.txt"),
        ("r%c3%a9sum%c3%a9.txt", "résumé.txt"), ("r%C3%A9sum%C3%A9.txt", "résumé.txt"), ("résumé.txt", "résumé.txt"),
        ("a+b%2Bc", "a+b+c"), ("  spaced.gz  ", "spaced.gz"), ("old/", "old"), ("%2e%2e%2e", "..."),
    ] as [(String, String?)])
    func hrefNames(href: String, name: String?) {
        #expect(HTMLIndexParser.entryName(href: href)?.name == name)
    }

    @Test func trailingSlashMarksAFolder() throws {
        let folder = try #require(HTMLIndexParser.entryName(href: "old/"))
        #expect(folder.isDirectory)
        #expect(HTMLIndexParser.entryName(href: "old")?.isDirectory == false)
    }

    @Test func skipsParentDirectoryByItsText() {
        let html = """
            <pre><a href="up.html">Parent Directory</a>   -
            <a href="x.gz">x.gz</a>  2025-01-10 14:05  60
            <a href="index.html"> parent DIRECTORY </a>
            </pre>
            """
        #expect(HTMLIndexParser.parse(Array(html.utf8)).map(\.name) == ["x.gz"])
    }

    /// With `IndexOptions IconsAreLinks` each row has two links to the same file: one entry.
    @Test func iconLinksMergeWithTheirRow() {
        let html = """
            <pre><a href="a.gz"><img src="/icons/compressed.gif" alt="[CMP]"></a> <a href="a.gz">a.gz</a>  2025-01-10 14:05  83M
            <a href="b.gz"><img src="/icons/compressed.gif" alt="[CMP]"></a> <a href="b.gz">b.gz</a>  2025-01-10 14:06  60
            </pre>
            """
        #expect(HTMLIndexParser.parse(Array(html.utf8)) == [
            ListingEntry(name: "a.gz", size: Self.approx(87_031_808, 1_048_576), modified: Self.minute(1_736_517_900)),
            ListingEntry(name: "b.gz", size: .exact(60), modified: Self.minute(1_736_517_960)),
        ])
    }

    /// Apache 2.2 and older wrote `10-Jan-2025 14:05`; the markup may be upper case.
    @Test func olderApacheLayout() {
        let html = """
            <HTML><BODY><PRE><IMG SRC="/icons/back.gif" ALT="[DIR]"> <A HREF="/pubmed/">Parent Directory</A>                             -
            <IMG SRC="/icons/unknown.gif" ALT="[   ]"> <A HREF="pubmed25n1275.xml.gz">pubmed25n1275.xml.gz</A>    10-Jan-2025 14:05   83M
            </PRE></BODY></HTML>
            """
        #expect(HTMLIndexParser.parse(Array(html.utf8)) == [
            ListingEntry(name: "pubmed25n1275.xml.gz", size: Self.approx(87_031_808, 1_048_576),
                         modified: Self.minute(1_736_517_900)),
        ])
    }

    // MARK: - Sizes and dates

    @Test(arguments: [
        ("83M", .approximate(bytes: 87_031_808, tolerance: 1_048_576)),
        ("4.0K", .approximate(bytes: 4096, tolerance: 103)),
        ("1.2G", .approximate(bytes: 1_288_490_189, tolerance: 107_374_183)),
        ("60", .exact(60)), ("0", .exact(0)),
        ("1T", .approximate(bytes: 1_099_511_627_776, tolerance: 1_099_511_627_776)),
        ("0.1K", .approximate(bytes: 102, tolerance: 103)),
        ("12.34K", .approximate(bytes: 12636, tolerance: 11)),
        ("2k", .approximate(bytes: 2048, tolerance: 1024)),
        ("-", nil), ("K", nil), (".5K", nil), ("5.K", nil), ("1.2345K", nil), ("abcK", nil), ("12X", nil),
        ("99999999999999999999", nil), ("9999999P", nil), ("-5", nil),
    ] as [(String, SizeHint?)])
    func sizes(token: String, expected: SizeHint?) {
        #expect(IndexRowText.size(Substring(token)) == expected)
    }

    @Test(arguments: [
        ("2025-01-10", "14:05", RemoteTimestamp(seconds: 1_736_517_900, precision: .minute)),
        ("10-Jan-2025", "14:05", RemoteTimestamp(seconds: 1_736_517_900, precision: .minute)),
        ("2025-Jan-10", "14:05:07", RemoteTimestamp(seconds: 1_736_517_907, precision: .second)),
        ("2025-02-30", "14:05", nil), ("2025-01-10", "24:00", nil), ("10-Foo-2025", "14:05", nil),
        ("25-01-10", "14:05", nil), ("2025-1-10", "14:05", nil), ("2025-01-10", "14h05", nil),
    ] as [(String, String, RemoteTimestamp?)])
    func dates(date: String, time: String, expected: RemoteTimestamp?) {
        #expect(IndexRowText.timestamp(date: Substring(date), time: Substring(time)) == expected)
    }

    // MARK: - Robustness

    @Test func emptyAndTrivialInput() {
        #expect(HTMLIndexParser.parse([]).isEmpty)
        #expect(HTMLIndexParser.parse(Array("   ".utf8)).isEmpty)
        #expect(HTMLIndexParser.parse(Array("<html></html>".utf8)).isEmpty)
        #expect(HTMLIndexParser.parse(Array("no markup at all".utf8)).isEmpty)
    }

    /// Every prefix of a real page parses without trouble, and only yields names of the full page
    /// (the last one possibly without its date or size).
    @Test func truncatedPages() throws {
        let html = try ListingFixture.bytes("apache-fancy.html")
        let names = Set(ListingFixture.servedNamesInOrder)
        for length in stride(from: 0, through: html.count, by: 7) {
            let entries = HTMLIndexParser.parse(Array(html.prefix(length)))
            for entry in entries {
                #expect(names.contains(where: { $0.hasPrefix(entry.name) }), "prefix of \(length) bytes: \(entry.name)")
            }
        }
    }

    @Test func garbageNeverCrashes() {
        var random = TestRandom(seed: 0xBADC0DE)
        let fragments = ["<a href=\"", "\">", "</a>", "<pre>", "</pre>", "<tr>", "<td>", "</td>", "<!--", "-->",
                         "2025-01-10", "14:05", "83M", "-", "%", "%2F", "&amp;", "&#0;", "\u{0}", "<![CDATA[", "\n",
                         "<script>", "<a href=x>", "<table>", "<a", "href", "=", "?", "../", " "]
        for _ in 0..<500 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(random.next() % 40) {
                if random.next() % 4 == 0 {
                    bytes += (0..<Int(random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                } else {
                    bytes += Array(fragments[Int(random.next() % UInt64(fragments.count))].utf8)
                }
            }
            #expect(HTMLIndexParser.parse(bytes).allSatisfy { !$0.name.isEmpty && !$0.name.contains("/") })
        }
    }

    /// Bytes that are not UTF-8 (a Latin-1 page) do not stop the parse.
    @Test func latin1Page() {
        var html = Array("<pre><a href=\"caf%e9.txt\">caf".utf8)
        html += [0xE9]
        html += Array("</a>  2025-01-10 14:05  60\n<a href=\"b.gz\">b.gz</a>  2025-01-10 14:05  61\n</pre>".utf8)
        // `%e9` alone is not UTF-8, so that link is dropped; the next row still parses.
        #expect(HTMLIndexParser.parse(html) == [
            ListingEntry(name: "b.gz", size: .exact(61), modified: Self.minute(1_736_517_900)),
        ])
    }

    /// Each call owns its parser context: many parses at once give the same answers.
    @Test func parsesOnManyThreadsAtOnce() async throws {
        let pages = try ["apache-fancy.html", "apache-table.html", "nginx-autoindex.html", "lighttpd-dirlisting.html"]
            .map { try ListingFixture.bytes($0) }
        let expected = pages.map(HTMLIndexParser.parse)
        let allEqual = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<64 {
                group.addTask { HTMLIndexParser.parse(pages[index % pages.count]) == expected[index % pages.count] }
            }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(allEqual)
    }
}
