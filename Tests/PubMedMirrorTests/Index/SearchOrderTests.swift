import Foundation
import GRDB
import Testing
@testable import PubMedIndex
@testable import PubMedMirror
@testable import PubMedPostgreSQL
@testable import PubMedQuery

/// Sorted searches of many hits walk an index of the current records in order instead of sorting
/// every hit (`SQLiteRecordStore.orderedWalk`, `PGOrderedPage`): each page must be the same slice
/// of the whole order that sorting gives, with replaced versions left out, on both stores.
@Suite struct SearchOrderTests {
    /// A baseline file and the update file that revises some of its records (so older versions
    /// are in the article table, not current).
    static let files = [
        "pmparser-samples/2020-larger/baseline/pubmed20n1015.xml.gz",
        "pmparser-samples/2020-larger/updatefiles/pubmed20n1016.xml.gz",
    ].map { TestPaths.sharedData.appendingPathComponent($0) }

    static func indexed(_ kind: StoreKind) async throws -> any RecordStore {
        try apply(to: try await kind.make())
    }

    /// `store` with both files applied, as a run ends (on PostgreSQL: the full-text indexes built,
    /// the tables analyzed).
    @discardableResult static func apply<Store: RecordStore>(to store: Store) throws -> Store {
        for (number, url) in files.enumerated() {
            _ = try store.apply(FileIdentity(name: url.lastPathComponent, folder: "local", cycle: nil, number: number + 1, md5: ""),
                                contentsOf: url)
        }
        _ = try store.finishRun()
        return store
    }

    /// Every page of a sorted search is the slice of the whole sorted list at its offset.
    static func expectPagesAreSlices(_ store: any RecordStore, _ query: String, sort: SearchSort) throws {
        let parsed = try PubMedQuery(parsing: query)
        let whole = try store.search(SearchRequest(query: parsed, sort: sort, limit: 1_000_000), withJSON: false).hits.map(\.pmid)
        #expect(whole.count > 100, "\(query): \(whole.count) hits")
        #expect(Set(whole).count == whole.count, "\(query) by \(sort): a PMID twice")
        for (offset, limit) in [(0, 20), (20, 20), (97, 7), (whole.count - 5, 20)] {
            let result = try store.search(SearchRequest(query: parsed, sort: sort, limit: limit, offset: offset, counting: true), withJSON: false)
            #expect(result.hits.map(\.pmid) == Array(whole[offset..<min(offset + limit, whole.count)]),
                    "\(query) by \(sort), \(limit) from \(offset)")
            #expect(result.total == whole.count)
        }
    }

    static let queries = ["english[la]", "journal article[pt]", "the", "cancer OR tumor", "english[la] NOT wolbachia"]

    @Test(arguments: StoreKind.allCases) func pagesOfSortedSearchesAreSlicesOfTheWholeOrder(kind: StoreKind) async throws {
        let store = try await Self.indexed(kind)
        for query in Self.queries + ["2019[dp]"] {
            for sort in [SearchSort.pmid, .pubDate, .firstAuthor, .journal] { try Self.expectPagesAreSlices(store, query, sort: sort) }
        }
        // Only current records: PMID 31828225 has versions 2, 3 and 4 in the files, and is found
        // once, as version 4, by the walk (a page of 20 of about a thousand hits) as by the sort.
        for sort in [SearchSort.pmid, .pubDate] {
            let query = try PubMedQuery(parsing: "wolbachia[tiab] OR english[la]")
            let whole = try store.search(SearchRequest(query: query, sort: sort, limit: 1_000_000), withJSON: false).hits
            let at = try #require(whole.firstIndex { $0.pmid == 31828225 })
            #expect(whole.filter { $0.pmid == 31828225 }.map(\.version) == [4])
            let page = try store.search(SearchRequest(query: query, sort: sort, limit: 20, offset: at / 20 * 20), withJSON: false).hits
            #expect(page.filter { $0.pmid == 31828225 }.map(\.version) == [4], "\(sort)")
        }
    }

    /// The walk is what these queries use (so the test above compares it with sorting), a query
    /// with few hits sorts them, and hits bunched at the far end of the order (the lowest PMIDs,
    /// sorted newest first) stop the walk at its bound and are sorted after all.
    @Test func manyHitsWalkTheOrderedIndexAndFewOrBunchedSortThem() async throws {
        let store = try #require(try await Self.indexed(.sqlite) as? SQLiteRecordStore)
        func request(_ query: String, _ sort: SearchSort, offset: Int = 0) throws -> SearchRequest {
            SearchRequest(query: try PubMedQuery(parsing: query), sort: sort, offset: offset)
        }
        func walk(_ request: SearchRequest) throws -> SQLiteRecordStore.OrderedWalk? {
            let fts = try store.translate(request.query, mesh: nil)
            return try store.read { db in try SQLiteRecordStore.orderedWalk(for: request, fts: fts, db: db) }
        }
        func walked(_ request: SearchRequest) throws -> [Int]? {
            let fts = try store.translate(request.query, mesh: nil)
            return try store.read { db in
                guard let walk = try SQLiteRecordStore.orderedWalk(for: request, fts: fts, db: db) else { return nil }
                return try SQLiteRecordStore.walked(walk, request: request, fts: fts, db: db)?.map { $0["pmid"] as Int }
            }
        }
        for query in Self.queries {
            for (sort, index) in [(SearchSort.pmid, "articleCurrentPmid"), (.pubDate, "articleCurrentDate")] {
                #expect(try walk(request(query, sort))?.index.name == index, "\(query) by \(sort)")
                #expect(try walked(request(query, sort)) != nil, "\(query) by \(sort): the page filled within the bound")
            }
            for sort in [SearchSort.relevance, .firstAuthor, .journal] { #expect(try walk(request(query, sort)) == nil) }
        }
        // SQLite reads each order index for its sort, in order, rather than sorting what it reads.
        for sort in [SearchSort.pmid, .pubDate] {
            let index = try #require(SQLiteRecordStore.OrderIndex.serving(sort))
            let plan = try store.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT a.pmid FROM article a INDEXED BY \(index.name) WHERE a.isCurrent = 1 ORDER BY \(SQLiteRecordStore.order(sort)) LIMIT 5")
                    .map { $0["detail"] as String }
            }
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sort): \(plan)")
        }
        // A handful of hits, a page deep into many, or hits limited to dates: sorted, not walked.
        #expect(try walk(request("wolbachia[tiab]", .pubDate)) == nil)
        #expect(try walk(request("english[la] AND 2000:2030[dp]", .pubDate)) == nil)
        #expect(try walk(request("english[la] AND 2000:2030[edat]", .pmid)) == nil)
        #expect(try walk(request("english[la]", .pubDate, offset: 1_000_000)) == nil)

        // The 100 lowest PMIDs, sorted newest first: walked, but the bound (10 entries a hit) ends
        // before the first of them, so they are sorted; the page is the same either way.
        let all = try store.search("english[la] OR journal article[pt] OR the", limit: 1_000_000, sort: .pmid, withJSON: false).map(\.pmid)
        let lowest = Array(all.sorted().prefix(100))
        let bunched = try request(lowest.map { "\($0)[pmid]" }.joined(separator: " OR "), .pmid)
        #expect(try walk(bunched) != nil)
        #expect(try walked(bunched) == nil, "the walk stopped at its bound")
        let page = try store.search(bunched, withJSON: false).hits.map(\.pmid)
        #expect(page == Array(lowest.sorted(by: >).prefix(20)))
    }

    /// The walk's bound is exact to the entry, even inside a run of entries that share the sort
    /// key (records of one date): a page that the hits among the first `bound` entries can fill is
    /// exactly those hits, and one they cannot fill is refused (to be sorted), never filled from
    /// past the bound.
    @Test func theWalksBoundIsExactInsideARunOfEqualKeys() async throws {
        let store = try #require(try await Self.indexed(.sqlite) as? SQLiteRecordStore)
        let query = try PubMedQuery(parsing: "english[la]")
        let fts = try store.translate(query, mesh: nil)
        for sort in [SearchSort.pmid, .pubDate] {
            let index = try #require(SQLiteRecordStore.OrderIndex.serving(sort))
            let (entries, hits) = try store.read { db in
                (try Row.fetchAll(db, sql: """
                    SELECT \(index.key) AS key, a.pmid FROM article a INDEXED BY \(index.name)
                    WHERE a.isCurrent = 1 ORDER BY \(SQLiteRecordStore.order(sort))
                    """).map { ($0["key"] as DatabaseValue, $0["pmid"] as Int) },
                 Set(try Int.fetchAll(db, sql: "SELECT a.pmid FROM article a WHERE a.id IN (SELECT rowid FROM articleSearch WHERE articleSearch MATCH ?)",
                                      arguments: [fts.match])))
            }
            // Bounds in the middle of runs of equal keys (for PMIDs, which are unique, any entry).
            var bounds: [Int] = []
            for position in 1..<(entries.count - 1) where bounds.count < 3 && !entries[position].0.isNull
                && (sort == .pmid || (entries[position - 1].0 == entries[position].0 && entries[position].0 == entries[position + 1].0))
                && bounds.allSatisfy({ position - $0 > 50 }) {
                bounds.append(position + 1)
            }
            #expect(!bounds.isEmpty, "\(sort): no run of equal keys in the sample")
            for bound in bounds {
                let within = entries.prefix(bound).map(\.1).filter(hits.contains)
                guard !within.isEmpty else { continue }
                let walk = SQLiteRecordStore.OrderedWalk(index: index, hits: hits.count, bound: bound)
                let full = try store.read { db in
                    try SQLiteRecordStore.walked(walk, request: SearchRequest(query: query, sort: sort, limit: within.count), fts: fts, db: db)
                }
                #expect(full?.map { $0["pmid"] as Int } == within, "\(sort), bound \(bound)")
                let short = try store.read { db in
                    try SQLiteRecordStore.walked(walk, request: SearchRequest(query: query, sort: sort, limit: within.count + 1), fts: fts, db: db)
                }
                #expect(short == nil, "\(sort), bound \(bound): a page filled from past the bound")
            }
        }
    }

    /// On PostgreSQL: a page of many hits is walked (by PMID, date, first author and journal), a
    /// handful of hits or a page deep into many is sorted, and so are hits bunched at the far end
    /// of the order (the first walk finds none of them); a rare word is never walked, as the
    /// planner walked it (every current record read to find none).
    @Test func onPostgreSQLManyHitsAreWalkedAndFewOrBunchedSorted() async throws {
        let store = try #require(try await Self.indexed(.postgresql) as? PostgreSQLRecordStore)
        func way(_ query: String, _ sort: SearchSort, offset: Int = 0) throws -> ([Int], PGOrderedPage.Way) {
            let request = SearchRequest(query: try PubMedQuery(parsing: query), sort: sort, limit: 20, offset: offset)
            let (fts, _) = try store.translate(request.query, mesh: nil)
            let (hits, way) = try store.read("searching") { connection throws(ServerDatabaseFailure) in
                try store.orderedPage(request, match: fts.match, withJSON: false, connection)
            }
            return (hits.map(\.pmid), way)
        }
        for query in ["english[la]", "journal article[pt]"] {
            for sort in [SearchSort.pmid, .pubDate, .firstAuthor, .journal] {
                let (page, how) = try way(query, sort)
                guard case .walked = how else { Issue.record("\(query) by \(sort): \(how)"); continue }
                let whole = try store.search(query, limit: 1_000_000, sort: sort, withJSON: false).map(\.pmid)
                #expect(page == Array(whole.prefix(20)), "\(query) by \(sort)")
            }
        }
        #expect(try way("wolbachia[tiab]", .pubDate).1 == .sorted)
        #expect(try way("wolbachia[tiab]", .pmid).1 == .sorted)
        #expect(try way("nosuchword", .pmid) == ([], .sorted))
        #expect(try way("english[la]", .pubDate, offset: 1_000_000) == ([], .sorted))
        let all = try store.search("english[la] OR journal article[pt] OR the", limit: 1_000_000, sort: .pmid, withJSON: false).map(\.pmid)
        let lowest = Array(all.sorted().prefix(100))
        let (bunched, how) = try way(lowest.map { "\($0)[pmid]" }.joined(separator: " OR "), .pmid)
        #expect(how == .sorted)
        #expect(bunched == Array(lowest.sorted(by: >).prefix(20)))
    }

    /// A PostgreSQL index made before the order indexes is read without them (its sorted searches
    /// sort), and gets them from the first writer that opens it, even with a first author written
    /// before first authors were kept to a btree's size (as long as a consortium's name list).
    @Test func aPostgreSQLIndexWithoutTheOrderIndexesIsReadAndGetsThemFromAWriter() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        var sorted: [Int] = []
        do {
            let store = try Self.apply(to: try PostgreSQLRecordStore(url: url))
            sorted = try store.search("english[la]", limit: 1_000_000, sort: .pubDate, withJSON: false).map(\.pmid)
            let superuser = try server.superuser(database: name)
            for index in PGSchema.orderIndexes { _ = try superuser.execute("DROP INDEX \(store.schema).\(index.name)") }
            _ = try superuser.execute("""
                UPDATE \(store.schema).article SET first_author = (SELECT string_agg(md5(i::text), ' ') FROM generate_series(1, 300) AS i)
                WHERE pmid = (SELECT max(pmid) FROM \(store.schema).article WHERE is_current) AND is_current
                """)
        }

        let reader = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try reader.hasIndex(PGSchema.orderIndexes[0].name) == false)
        let page = try reader.search(SearchRequest(query: try PubMedQuery(parsing: "english[la]"), sort: .pubDate, limit: 20, offset: 20), withJSON: false)
        #expect(page.hits.map(\.pmid) == Array(sorted[20..<40]))

        do { _ = try PostgreSQLRecordStore(url: url) }
        let again = try PostgreSQLRecordStore(url: url, readOnly: true)
        for index in PGSchema.orderIndexes { #expect(try again.hasIndex(index.name), "\(index.name)") }
        let byAuthor = SearchRequest(query: try PubMedQuery(parsing: "english[la]"), sort: .firstAuthor, limit: 20, offset: 20)
        #expect(try again.search(byAuthor, withJSON: false).hits.map(\.pmid)
                == Array(try again.search("english[la]", limit: 1_000_000, sort: .firstAuthor, withJSON: false).map(\.pmid)[20..<40]))
        let walked = try again.search(SearchRequest(query: try PubMedQuery(parsing: "english[la]"), sort: .pubDate, limit: 20, offset: 20), withJSON: false)
        #expect(walked.hits.map(\.pmid) == Array(sorted[20..<40]))
    }

    /// An index made before the date index was added is read without it (its date sorts sort),
    /// and gets it from the first writer that opens it.
    @Test func anIndexWithoutTheDateIndexIsReadAndGetsItFromAWriter() async throws {
        let folder = try TestPaths.temporaryDirectory("order-migration")
        let path = folder.appendingPathComponent("index.sqlite").path
        var sorted: [Int] = []
        do {
            let store = try Self.apply(to: try SQLiteRecordStore(path: path))
            sorted = try store.search("english[la]", limit: 1_000_000, sort: .pubDate, withJSON: false).map(\.pmid)
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP INDEX articleCurrentDate")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v4.1:%'")
        }
        try queue.close()

        let reader = try SQLiteRecordStore(path: path, readOnly: true)
        let page = try reader.search(SearchRequest(query: try PubMedQuery(parsing: "english[la]"), sort: .pubDate, limit: 20, offset: 20), withJSON: false)
        #expect(page.hits.map(\.pmid) == Array(sorted[20..<40]))
        #expect(try reader.read { db in try db.indexes(on: "article").map(\.name) }.contains("articleCurrentDate") == false)

        let writer = try SQLiteRecordStore(path: path)
        #expect(try writer.read { db in try db.indexes(on: "article").map(\.name) }.contains("articleCurrentDate"))
        let walked = try writer.search(SearchRequest(query: try PubMedQuery(parsing: "english[la]"), sort: .pubDate, limit: 20, offset: 20), withJSON: false)
        #expect(walked.hits.map(\.pmid) == Array(sorted[20..<40]))
    }
}
