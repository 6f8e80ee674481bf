import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedMirror

/// The search page at `/`, in a real browser (Debian's Chromium, headless): a search run from the
/// page's address and a record opened, each rendered by the page's own JavaScript against the
/// API, read back from the DOM the browser built and kept as a screenshot (desktop and phone width)
/// in the test's folder.
@Suite(.heavyweight) struct SearchPageTests {
    static let chromium = "/usr/bin/chromium"

    /// The DOM after the page's scripts ran, or a screenshot.
    static func browse(_ url: String, screenshot: URL? = nil, width: Int = 1280) async throws -> String {
        // A profile and home of the test's own (removed with it), and nothing that reaches past
        // loopback: no background fetches, component updates or first-run pages, and every name
        // but 127.0.0.1 unresolvable.
        let home = try TestPaths.temporaryDirectory("chromium")
        var arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--window-size=\(width),900",
                         "--user-data-dir=\(home.appendingPathComponent("profile").path)", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        arguments += screenshot.map { ["--screenshot=\($0.path)"] } ?? ["--dump-dom"]
        let run = try await ChildProcess.run(chromium, arguments + [url], environment: ["HOME": home.path, "PATH": "/usr/bin:/bin"])
        #expect(run.status == 0, "chromium \(url): \(run.stderr)")
        return run.stdout
    }

    @Test func aSearchAndARecordRenderInABrowser() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("page")
        let store = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex()
        let hits = try store.search("wolbachia", limit: 20, withJSON: false)
        let record = try #require(try store.record(pmid: hits[0].pmid, version: nil, withXML: false)).record
        let shots = try TestPaths.temporaryDirectory("page-screenshots")
        let result = try await EUtilitiesServerTests.withServer(mirror) { eutils in
            let base = String(eutils.dropLast("entrez/eutils/".count))
            let page = try await EUtilitiesServerTests.curl(base)
            #expect(page.headers.contains("content-type: text/html"))
            #expect(!page.body.contains("http://") && !page.body.contains("https://"), "nothing is loaded from elsewhere")

            let results = try await Self.browse(base + "?q=wolbachia")
            #expect(results.contains("<p id=\"summary\">\(try store.count(try PubMedQuery(parsing: "wolbachia"), mesh: nil)) results</p>"))
            for hit in hits.prefix(5) {
                #expect(results.contains("href=\"/?pmid=\(hit.pmid)\""), "hit \(hit.pmid) is listed")
            }
            let opened = try await Self.browse(base + "?pmid=\(record.pmid)")
            #expect(opened.contains("<h1>\(Self.escaped(record.title))</h1>"))
            if let doi = record.doi { #expect(opened.contains("href=\"https://doi.org/\(doi)\"")) }
            for heading in record.meshHeadings.prefix(3) { #expect(opened.contains(Self.escaped(heading.descriptor))) }
            let bad = try await Self.browse(base + "?q=cancer%5Btiab")
            #expect(bad.contains("a field tag is missing its closing ]"), "a bad query says what is wrong")

            for (name, url, width) in [("search", base + "?q=wolbachia", 1280), ("record-phone", base + "?pmid=\(record.pmid)", 390)] {
                let file = shots.appendingPathComponent("\(name).png")
                _ = try await Self.browse(url, screenshot: file, width: width)
                let bytes = try Data(contentsOf: file)
                #expect(bytes.count > 10_000 && bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name).png is a picture")
            }
        }
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// Text as the browser serializes it in the DOM.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
