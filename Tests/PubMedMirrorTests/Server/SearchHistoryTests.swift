import Testing
@testable import PubMedServer

/// The history server's numbering and bounds, in memory.
struct SearchHistoryTests {
    @Test func setsAreNumberedFromOneAndReadBack() throws {
        let history = SearchHistory()
        let first = history.store([1, 2, 3], in: nil)
        let second = history.store([4], in: first.webEnv)
        #expect(first.queryKey == 1 && second.queryKey == 2 && second.webEnv == first.webEnv)
        #expect(try history.ids(webEnv: first.webEnv, queryKey: 1) == [1, 2, 3])
        #expect(try history.ids(webEnv: first.webEnv, queryKey: 2) == [4])
        // A key that cannot be there, the smallest integer included, is an unknown set, not a crash.
        for key in [0, -1, 3, Int.min, Int.max] {
            #expect(throws: EUtilityError.self) { try history.ids(webEnv: first.webEnv, queryKey: key) }
        }
        #expect(throws: EUtilityError.self) { try history.ids(webEnv: "MCID_unknown", queryKey: 1) }
    }

    @Test func aWebEnvReusedForEverKeepsItsNewestSets() throws {
        var limits = SearchHistory.Limits()
        limits.idsPerEnvironment = 2 * (4 + SearchHistory.setCost)
        let history = SearchHistory(limits: limits)
        let webEnv = history.store(Array(1...4), in: nil).webEnv
        for _ in 0..<9 { _ = history.store(Array(1...4), in: webEnv) }
        // 10 sets of 4: only the last two fit; the keys go on from where they were.
        #expect(throws: EUtilityError.self) { try history.ids(webEnv: webEnv, queryKey: 8) }
        #expect(try history.ids(webEnv: webEnv, queryKey: 9).count == 4)
        #expect(try history.ids(webEnv: webEnv, queryKey: 10).count == 4)
        #expect(history.store([5], in: webEnv).queryKey == 11)
        // A set larger than the bound on its own is kept (the newest set always is).
        let large = history.store(Array(1...30), in: webEnv)
        #expect(try history.ids(webEnv: webEnv, queryKey: large.queryKey).count == 30)
        #expect(throws: EUtilityError.self) { try history.ids(webEnv: webEnv, queryKey: 11) }
    }

    /// A set costs something of its own: a pipeline that stores empty or one-PMID sets in one
    /// WebEnv for hours is bounded too, and keeps its newest.
    @Test func setsOfNothingAreBoundedToo() throws {
        var limits = SearchHistory.Limits()
        limits.idsPerEnvironment = 10 * SearchHistory.setCost
        let history = SearchHistory(limits: limits)
        let webEnv = history.store([], in: nil).webEnv
        for _ in 1..<1_000 { _ = history.store([], in: webEnv) }
        #expect(history.setCount(webEnv) == 10)
        #expect(try history.ids(webEnv: webEnv, queryKey: 1_000) == [])
        #expect(throws: EUtilityError.self) { try history.ids(webEnv: webEnv, queryKey: 990) }
        #expect(try history.ids(webEnv: webEnv, queryKey: 991) == [])
    }

    @Test func theLeastRecentlyUsedWebEnvGoesWhenAllTogetherHoldTooMany() throws {
        var limits = SearchHistory.Limits()
        limits.ids = 2 * (4 + SearchHistory.setCost)
        let history = SearchHistory(limits: limits)
        let a = history.store(Array(1...4), in: nil).webEnv
        let b = history.store(Array(1...4), in: nil).webEnv
        _ = try history.ids(webEnv: a, queryKey: 1)  // a is now used more recently than b
        let c = history.store(Array(1...4), in: nil).webEnv
        #expect(throws: EUtilityError.self) { try history.ids(webEnv: b, queryKey: 1) }
        #expect(try history.ids(webEnv: a, queryKey: 1).count == 4)
        #expect(try history.ids(webEnv: c, queryKey: 1).count == 4)
    }
}
