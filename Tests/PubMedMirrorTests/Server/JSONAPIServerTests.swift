import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedMirror
@testable import PubMedQuery

/// The server's JSON API (`/api/…`), on the built binary: every answer checked against the OpenAPI
/// document the server serves (`Tests/Clients/api_openapi.py`: openapi-spec-validator and
/// jsonschema), the change feed against `export --since`, records against `show`, gzip by curl.
@Suite(.heavyweight) struct JSONAPIServerTests {
    @Test func theAPIAnswersAsItsOpenAPIDocumentSays() async throws {
        let mirror = try await CLIIndexTests.indexedMirror("api")
        let store = try Mirror(root: URL(fileURLWithPath: mirror)).openIndex()
        let pmid = try #require(try store.search("wolbachia", limit: 1, withJSON: false).first).pmid
        let counts = try store.counts()
        let result = try await EUtilitiesServerTests.withServer(mirror) { eutils in
            let base = String(eutils.dropLast("entrez/eutils/".count))
            let python = TestPaths.repositoryRoot.appendingPathComponent(".venv-test/bin/python").path
            let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Clients/api_openapi.py").path
            let run = try await ChildProcess.run(python, [script, base, String(pmid)])
            #expect(run.status == 0, "\(run.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect((report["problems"] as? [String]) == [], "\(report["problems"] ?? "")")
            #expect((report["made"] as? [[String: Any]])?.count == 17)

            // Search: the count and the hits the index gives.
            let search = try await EUtilitiesServerTests.curl(base + "api/search?q=wolbachia&limit=3")
            let found = try #require(try JSONSerialization.jsonObject(with: Data(search.body.utf8)) as? [String: Any])
            #expect(found["count"] as? Int == (try store.count(try PubMedQuery(parsing: "wolbachia"), mesh: nil)))
            let hits = try #require(found["results"] as? [[String: Any]])
            #expect(hits.map { $0["pmid"] as? Int } == (try store.search("wolbachia", limit: 3, withJSON: false)).map(\.pmid))

            // A query the parser reads but the index cannot run (operators alternating more than 64
            // times): the API's JSON error on every route, not the server's plain text.
            let deep = (1...70).map { "w\($0)" }.enumerated().map { $0.offset == 0 ? $0.element : ($0.offset % 2 == 0 ? " AND " : " OR ") + $0.element }
                .joined().addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            for route in ["api/search?q=\(deep)", "api/export?q=\(deep)&format=ris"] {
                let answer = try await EUtilitiesServerTests.curl(base + route)
                let error = try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any], "\(route): \(answer.body.prefix(200))")
                #expect((error["error"] as? [String: Any])?["code"] as? String == "query.invalid", "\(answer.body.prefix(300))")
            }

            // `ids` given twice (what Python's requests sends for a list): both are asked for.
            let twice = try await EUtilitiesServerTests.curl(base + "api/records?ids=\(pmid)&ids=1")
            let answered = try #require(try JSONSerialization.jsonObject(with: Data(twice.body.utf8)) as? [String: Any], "\(twice.body)")
            #expect((answered["records"] as? [[String: Any]])?.count == 1, "\(twice.body.prefix(300))")
            #expect((answered["missing"] as? [Int]) == [1], "\(twice.body.prefix(300))")

            // A record in each format, as show prints it.
            for format in ["json", "xml", "medline", "ris", "bibtex", "csl-json", "text"] {
                let api = try await EUtilitiesServerTests.curl(base + "api/records/\(pmid)?format=\(format)")
                let show = try await CLI.run(["show", "--mirror", mirror, "--format", format, String(pmid)])
                #expect(api.status == 200)
                #expect(api.body == show.stdout, "format \(format)")
            }

            // A search's results to save: its hits, in order, as CSV and RIS.
            let csv = try await EUtilitiesServerTests.curl(base + "api/export?q=wolbachia&format=csv")
            #expect(csv.headers.contains("content-disposition: attachment; filename=\"pubmed-results.csv\""))
            let rows = csv.body.split(separator: "\r\n").dropFirst().map { $0.split(separator: ",").first.map(String.init) }
            #expect(rows == (try store.search("wolbachia", limit: 10_000, withJSON: false)).map { String($0.pmid) })
            let ris = try await EUtilitiesServerTests.curl(base + "api/export?q=wolbachia&format=ris&sort=pmid")
            #expect(ris.body.components(separatedBy: "TY  - ").count - 1 == (found["count"] as? Int))

            // The change feed: export's lines, then the high-water mark; from the mark, nothing.
            let feed = try await EUtilitiesServerTests.curl(base + "api/changes?since=0")
            let export = try await CLI.run(["export", "--mirror", mirror, "--since", "0"])
            #expect(feed.headers.contains("content-type: application/x-ndjson"))
            #expect(feed.body == export.stdout + "{\"highWaterMark\":\(counts.highWaterMark)}\n")
            let none = try await EUtilitiesServerTests.curl(base + "api/changes?since=\(counts.highWaterMark)")
            #expect(none.body == "{\"highWaterMark\":\(counts.highWaterMark)}\n")

            // gzip when asked for, the same bytes once inflated (curl --compressed inflates).
            let zipped = try await EUtilitiesServerTests.curl(base + "api/changes", ["--compressed"])
            #expect(zipped.headers.contains("content-encoding: gzip"))
            let plain = try await EUtilitiesServerTests.curl(base + "api/changes")
            #expect(!plain.headers.contains("content-encoding"))
            #expect(zipped.body == plain.body)
            // Both forms say that they vary with Accept-Encoding (a cache keeps them apart), once.
            for answer in [zipped, plain] {
                #expect(answer.headers.components(separatedBy: "vary: accept-encoding").count == 2, "\(answer.headers)")
            }
            let fetched = try await EUtilitiesServerTests.curl(base + "entrez/eutils/efetch.fcgi?db=pubmed&id=\(pmid)", ["--compressed"])
            #expect(fetched.headers.contains("content-encoding: gzip"))
            #expect(fetched.body.contains("<PMID Version=\"1\">\(pmid)</PMID>") || fetched.body.contains(">\(pmid)</PMID>"))

            // HEAD of what monitors and browsers ask for: the GET's headers, no body.
            for path in ["health", "", "page.css", "api/openapi.json"] {
                let get = try await EUtilitiesServerTests.curl(base + path)
                let head = try await EUtilitiesServerTests.curl(base + path, ["-I"])
                #expect(head.status == 200, "HEAD /\(path)")
                #expect(head.headers.contains("content-length: \(get.body.utf8.count)"), "HEAD /\(path): \(head.headers)")
            }
            // Anything else under /api/, and a body too large for it: JSON errors, as the document says.
            for (path, method) in [("api/nothing", "GET"), ("api/search?q=x", "POST"), ("api/changes", "DELETE"), ("api/status", "PUT")] {
                let unknown = try await EUtilitiesServerTests.curl(base + path, ["-X", method])
                #expect(unknown.status == 404 && unknown.headers.contains("content-type: application/json"), "\(method) \(path): \(unknown.headers)")
                #expect(unknown.body.contains("\"code\":\"request.not-found\""), "\(method) \(path): \(unknown.body)")
            }
            // A HEAD of a large answer when gzip is accepted: the headers the GET has (gzip, no length).
            let headZipped = try await EUtilitiesServerTests.curl(base + "api/openapi.json", ["-I", "--compressed"])
            #expect(headZipped.headers.contains("content-encoding: gzip") && !headZipped.headers.contains("content-length"), "\(headZipped.headers)")
            let large = try TestPaths.temporaryDirectory("api-large").appendingPathComponent("body")
            try Data(("ids=" + String(repeating: "1,", count: 600_000)).utf8).write(to: large)
            let tooLarge = try await EUtilitiesServerTests.curl(base + "api/records", ["--data-binary", "@\(large.path)"])
            #expect(tooLarge.status == 413 && tooLarge.body.contains("\"code\":\"request.too-large\""), "\(tooLarge.status) \(tooLarge.body.prefix(200))")
        }
        #expect(result.status == 0, "\(result.stderr)")
    }
}
