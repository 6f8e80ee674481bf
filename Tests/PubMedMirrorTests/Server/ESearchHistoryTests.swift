import Foundation
import Testing
@testable import PubMedMirror
@testable import PubMedServer

/// esearch limited to a history set (`term` with `WebEnv` and `query_key`, as EDirect's `efilter`
/// asks), in-process on a real index, with a history small enough to show where the set's PMIDs
/// fall among the query's hits.
@Suite(.heavyweight) struct ESearchHistoryTests {
    /// Both ways: the set as a condition of the query (up to `restrictLimit` PMIDs), and the
    /// query's hits read a page at a time (past it).
    @Test(arguments: [true, false]) func aSearchWithinAHistorySetLooksAtEveryHit(asCondition: Bool) async throws {
        let mirror = Mirror(root: URL(fileURLWithPath: try await CLIIndexTests.indexedMirror("esearch-within")))
        var limits = SearchHistory.Limits()
        limits.idsPerSet = 50
        let pool = try ReaderPool(mirror: mirror, size: 2, queryLimit: .seconds(30))
        var utilities = EUtilities(mirror: mirror, pool: pool, history: SearchHistory(limits: limits))
        utilities.filterPage = 7
        if !asCondition { utilities.restrictLimit = 0 }

        func body(_ response: EResponse) -> String { String(decoding: response.body, as: UTF8.self) }
        func ids(_ text: String) -> [String] { text.matches(of: /<Id>(\d+)<\/Id>/).map { String($0.1) } }
        // Every dated record, most recent first; the set is the 20 oldest, far past the history's 50.
        let everything = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=1000:3000[dp]&retmax=9999")))
        let all = ids(everything)
        try #require(all.count > 100, "\(everything.prefix(300))")
        // Kept in the history, the search's set holds the first 50 only, and the answer says so.
        let kept = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=1000:3000[dp]&usehistory=y")))
        #expect(kept.contains("<WarningList><OutputMessage>Only the first 50 of the \(all.count) PMIDs found are kept in the history (query_key 1)"),
                "\(kept.suffix(400))")
        let keptJSON = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=1000:3000[dp]&usehistory=y&retmode=json")))
        let warnings = try #require(((try JSONSerialization.jsonObject(with: Data(keptJSON.utf8)) as? [String: Any])?["esearchresult"] as? [String: Any])?["warninglist"] as? [String: Any])
        #expect((warnings["outputmessages"] as? [String])?.first?.hasPrefix("Only the first 50 of the \(all.count) PMIDs") == true, "\(warnings)")
        let whole = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=\(all[0])[uid]&usehistory=y")))
        #expect(whole.contains("<Count>1</Count>") && !whole.contains("WarningList"), "\(whole.suffix(300))")
        let oldest = Array(all.suffix(20))
        let posted = body(try await utilities.epost(EParameters(query: "db=pubmed&id=\(oldest.prefix(10).joined(separator: ","))&id=\(oldest.dropFirst(10).joined(separator: ","))")))
        let webEnv = try #require(posted.firstMatch(of: /<WebEnv>([^<]+)<\/WebEnv>/)?.1)

        let within = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=1000:3000[dp]&WebEnv=\(webEnv)&query_key=1&retmax=100")))
        #expect(within.contains("<Count>20</Count>"), "\(within.prefix(400))")
        #expect(ids(within) == oldest, "in the query's order")

        // The same set named in the term (`#1 AND …`), as NCBI takes it, at any size; and sets
        // combined inside the query (OR, NOT), up to restrictLimit each.
        let named = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=%231+AND+1000:3000[dp]&WebEnv=\(webEnv)&retmax=100")))
        #expect(named.contains("<Count>20</Count>") && ids(named) == oldest, "\(named.prefix(400))")
        #expect(named.contains("<QueryTranslation>#1 AND 1000:3000[Date - Publication]</QueryTranslation>"), "\(named.prefix(600))")
        let alone = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=%231&WebEnv=\(webEnv)&retmax=100")))
        #expect(ids(alone) == oldest, "the set as posted: \(alone.prefix(400))")
        let newest = Array(all.prefix(5))
        _ = try await utilities.epost(EParameters(query: "db=pubmed&id=\(newest.joined(separator: ","))&WebEnv=\(webEnv)"))
        let union = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=%231+OR+%232&WebEnv=\(webEnv)&retmax=100")))
        if asCondition {
            #expect(union.contains("<Count>25</Count>") && Set(ids(union)) == Set(oldest + newest), "\(union.prefix(400))")
            let without = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=(%231+OR+%232)+NOT+%231&WebEnv=\(webEnv)&retmax=100")))
            #expect(Set(ids(without)) == Set(newest), "\(without.prefix(400))")
        } else {
            #expect(union.contains("can be combined only as #1 AND"), "\(union.prefix(400))")
        }
        // More asked of a history set than one request gives: that many (NCBI's retmax is "up to a
        // maximum of"), not an error.
        var capped = utilities
        capped.idsPerRequest = 7
        let fetched = body(try await capped.efetch(EParameters(query: "db=pubmed&WebEnv=\(webEnv)&query_key=1&retmax=20&rettype=uilist&retmode=text")))
        #expect(fetched.split(separator: "\n").count == 7, "\(fetched.prefix(200))")
        // A set the WebEnv does not hold, or no WebEnv: NCBI's errors, not a search for "1".
        #expect(body(try await utilities.esearch(EParameters(query: "db=pubmed&term=%239+AND+cancer&WebEnv=\(webEnv)"))).contains("Unable to obtain query #9"))
        #expect(body(try await utilities.esearch(EParameters(query: "db=pubmed&term=%231+AND+cancer"))).contains("Missing parameter: WebEnv"))
        try await pool.shutdown()
    }

    /// Answers built whole in memory (exports, large record requests) take one of a few places;
    /// with none free a request is told to come back (503, Retry-After), and places are given back.
    @Test func heavyAnswersTakeOneOfAFewPlaces() async throws {
        let mirror = Mirror(root: URL(fileURLWithPath: try await CLIIndexTests.indexedMirror("api-heavy")))
        let pool = try ReaderPool(mirror: mirror, size: 2, queryLimit: .seconds(30))
        var api = JSONAPI(mirror: mirror, pool: pool)
        api.heavyAnswers = Places(limit: 1)
        for _ in 0..<3 {
            let export = try await api.export(EParameters(query: "q=1000:3000[dp]&format=ris"))
            #expect(export.status == 200 && !export.body.isEmpty)
        }
        let ids = (1...101).map(String.init).joined(separator: ",")
        #expect(try await api.records(EParameters(query: "ids=\(ids)"), pmid: nil).status == 200)
        api.heavyAnswers = Places(limit: 0)
        for answer in [try await api.export(EParameters(query: "q=1000:3000[dp]&format=ris")),
                       try await api.records(EParameters(query: "ids=\(ids)"), pmid: nil)] {
            #expect(answer.status == 503 && answer.retryAfter == 5)
            #expect(String(decoding: answer.body, as: UTF8.self).contains("\"code\":\"server.busy\""))
        }
        #expect(try await api.records(EParameters(query: "ids=1,2"), pmid: nil).status == 200, "a small request needs no place")

        // efetch and esummary of many records take the same places, and say so in their own shapes.
        var utilities = EUtilities(mirror: mirror, pool: pool, history: SearchHistory())
        utilities.heavyAnswers = api.heavyAnswers
        for (answer, shape) in [(try await utilities.efetch(EParameters(query: "db=pubmed&id=\(ids)")), "<eFetchResult>"),
                                (try await utilities.esummary(EParameters(query: "db=pubmed&id=\(ids)")), "<eSummaryResult>"),
                                (try await utilities.esummary(EParameters(query: "db=pubmed&retmode=json&id=\(ids)")), "\"esummaryresult\"")] {
            let body = String(decoding: answer.body, as: UTF8.self)
            #expect(answer.status == 503 && answer.retryAfter == 5, "\(body.prefix(200))")
            #expect(body.contains(shape) && body.contains("large answers are being built"), "\(body.prefix(200))")
        }
        #expect(try await utilities.efetch(EParameters(query: "db=pubmed&id=1,2")).status == 200, "a small request needs no place")
        utilities.heavyAnswers = Places(limit: 1)
        #expect(try await utilities.efetch(EParameters(query: "db=pubmed&id=\(ids)")).status == 200)
        #expect(try await utilities.efetch(EParameters(query: "db=pubmed&id=\(ids)")).status == 200, "the place was given back")
        try await pool.shutdown()
    }

    /// What NCBI's clients send that changes which records come back, or in what form: field=
    /// with words side by side, einfo's own field names as tags, PMIDs pasted alone,
    /// rettype=abstract with retmode=xml, and the DOI item of a version 1.0 summary.
    @Test func whatNCBIsClientsSendIsReadAsNCBIReadsIt() async throws {
        let mirror = Mirror(root: URL(fileURLWithPath: try await CLIIndexTests.indexedMirror("esearch-clients")))
        let pool = try ReaderPool(mirror: mirror, size: 2, queryLimit: .seconds(30))
        let utilities = EUtilities(mirror: mirror, pool: pool, history: SearchHistory())
        func body(_ response: EResponse) -> String { String(decoding: response.body, as: UTF8.self) }
        func ids(_ text: String) -> [String] { text.matches(of: /<Id>(\d+)<\/Id>/).map { String($0.1) } }
        func count(_ text: String) -> Int? { text.firstMatch(of: /<Count>(\d+)<\/Count>/).flatMap { Int($0.1) } }
        func search(_ query: String) async throws -> String { body(try await utilities.esearch(EParameters(query: "db=pubmed&" + query))) }

        let all = ids(try await search("term=1000:3000[dp]&retmax=9999"))
        try #require(all.count > 100)
        // An author as NCBI's field=author takes "last initials": the one name, not two.
        let xml = body(try await utilities.efetch(EParameters(query: "db=pubmed&id=\(all.prefix(40).joined(separator: ","))")))
        let author = try #require(xml.firstMatch(of: /<LastName>([A-Za-z]+)<\/LastName>\s*<ForeName>[^<]*<\/ForeName>\s*<Initials>([A-Z]+)<\/Initials>/))
        let name = "\(author.1)+\(author.2)"
        let byField = try await search("term=\(name)&field=author&retmax=9999")
        let tagged = try await search("term=\(name)[au]&retmax=9999")
        #expect((count(byField) ?? 0) > 0 && count(byField) == count(tagged), "\(byField.prefix(300))")
        #expect(byField.contains("[Author]</QueryTranslation>") && !byField.contains(" AND "), "\(byField.prefix(600))")
        // With operators of its own, the field goes to each term.
        let grouped = try await search("term=\(author.1)+OR+zzzzunknown&field=author&retmax=9999")
        #expect((count(grouped) ?? 0) > 0, "\(grouped.prefix(300))")
        // einfo's field names are tags too (Entrez takes them): none is refused as unknown.
        for field in EUtilities.fields {
            let value = field.field.kind == .date ? "2020" : field.field == .subset ? "medline" : "x"
            let answer = try await search("term=\(value)[\(field.name)]")
            #expect(!answer.contains("unknown field tag"), "\(field.name): \(answer.prefix(300))")
            #expect(answer.contains("<Count>"), "\(field.name): \(answer.prefix(300))")
        }
        #expect(count(try await search("term=1000:3000[PDAT]&datetype=cdat&mindate=1000&maxdate=3000")) != nil)
        // PMIDs alone, side by side: those records.
        let pasted = try await search("term=\(all[3])+\(all[7])+\(all[11])")
        #expect(count(pasted) == 3 && Set(ids(pasted)) == [all[3], all[7], all[11]], "\(pasted.prefix(400))")
        // Also when esearch wraps the term (mindate and maxdate AND a range to it).
        let wrapped = try await search("term=\(all[3])+\(all[7])&datetype=pdat&mindate=1000&maxdate=3000")
        #expect(count(wrapped) == 2, "\(wrapped.prefix(400))")
        // rettype=abstract with retmode=xml: the records' XML (Entrez.read reads it), not text.
        let abstractXML = body(try await utilities.efetch(EParameters(query: "db=pubmed&id=\(all[0])&rettype=abstract&retmode=xml")))
        #expect(abstractXML.contains("<PubmedArticleSet>") && abstractXML.contains("<PMID Version=\"1\">\(all[0])</PMID>"), "\(abstractXML.prefix(300))")
        let abstractText = body(try await utilities.efetch(EParameters(query: "db=pubmed&id=\(all[0])&rettype=abstract&retmode=text")))
        #expect(!abstractText.contains("<PubmedArticleSet>"))
        // A version 1.0 DocSum has the DOI as an item of its own, where the record has one.
        let summaries = body(try await utilities.esummary(EParameters(query: "db=pubmed&id=\(all.prefix(200).joined(separator: ","))")))
        let dois = summaries.matches(of: /<Item Name="doi" Type="String">([^<]+)<\/Item>/).map { String($0.1) }
        try #require(!dois.isEmpty, "no record with a DOI among the first 200")
        let items = summaries.matches(of: /<Item Name="DOI" Type="String">([^<]+)<\/Item>/).map { String($0.1) }
        #expect(items == dois)
        try await pool.shutdown()
    }
}
