import Foundation
import Testing
@testable import PubMedPostgreSQL

/// `serve --database`: the E-utilities and the JSON API over the shared store answer as they do
/// over the SQLite index of the same files (the server's readers borrow stores over the database's
/// connection pool and follow its live schema).
@Suite(.heavyweight) struct SharedStoreServeTests {
    @Test func theEUtilitiesOverTheSharedStoreAnswerAsOverTheSQLiteIndex() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (_, url) = try server.createDatabase()
        let source = "file://\(SharedStoreTests.samples.path)/"
        let shared = try TestPaths.temporaryDirectory("serve-pg")
        let local = try TestPaths.temporaryDirectory("serve-sqlite")
        #expect(try await CLI.run(["fetch", "--source", source, "--mirror", shared.path, "--database", url.text, "--quiet"]).status == 0)
        #expect(try await CLI.run(["fetch", "--source", source, "--mirror", local.path, "--quiet"]).status == 0)

        let requests = [
            "esearch.fcgi?db=pubmed&term=cancer&rettype=count",
            "esearch.fcgi?db=pubmed&term=humans[mh]%20AND%202026[dp]&sort=pub_date&retmax=50",
            "esearch.fcgi?db=pubmed&term=review[pt]&sort=pub_date&retmax=50&retmode=json",
            "efetch.fcgi?db=pubmed&id=41584723,41599229&retmode=xml",
            "efetch.fcgi?db=pubmed&id=41584723&rettype=medline&retmode=text",
            "esummary.fcgi?db=pubmed&id=41584723,41599229&retmode=json",
        ]
        var answers: [[String]] = []
        for (mirror, arguments) in [(shared.path, ["--database", url.text]), (local.path, [])] {
            var bodies: [String] = []
            let run = try await EUtilitiesServerTests.withServer(mirror, arguments: arguments) { base in
                for request in requests {
                    let answer = try await EUtilitiesServerTests.curl(base + request)
                    #expect(answer.status == 200, "\(request): \(answer.body.prefix(300))")
                    bodies.append(answer.body)
                }
                let status = try await EUtilitiesServerTests.curl(base.replacingOccurrences(of: "entrez/eutils/", with: "api/status"))
                #expect(status.status == 200 && status.body.contains("\"records\":60"), "\(status.body.prefix(400))")
                if !arguments.isEmpty { #expect(status.body.contains("(schema pubmed_1)"), "\(status.body.prefix(400))") }
            }
            #expect(run.signal == nil || run.signal == SIGTERM, "\(run.stderr)")
            answers.append(bodies)
        }
        for (index, request) in requests.enumerated() {
            #expect(answers[0][index] == answers[1][index], "\(request): the two stores answer differently")
        }
        #expect(answers[0][0].contains("<Count>"), "\(answers[0][0])")
    }
}
