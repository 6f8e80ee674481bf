import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedMirror
@testable import PubMedQuery

/// `pubmed-mirror serve`, the built binary, on loopback, over an index of the larger 2020 samples,
/// asked by real clients: curl for the shapes (status, content type, DOCTYPE, NCBI's error forms)
/// and Biopython's `Bio.Entrez` and `Bio.Medline` (`Tests/Clients/eutils_biopython.py`, from
/// `.venv-test`) for a pipeline written for NCBI. What they read back is compared with the index.
@Suite(.heavyweight) struct EUtilitiesServerTests {
    static let term = "cancer[tiab]"

    /// Runs the server on a port the system chooses (`--listen 127.0.0.1:0`; it writes the port to
    /// a file: a port picked free beforehand may be taken by another test meanwhile) while `body`
    /// talks to it, then stops it with SIGTERM.
    static func withServer(_ mirror: String, arguments: [String] = [], environment: [String: String] = [:],
                           _ body: (_ base: String) async throws -> Void) async throws -> CLI.Result {
        let portFile = try TestPaths.temporaryDirectory("serve-port").appendingPathComponent("port")
        return try await CLI.whileRunning(["serve", "--mirror", mirror, "--listen", "127.0.0.1:0", "--port-file", portFile.path] + arguments,
                                          environment: environment) { pid in
            guard let port = try await waitUntilListening(portFile, pid: pid) else { return }
            try await body("http://127.0.0.1:\(port)/entrez/eutils/")
            kill(pid, SIGTERM)
        }
    }

    /// The port the server wrote once listening; nil (and an issue) when it stopped or took 60 s.
    static func waitUntilListening(_ portFile: URL, pid: pid_t) async throws -> Int? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return port
            }
            guard CLI.isRunning(pid) else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the server did not start listening")
        kill(pid, SIGTERM)
        return nil
    }

    /// curl's view of one request: the status line and headers, then the body.
    static func curl(_ url: String, _ extra: [String] = []) async throws -> (status: Int, headers: String, body: String) {
        let run = try await ChildProcess.run("/usr/bin/curl", ["-gsS", "-D", "-", "-o", "-"] + extra + [url])
        #expect(run.status == 0, "curl \(url): \(run.stderr)")
        let parts = run.stdout.components(separatedBy: "\r\n\r\n")
        let headers = parts.first ?? ""
        let status = Int(headers.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, headers.lowercased(), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func biopythonAndCurlGetWhatTheIndexHolds() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("serve")
        let store = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex()
        let query = try PubMedQuery(parsing: Self.term)
        let total = try store.count(query, mesh: nil)
        let newest = try store.search(Self.term, limit: 5, sort: .recent, withJSON: false).map { String($0.pmid) }
        #expect(total > 10)
        let ids = Array(newest.prefix(2))
        let titles = try ids.map { try #require(try store.record(pmid: Int($0)!, version: nil, withXML: false)).record.title }

        let result = try await Self.withServer(mirror) { base in
            // Shapes, as curl sees them.
            let search = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=\(Self.term)&retmax=2")
            #expect(search.status == 200)
            #expect(search.headers.contains("content-type: text/xml; charset=utf-8"))
            #expect(search.body.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<!DOCTYPE eSearchResult PUBLIC \"-//NLM//DTD esearch 20060628//EN\""))
            #expect(search.body.contains("<Count>\(total)</Count><RetMax>2</RetMax><RetStart>0</RetStart><IdList>\n<Id>\(ids[0])</Id>\n<Id>\(ids[1])</Id>\n</IdList>"))
            let json = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=\(Self.term)&retmode=json&retmax=1")
            #expect(json.headers.contains("content-type: application/json"))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.body.utf8)) as? [String: Any])
            let result = try #require(object["esearchresult"] as? [String: Any])
            #expect(result["count"] as? String == String(total))
            #expect(result["idlist"] as? [String] == [ids[0]])
            let posted = try await Self.curl(base + "esearch.fcgi", ["--data", "db=pubmed&term=\(Self.term)&rettype=count"])
            #expect(posted.body.contains("<Count>\(total)</Count></eSearchResult>"))
            let fetched = try await Self.curl(base + "efetch.fcgi?db=pubmed&id=\(ids[0])&retmode=xml")
            #expect(fetched.body.hasPrefix("<?xml version=\"1.0\" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC \"-//NLM//DTD PubMedArticle, 1st January 2025//EN\" \"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd\">\n<PubmedArticleSet>\n<PubmedArticle>"))
            let original = try #require(try store.record(pmid: Int(ids[0])!, version: nil, withXML: true)).xml
            #expect(fetched.body.contains(String(decoding: original, as: UTF8.self)), "efetch gives the record's XML exactly as stored")
            let medline = try await Self.curl(base + "efetch.fcgi?db=pubmed&id=\(ids[0])&rettype=medline&retmode=text")
            #expect(medline.headers.contains("content-type: text/plain"))
            #expect(medline.body.hasPrefix("\nPMID- \(ids[0])\n"))
            let uilist = try await Self.curl(base + "efetch.fcgi?db=pubmed&id=\(ids[1]),\(ids[0])&rettype=uilist&retmode=text")
            #expect(uilist.body == "\(ids[1])\n\(ids[0])\n")

            // NCBI's error forms.
            let empty = try await Self.curl(base + "efetch.fcgi?db=pubmed&id=")
            #expect(empty.status == 400)
            #expect(empty.body.contains("<ERROR>Empty id list - nothing todo</ERROR>"))
            let noTerm = try await Self.curl(base + "esearch.fcgi?db=pubmed")
            #expect(noTerm.body.contains("<ERROR>Empty term and query_key - nothing todo</ERROR>"))
            let window = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=cancer&retstart=9999&retmode=json")
            #expect(window.status == 400)
            #expect(window.body.contains("\"ERROR\":\"Search Backend failed: Exception:\\n'retstart' cannot be larger than 9998."))
            let database = try await Self.curl(base + "esearch.fcgi?db=nucleotide&term=x")
            #expect(database.body.contains("<ERROR>Invalid db name specified: nucleotide</ERROR>"))
            let badID = try await Self.curl(base + "esummary.fcgi?db=pubmed&id=12,abc")
            #expect(badID.body.contains("<ERROR>Invalid uid abc at position=1</ERROR>"))
            let history = try await Self.curl(base + "efetch.fcgi?db=pubmed&WebEnv=MCID_0&query_key=1")
            #expect(history.status == 400)
            #expect(history.body.contains("Unable to obtain query #1"))
            // A query_key no set can have (the smallest integer once crashed the server), an
            // esearch whose dates or field carry more query past the length bound, 10,000 nested
            // parentheses: each a 400, and the server answers on.
            let postedOne = try await Self.curl(base + "epost.fcgi?db=pubmed&id=\(ids[0])")
            let webEnv = try #require(postedOne.body.firstMatch(of: /<WebEnv>([^<]+)<\/WebEnv>/)?.1)
            for key in ["-9223372036854775808", "0", "9223372036854775807"] {
                let answer = try await Self.curl(base + "efetch.fcgi?db=pubmed&WebEnv=\(webEnv)&query_key=\(key)&retmode=xml")
                #expect(answer.status == 400, "query_key \(key): \(answer.body.prefix(200))")
            }
            let parentheses = String(repeating: "(", count: 10_000)
            let smuggled = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=cancer&mindate=\(parentheses)&maxdate=2020")
            #expect(smuggled.status == 400 && smuggled.body.contains("Invalid date"), "\(smuggled.body.prefix(200))")
            let field = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=cancer&field=ti%5D%20OR%20\(parentheses)")
            #expect(field.status == 400 && field.body.contains("Invalid field"), "\(field.body.prefix(200))")
            let nested = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=\(String(repeating: "(", count: 2_000))cancer")
            #expect(nested.status == 400 && nested.body.contains("nested more than 64 deep"), "\(nested.body.prefix(200))")
            // Read, but nested too deep for the index (AND and OR alternating 70 times): a 400 too.
            let alternating = (1...70).map { "w\($0)" }.enumerated().map { $0.offset == 0 ? $0.element : ($0.offset % 2 == 0 ? "AND+" : "OR+") + $0.element }
            let deep = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=\(alternating.joined(separator: "+"))")
            #expect(deep.status == 400 && deep.body.contains("more than 64 deep"), "\(deep.body.prefix(300))")
            let deepAPI = try await Self.curl(String(base.dropLast("entrez/eutils/".count)) + "api/search?q=\(alternating.joined(separator: "+"))")
            #expect(deepAPI.status == 400 && deepAPI.body.contains("query.invalid"), "\(deepAPI.body.prefix(300))")
            let unknownPath = try await Self.curl(base + "elink.fcgi?db=pubmed&id=1")
            #expect(unknownPath.status == 404)
            // Parameters clients add and the server has no use for are ignored.
            let extra = try await Self.curl(base + "esearch.fcgi?db=pubmed&term=\(Self.term)&tool=x&email=a%40b.org&api_key=k&edirect=19.0&rettype=count")
            #expect(extra.body.contains("<Count>\(total)</Count>"))

            // Biopython, as a pipeline written for NCBI uses it.
            let python = TestPaths.repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
            let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Clients/eutils_biopython.py").path
            let run = try await ChildProcess.run(python, [script, base, Self.term, ids.joined(separator: ",")])
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let esearch = try #require(report["esearch"] as? [String: Any])
            #expect(esearch["count"] as? Int == total)
            #expect(esearch["ids"] as? [String] == newest)
            #expect(esearch["translation"] as? String == "\"cancer\"[Title/Abstract]")
            let page = try #require(report["esearch_json"] as? [String: Any])
            #expect(page["ids"] as? [String] == Array(newest[2..<5]))
            #expect(report["esearch_count"] as? Int == total)
            #expect(report["history_efetch"] as? [String] == Array(newest.prefix(4)))
            let xml = try #require(report["efetch_xml"] as? [[String: String]])
            #expect(xml.map { $0["pmid"] } == ids)
            #expect(xml.map { $0["title"] } == titles)
            let medlineRecords = try #require(report["efetch_medline"] as? [[String: Any]])
            #expect(medlineRecords.map { $0["pmid"] as? String } == ids)
            #expect(medlineRecords.map { $0["title"] as? String } == titles)
            #expect((report["efetch_abstract"] as? String)?.hasPrefix("1. ") == true)
            #expect((report["efetch_abstract"] as? String)?.contains("PMID: \(ids[0])") == true)
            let summaries = try #require(report["esummary"] as? [[String: Any]])
            #expect(summaries.map { $0["id"] as? String } == ids)
            #expect(summaries.map { $0["title"] as? String } == titles)
            let summaryJSON = try #require(report["esummary_json"] as? [String: Any])
            #expect(summaryJSON["uids"] as? [String] == [ids[0], "1"])
            #expect(summaryJSON["title"] as? String == titles[0])
            #expect(summaryJSON["missing"] as? String == "cannot get document summary")
            #expect(report["epost_esummary"] as? [String] == ids)
            #expect(report["einfo_dbs"] as? [String] == ["pubmed"])
            let info = try #require(report["einfo"] as? [String: Any])
            #expect(info["count"] as? Int == (try store.counts().current))
            #expect((info["fields"] as? [String])?.contains("MESH") == true)
            let bad = try #require(report["bad_query"] as? [String: Any])
            #expect(bad["status"] as? Int == 400)
            #expect((bad["body"] as? String)?.contains("<ERROR>Invalid query: bad query: a field tag is missing its closing ]") == true)
        }
        #expect(result.status == 0, "stopped by SIGTERM, it exits 0: \(result.stderr)")
        #expect(result.stderr.contains("serving \(mirror) on http://127.0.0.1:"))
        #expect(result.stderr.contains("GET /entrez/eutils/esearch.fcgi 200 "))
        #expect(result.stderr.contains("POST /entrez/eutils/esearch.fcgi 200 "))
        #expect(result.stderr.contains("GET /entrez/eutils/efetch.fcgi 400 "))
    }

    /// NCBI's own EDirect (Debian's ncbi-entrez-direct), pointed here with `-base`.
    @Test func edirectSearchesAndFetchesInEachFormat() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("serve-edirect")
        let store = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex()
        let term = "cancer[tiab] AND 2019[dp]"
        let expected = try store.search(term, limit: 10_000, withJSON: false).map(\.pmid).sorted()
        #expect(expected.count > 3)
        let someIDs: [String] = expected.prefix(3).map(String.init)
        let some = someIDs.joined(separator: ",")
        let result = try await Self.withServer(mirror) { base in
            func edirect(_ script: String) async throws -> String {
                let run = try await ChildProcess.run("/bin/bash", ["-c", script], environment: ["BASE": base, "PATH": "/usr/bin:/bin", "HOME": try TestPaths.temporaryDirectory("edirect-home").path])
                #expect(run.status == 0, "\(script): \(run.stderr)")
                return run.stdout
            }
            let count = try await edirect("esearch -base \"$BASE\" -db pubmed -query '\(term)' | xtract -pattern ENTREZ_DIRECT -element Count")
            #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == String(expected.count))
            let uids = try await edirect("esearch -base \"$BASE\" -db pubmed -query '\(term)' | efetch -base \"$BASE\" -format uid")
            let fetched: [Int] = uids.split(separator: "\n").compactMap { Int($0) }
            #expect(fetched.sorted() == expected)
            let medline = try await edirect("efetch -base \"$BASE\" -db pubmed -id \(some) -format medline")
            let medlineIDs: [String] = medline.split(separator: "\n").filter { $0.hasPrefix("PMID- ") }.map { String($0.dropFirst(6)) }
            #expect(medlineIDs == someIDs)
            let xml = try await edirect("efetch -base \"$BASE\" -db pubmed -id \(some) -format xml | xtract -pattern PubmedArticle -element MedlineCitation/PMID")
            let xmlIDs: [String] = xml.split(separator: "\n").map(String.init)
            #expect(xmlIDs == someIDs)
            let docsum = try await edirect("efetch -base \"$BASE\" -db pubmed -id \(some) -format docsum | xtract -pattern DocumentSummary -element Id Title")
            let first = try #require(try store.record(pmid: expected[0], version: nil, withXML: false)).record
            #expect(docsum.split(separator: "\n").first.map(String.init) == "\(expected[0])\t\(first.title)")
        }
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func aTokenIsRequiredOnceSetAndAnotherAddressNeedsOne() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("serve-token")
        let token = "s3cret-token-of-the-lab-0123"
        let result = try await Self.withServer(mirror, environment: ["PUBMED_MIRROR_TOKEN": token]) { base in
            let refused = try await Self.curl(base + "einfo.fcgi")
            #expect(refused.status == 401)
            #expect(refused.headers.contains("www-authenticate: bearer"))
            // Under /api/ in the API's own shape.
            let root = String(base.dropLast("entrez/eutils/".count))
            let api = try await Self.curl(root + "api/search?q=cancer")
            #expect(api.status == 401 && api.headers.contains("content-type: application/json"))
            let error = try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [String: [String: String]]
            #expect(error?["error"]?["code"] == "request.unauthorized", "\(api.body)")
            let bearer = try await Self.curl(base + "einfo.fcgi", ["-H", "Authorization: Bearer \(token)"])
            #expect(bearer.status == 200)
            let key = try await Self.curl(base + "einfo.fcgi?api_key=\(token)")
            #expect(key.status == 200)
            let wrong = try await Self.curl(base + "einfo.fcgi?api_key=\(token)x")
            #expect(wrong.status == 401)
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("a token is required"))

        let open = try await CLI.run(["serve", "--mirror", mirror, "--listen", "0.0.0.0:0"])
        #expect(open.status == 64)
        #expect(open.stderr.contains("--token-file"))
        // A name that starts as a loopback address does is not one.
        let named = try await CLI.run(["serve", "--mirror", mirror, "--listen", "127.example.org:0"])
        #expect(named.status == 64 && named.stderr.contains("opens the mirror to the network"), "\(named.stderr)")
        // pubmed-mirror serve runs pubmed-mirror-serve from its own folder, and says how to build it when it is not there.
        let alone = try TestPaths.temporaryDirectory("serve-alone")
        try FileManager.default.copyItem(at: CLI.executable, to: alone.appendingPathComponent("pubmed-mirror"))
        let missing = try await ChildProcess.run(alone.appendingPathComponent("pubmed-mirror").path, ["serve", "--mirror", mirror])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("pubmed-mirror-serve, which is not built: Scripts/build-release serve"))
        let empty = try await CLI.run(["serve", "--mirror", try TestPaths.temporaryDirectory("serve-empty").path, "--listen", "127.0.0.1:0"])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("index"))
    }
}
