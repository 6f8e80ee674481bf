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

/// The listings in `Fixtures/listings/`.
///
/// Captured from real servers on loopback (2026-11-21, servers run with `TZ=UTC`) serving a tree
/// `pubmed/updatefiles/` made of real sample files plus a folder, a symbolic link and odd names;
/// `.txt` files exactly as curl printed them. `mlsd-handwritten.txt` and
/// `ncbi-updatefiles-handmade.html` are written by hand (see the tests that use them).
enum ListingFixture {
    static func bytes(_ name: String) throws -> [UInt8] {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return Array(try Data(contentsOf: folder.appendingPathComponent("listings/\(name)")))
    }

    static func text(_ name: String) throws -> String {
        try #require(String(validating: try bytes(name), as: UTF8.self))
    }

    /// When the fixtures were captured: `Mon DD HH:MM` stamps in them are read against this.
    static let captureTime = Date(timeIntervalSince1970: 1_795_262_400)  // 2026-11-21 12:00 UTC

    /// The true size and modification time (UTC) of each file served for the captures.
    static let served: [String: (bytes: Int64?, seconds: Int64)] = [
        "README.txt": (4600, 1_675_764_000),  // 2023-02-07 10:00:00
        "big archive.tar": (1_288_490_189, 1_719_791_999),  // 2024-06-30 23:59:59, sparse
        "latest.xml.gz": (93697, 1_795_183_527),  // symbolic link to pubmed26n1335.xml.gz
        "notes:2025.txt": (6, 1_780_315_200),  // 2026-06-01 12:00:00
        "old": (nil, 1_795_075_200),  // folder, 2026-11-19 08:00:00
        "pubmed25n1275.xml.gz": (84226, 1_736_517_907),  // 2025-01-10 14:05:07
        "pubmed25n1275.xml.gz.md5": (60, 1_736_517_942),
        "pubmed25n1275_stats.html": (167, 1_736_517_960),
        "pubmed26n1335.xml.gz": (93697, 1_795_183_527),  // 2026-11-20 14:05:27
        "pubmed26n1335.xml.gz.md5": (60, 1_795_183_541),
        "pubmed26n1336.xml.gz": (87_000_000, 1_795_252_500),  // 2026-11-21 09:15:00, sparse
        "résumé.txt": (8, 1_772_325_000),  // 2026-03-01 00:30:00
    ]

    /// The served names in the byte order every server here sorted them.
    static let servedNamesInOrder = [
        "README.txt", "big archive.tar", "latest.xml.gz", "notes:2025.txt", "old",
        "pubmed25n1275.xml.gz", "pubmed25n1275.xml.gz.md5", "pubmed25n1275_stats.html",
        "pubmed26n1335.xml.gz", "pubmed26n1335.xml.gz.md5", "pubmed26n1336.xml.gz", "résumé.txt",
    ]
}

@Suite struct FTPListingParserTests {
    private static func stamp(_ seconds: Int64, _ precision: RemoteTimestamp.Precision) -> RemoteTimestamp {
        RemoteTimestamp(seconds: seconds, precision: precision)
    }

    // MARK: - LIST from vsftpd

    /// vsftpd 3.0.3: numeric owner and group, zero-padded days (`Feb 07`), times in UTC whatever
    /// the server's zone (`use_localtime=NO`), the year instead of the time for stamps older than
    /// six months, symbolic links as `name -> target`.
    @Test func vsftpdList() throws {
        let entries = FTPListingParser.parseList(try ListingFixture.text("vsftpd-list.txt"),
                                                 now: ListingFixture.captureTime)
        let expected: [ListingEntry] = [
            ListingEntry(name: "README.txt", size: .exact(4600), modified: Self.stamp(1_675_728_000, .day)),
            ListingEntry(name: "big archive.tar", size: .exact(1_288_490_189), modified: Self.stamp(1_719_705_600, .day)),
            ListingEntry(name: "latest.xml.gz", size: nil, modified: Self.stamp(1_795_186_800, .minute)),
            ListingEntry(name: "notes:2025.txt", size: .exact(6), modified: Self.stamp(1_780_315_200, .minute)),
            ListingEntry(name: "old", size: .exact(4096), modified: Self.stamp(1_795_075_200, .minute), isDirectory: true),
            ListingEntry(name: "pubmed25n1275.xml.gz", size: .exact(84226), modified: Self.stamp(1_736_467_200, .day)),
            ListingEntry(name: "pubmed25n1275.xml.gz.md5", size: .exact(60), modified: Self.stamp(1_736_467_200, .day)),
            ListingEntry(name: "pubmed25n1275_stats.html", size: .exact(167), modified: Self.stamp(1_736_467_200, .day)),
            ListingEntry(name: "pubmed26n1335.xml.gz", size: .exact(93697), modified: Self.stamp(1_795_183_500, .minute)),
            ListingEntry(name: "pubmed26n1335.xml.gz.md5", size: .exact(60), modified: Self.stamp(1_795_183_500, .minute)),
            ListingEntry(name: "pubmed26n1336.xml.gz", size: .exact(87_000_000), modified: Self.stamp(1_795_252_500, .minute)),
            ListingEntry(name: "résumé.txt", size: .exact(8), modified: Self.stamp(1_772_323_200, .day)),
        ]
        #expect(entries == expected)
    }

    /// On the wire vsftpd ends lines with CRLF; curl printed them with LF. Both parse the same.
    @Test func vsftpdListWithCRLF() throws {
        let text = try ListingFixture.text("vsftpd-list.txt")
        let crlf = text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(FTPListingParser.parseList(crlf, now: ListingFixture.captureTime)
            == FTPListingParser.parseList(text, now: ListingFixture.captureTime))
    }

    /// Every stamp agrees with the file's real modification time at the stamp's precision (the
    /// link's own time for the link, which LIST does not follow).
    @Test func vsftpdListStampsMatchTheServedFiles() throws {
        let entries = FTPListingParser.parseList(try ListingFixture.text("vsftpd-list.txt"),
                                                 now: ListingFixture.captureTime)
        #expect(entries.map(\.name) == ListingFixture.servedNamesInOrder)
        for entry in entries where entry.name != "latest.xml.gz" {
            let served = try #require(ListingFixture.served[entry.name])
            let modified = try #require(entry.modified)
            #expect(modified.matches(RemoteTimestamp(seconds: served.seconds, precision: .second)), "\(entry.name)")
            if let bytes = served.bytes { #expect(entry.size == .exact(bytes), "\(entry.name)") }
        }
    }

    @Test func vsftpdNameList() throws {
        let entries = FTPListingParser.parseNameList(try ListingFixture.text("vsftpd-nlst.txt"))
        #expect(entries.map(\.name) == ListingFixture.servedNamesInOrder)
        #expect(entries.allSatisfy { $0.size == nil && $0.modified == nil && !$0.isDirectory })
    }

    // MARK: - LIST, other servers' Unix style

    @Test(arguments: [
        // NCBI, as other mirror tools quote it; read on 2026-11-21, `Jan 10` is 2026-01-10
        ("-r--r--r--   1 ftp anonymous  60 Jan 10 14:05 pubmed25n1275.xml.gz.md5",
         ListingEntry(name: "pubmed25n1275.xml.gz.md5", size: .exact(60),
                      modified: RemoteTimestamp(seconds: 1_768_053_900, precision: .minute))),
        ("-rw-r--r--    1 ftp      ftp      16654749 Dec 16  2019 pubmed20n0014.xml.gz",
         ListingEntry(name: "pubmed20n0014.xml.gz", size: .exact(16_654_749),
                      modified: RemoteTimestamp(seconds: 1_576_454_400, precision: .day))),
        // pure-ftpd: numeric ids in wide columns
        ("-rw-r--r--    1 1000       1000         16654749 Dec 16  2019 pubmed20n0014.xml.gz",
         ListingEntry(name: "pubmed20n0014.xml.gz", size: .exact(16_654_749),
                      modified: RemoteTimestamp(seconds: 1_576_454_400, precision: .day))),
        // proftpd, a folder
        ("drwxr-xr-x 2 0 0 4096 Nov 21 12:00 sub",
         ListingEntry(name: "sub", size: .exact(4096),
                      modified: RemoteTimestamp(seconds: 1_795_262_400, precision: .minute), isDirectory: true)),
        // ls pads the day with a space; no group column
        ("-rw-r--r-- 1 ftp 123 Jan  5  2025 nogroup.txt",
         ListingEntry(name: "nogroup.txt", size: .exact(123),
                      modified: RemoteTimestamp(seconds: 1_736_035_200, precision: .day))),
        // a name with spaces, one of them leading, and an ACL marker on the mode
        ("-rw-r--r--+ 1 ftp ftp 7 Jan 10  2025  two  spaces ",
         ListingEntry(name: " two  spaces ", size: .exact(7),
                      modified: RemoteTimestamp(seconds: 1_736_467_200, precision: .day))),
        // a name that looks like a date does not confuse the columns
        ("-rw-r--r-- 1 ftp ftp 9 Jan 10  2025 Dec 16 2019 notes",
         ListingEntry(name: "Dec 16 2019 notes", size: .exact(9),
                      modified: RemoteTimestamp(seconds: 1_736_467_200, precision: .day))),
        // a symbolic link: the name only, and not the link's own size
        ("lrwxrwxrwx 1 0 0 20 Nov 20 15:00 latest.xml.gz -> pubmed26n1335.xml.gz",
         ListingEntry(name: "latest.xml.gz", size: nil,
                      modified: RemoteTimestamp(seconds: 1_795_186_800, precision: .minute))),
        // seconds, as some servers print with `ls --full-time`-like options
        ("-rw-r--r-- 1 ftp ftp 5 Nov 21 10:11:12 precise.txt",
         ListingEntry(name: "precise.txt", size: .exact(5),
                      modified: RemoteTimestamp(seconds: 1_795_255_872, precision: .second))),
    ])
    func unixLine(line: String, expected: ListingEntry) {
        #expect(FTPListingParser.parseList(line, now: ListingFixture.captureTime) == [expected])
    }

    @Test func skipsTotalsDotsBlanksAndUnknownLines() {
        let text = """
            total 12\r
            \r
            drwxr-xr-x   3 ftp ftp 4096 Nov 21 12:00 .\r
            drwxr-xr-x   3 ftp ftp 4096 Nov 21 12:00 ..\r
            -rw-r--r--   1 ftp ftp   60 Jan 10  2025 kept.md5\r
            brw-rw----   1 root disk 8, 0 Nov 21 12:00 sda\r
            srwxrwxrwx   1 ftp ftp    0 Nov 21 12:00 socket\r
            -rw-r--r--   1 ftp ftp  abc Jan 10  2025 size-not-a-number\r
            -rw-r--r--   1 ftp ftp   12 Feb 30  2025 no-such-day\r
            -rw-r--r--   1 ftp ftp   12 Foo 10  2025 no-such-month\r
            -rw-r--r--   1 ftp ftp   12 Jan 10  2025\r
            -rw-r--r--   1 ftp ftp   12 Jan 10 25:00 no-such-hour\r
            -rw-r--r--   1 ftp ftp   12 Jan 10 \r
            hello world\r
            -rw-r--r--\r
            250 Directory send OK.\r

            """
        let entries = FTPListingParser.parseList(text, now: ListingFixture.captureTime)
        #expect(entries.map(\.name) == ["kept.md5"])
    }

    // MARK: - Years of `Mon DD HH:MM` stamps

    private static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Date {
        Date(timeIntervalSince1970: TimeInterval(ListingDate.seconds(year: year, month: month, day: day,
                                                                     hour: hour, minute: minute)!))
    }

    private static func listedSeconds(_ stamp: String, now: Date) -> Int64? {
        FTPListingParser.parseList("-rw-r--r-- 1 ftp ftp 60 \(stamp) file", now: now).first?.modified?.seconds
    }

    @Test func lastYearsStampSeenAfterNewYear() {
        // 2025-12-31 23:59 read on 2026-01-02: last year, not the coming December.
        #expect(Self.listedSeconds("Dec 31 23:59", now: Self.utc(2026, 1, 2)) == 1_767_225_540)
    }

    @Test func thisYearsStamp() {
        #expect(Self.listedSeconds("Nov 20 14:05", now: ListingFixture.captureTime) == 1_795_183_500)
    }

    @Test func stampUpToADayAheadIsThisYear() {
        // A server in a zone ahead of ours: just after midnight there, late on Dec 31 here.
        let now = Self.utc(2025, 12, 31, 23, 30)
        #expect(Self.listedSeconds("Jan 01 09:00", now: now)
            == ListingDate.seconds(year: 2026, month: 1, day: 1, hour: 9, minute: 0))
        // Two days ahead is too far: that was last year.
        #expect(Self.listedSeconds("Nov 23 10:00", now: ListingFixture.captureTime)
            == ListingDate.seconds(year: 2025, month: 11, day: 23, hour: 10, minute: 0))
    }

    @Test func leapDayFindsALeapYear() {
        #expect(Self.listedSeconds("Feb 29 10:00", now: Self.utc(2027, 3, 1)) == 1_709_200_800)  // 2024
    }

    // MARK: - LIST, DOS style

    @Test func dosLines() {
        let text = """
            01-10-25  02:05PM             16654749 pubmed25n1275.xml.gz\r
            11-19-26  08:00AM       <DIR>          old folder\r
            12-31-1999  12:00AM                5 y2k.txt\r
            01-10-25  12:30PM                   60 noon.md5\r
            01-10-2025  14:05                   7 twentyfour.txt\r
            13-40-25  02:05PM                  1 bad-date.txt\r
            01-10-25  13:05PM                  1 bad-hour.txt\r
            01-10-25  02:05PM                  x not-a-size.txt\r

            """
        let entries = FTPListingParser.parseList(text, now: ListingFixture.captureTime)
        #expect(entries == [
            ListingEntry(name: "pubmed25n1275.xml.gz", size: .exact(16_654_749),
                         modified: Self.stamp(1_736_517_900, .minute)),
            ListingEntry(name: "old folder", size: nil, modified: Self.stamp(1_795_075_200, .minute), isDirectory: true),
            ListingEntry(name: "y2k.txt", size: .exact(5), modified: Self.stamp(946_598_400, .minute)),
            ListingEntry(name: "noon.md5", size: .exact(60), modified: Self.stamp(1_736_512_200, .minute)),
            ListingEntry(name: "twentyfour.txt", size: .exact(7), modified: Self.stamp(1_736_517_900, .minute)),
        ])
    }

    // MARK: - MLSD

    /// vsftpd has no MLSD, so this fixture is written by hand in RFC 3659 §7 form (CRLF line ends,
    /// mixed-case facts, a fraction of a second, `cdir`/`pdir`, an `OS.unix=slink` link, a line
    /// with no facts and one with no space at all), for the same tree as the captured listings.
    @Test func mlsd() throws {
        let entries = FTPListingParser.parseMLSD(try ListingFixture.text("mlsd-handwritten.txt"))
        #expect(entries == [
            ListingEntry(name: "README.txt", size: .exact(4600), modified: Self.stamp(1_675_764_000, .second)),
            ListingEntry(name: "big archive.tar", size: .exact(1_288_490_189), modified: Self.stamp(1_719_791_999, .second)),
            ListingEntry(name: "old", size: nil, modified: Self.stamp(1_795_075_200, .second), isDirectory: true),
            ListingEntry(name: "pubmed25n1275.xml.gz", size: .exact(84226), modified: Self.stamp(1_736_517_907, .second)),
            ListingEntry(name: "pubmed25n1275.xml.gz.md5", size: .exact(60), modified: Self.stamp(1_736_517_942, .second)),
            ListingEntry(name: "pubmed26n1335.xml.gz", size: .exact(93697), modified: Self.stamp(1_795_183_527, .second)),
            ListingEntry(name: "latest.xml.gz", size: nil, modified: Self.stamp(1_795_186_800, .second)),
            ListingEntry(name: "résumé.txt", size: .exact(8), modified: Self.stamp(1_772_325_000, .second)),
            ListingEntry(name: "no-type-bad-time.txt", size: .exact(12), modified: nil),
            ListingEntry(name: "no-facts.txt"),
        ])
    }

    @Test func mlsdNameKeepsItsSpacesAndSemicolons() {
        let entries = FTPListingParser.parseMLSD("type=file;size=3; a;b = c \n")
        #expect(entries == [ListingEntry(name: "a;b = c ", size: .exact(3))])
    }

    // MARK: - NLST

    @Test func nameListKeepsNamesAsSent() {
        let text = ".\r\n..\r\n\r\n   \r\npubmed26n0001.xml.gz\r\n./pubmed26n0002.xml.gz\nsub/pubmed26n0003.xml.gz\n name with spaces \r\nlast-without-newline"
        #expect(FTPListingParser.parseNameList(text).map(\.name) == [
            "pubmed26n0001.xml.gz", "./pubmed26n0002.xml.gz", "sub/pubmed26n0003.xml.gz", " name with spaces ",
            "last-without-newline",
        ])
    }

    /// Only LF splits lines: other Unicode line breaks may be part of a (hostile) name.
    @Test func nameListSplitsOnlyAtLineFeed() {
        let text = "a\u{2028}b\nc\u{85}d\ne\rf\r\n"
        #expect(FTPListingParser.parseNameList(text).map(\.name) == ["a\u{2028}b", "c\u{85}d", "e\rf"])
    }

    // MARK: - Robustness

    @Test func emptyInput() {
        #expect(FTPListingParser.parseList("", now: .now).isEmpty)
        #expect(FTPListingParser.parseMLSD("").isEmpty)
        #expect(FTPListingParser.parseNameList("").isEmpty)
        #expect(FTPListingParser.parseList("\r\n\n\n", now: .now).isEmpty)
    }

    @Test func absurdNowDoesNotTrap() {
        let line = "-rw-r--r-- 1 ftp ftp 60 Jan 10 14:05 file"
        for now in [Date.distantPast, .distantFuture, Date(timeIntervalSince1970: .infinity),
                    Date(timeIntervalSince1970: .nan), Date(timeIntervalSince1970: -1e300)] {
            #expect(FTPListingParser.parseList(line, now: now).map(\.name).allSatisfy { $0 == "file" })
        }
    }

    /// Random lines built from listing fragments and random bytes: nothing crashes, and every
    /// entry has a non-empty name.
    @Test func garbageNeverCrashes() {
        var random = TestRandom(seed: 0x5EED)
        let fragments = ["-rw-r--r--", "drwxr-xr-x", "lrwxrwxrwx", "1", "ftp", "99999999999999999999", "60",
                         "Jan", "Feb", "31", "29", "0", "23:59", "24:00", "2025", "12-31-99", "11:59PM",
                         "<DIR>", "->", ".", "..", "type=file;", "size=1;", "modify=1;", "=", ";", "\t", "\r",
                         "é", "\u{0}", " "]
        for _ in 0..<2_000 {
            var line = ""
            for _ in 0..<Int(random.next() % 12) {
                if random.next() % 5 == 0 {
                    let bytes = (0..<Int(random.next() % 6)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                    line += String(decoding: bytes, as: UTF8.self)
                } else {
                    line += fragments[Int(random.next() % UInt64(fragments.count))]
                }
                line += random.next() % 3 == 0 ? "  " : " "
            }
            let text = line + "\n" + line + "\r\n"
            for entries in [FTPListingParser.parseList(text, now: .now), FTPListingParser.parseMLSD(text),
                            FTPListingParser.parseNameList(text)] {
                #expect(entries.allSatisfy { !$0.name.isEmpty })
            }
        }
    }

    // MARK: - Calendar arithmetic

    @Test(arguments: [
        (1970, 1, 1, Int64(0)), (2000, 2, 29, 951_782_400), (2024, 12, 31, 1_735_603_200),
        (2100, 3, 1, 4_107_542_400), (1969, 12, 31, -86_400),
    ])
    func unixSeconds(year: Int, month: Int, day: Int, seconds: Int64) {
        #expect(ListingDate.seconds(year: year, month: month, day: day) == seconds)
        #expect(ListingDate.year(ofSeconds: seconds) == year)
        #expect(ListingDate.year(ofSeconds: seconds + 86_399) == year)
    }

    @Test func agreesWithFoundationsCalendar() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var day = try #require(calendar.date(from: DateComponents(year: 1999, month: 12, day: 25)))
        for _ in 0..<800 {
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            let seconds = ListingDate.seconds(year: parts.year!, month: parts.month!, day: parts.day!)
            #expect(seconds == Int64(day.timeIntervalSince1970))
            #expect(ListingDate.year(ofSeconds: Int64(day.timeIntervalSince1970) + 43_200) == parts.year)
            day = day.addingTimeInterval(86_400 * 13)
        }
        #expect(ListingDate.seconds(year: 2023, month: 2, day: 29) == nil)
        #expect(ListingDate.seconds(year: 2025, month: 13, day: 1) == nil)
    }
}
