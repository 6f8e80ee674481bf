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
        let oldest = Array(all.suffix(20))
        let posted = body(try await utilities.epost(EParameters(query: "db=pubmed&id=\(oldest.prefix(10).joined(separator: ","))&id=\(oldest.dropFirst(10).joined(separator: ","))")))
        let webEnv = try #require(posted.firstMatch(of: /<WebEnv>([^<]+)<\/WebEnv>/)?.1)

        let within = body(try await utilities.esearch(EParameters(query: "db=pubmed&term=1000:3000[dp]&WebEnv=\(webEnv)&query_key=1&retmax=100")))
        #expect(within.contains("<Count>20</Count>"), "\(within.prefix(400))")
        #expect(ids(within) == oldest, "in the query's order")
        try await pool.shutdown()
    }
}
