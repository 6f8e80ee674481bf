import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedPostgreSQL
@testable import PubMedQuery
@testable import PubMedRecords
@testable import PubMedSupport

/// The stores the semantic tests run on: every rule of NCBI.md holds on each.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgresql

    var testDescription: String { rawValue }

    /// A new, empty store: an SQLite file in a folder of the test's, or a database of its own on
    /// the shared PostgreSQL server.
    func make() async throws -> any RecordStore {
        switch self {
        case .sqlite:
            return try SQLiteRecordStore(path: try TestPaths.temporaryDirectory("store").appendingPathComponent("index.sqlite").path)
        case .postgresql:
            let server = try await PostgreSQLServer.shared.value
            return try PostgreSQLRecordStore(url: try server.createDatabase().url)
        }
    }
}

extension RecordStore {
    /// The hits of a query in PubMed's syntax, by relevance.
    func search(_ text: String, limit: Int, sort: SearchSort = .relevance, withJSON: Bool = true) throws -> [SearchHit] {
        try search(SearchRequest(query: PubMedQuery(parsing: text), sort: sort, limit: limit), withJSON: withJSON).hits
    }
}

/// The NLM rules for applying files, with records built by hand, on every store: versions, the
/// current one, deletions and promotion, replacement, failed files, the original XML, `export
/// --since` and search by field.
@Suite struct RecordStoreSemanticsTests {
    @Test(arguments: StoreKind.allCases) func theHighestVersionIsCurrentAndDeletionPromotesTheNext(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = try RecordStoreTests.apply(store, "f1", [RecordStoreTests.rec(1, 1), RecordStoreTests.rec(1, 2), RecordStoreTests.rec(1, 3, title: "Third"), RecordStoreTests.rec(2)])
        #expect(first.records == 4 && first.inserted == 4 && first.replaced == 0)
        #expect(try store.record(pmid: 1, version: nil)?.record.version == 3)
        #expect(try store.record(pmid: 1, version: nil)?.versions == [1, 2, 3])
        #expect(try store.record(pmid: 1, version: 1)?.isCurrent == false)
        // A PMID no record can have (past 32 bits: efetch?id=3000000000) is simply not found.
        #expect(try store.record(pmid: 3_000_000_000, version: nil) == nil)
        #expect(try store.records([3_000_000_000, 2, -1], withXML: false).map { $0 != nil } == [false, true, false])
        #expect(try store.records([3_000_000_000], withXML: false).map { $0 != nil } == [false])

        let second = try RecordStoreTests.apply(store, "f2", [.deletion(pmid: 1, version: 3), .deletion(pmid: 99, version: 1)])
        #expect(second.deleted == 1 && second.deletionsAbsent == 1)
        let current = try #require(try store.record(pmid: 1, version: nil))
        #expect(try current.record.version == 2)
        #expect(try store.search("third", limit: 10).isEmpty)
        #expect(try store.search("abstract:\"version 2\"", limit: 10).map(\.pmid) == [1])

        try RecordStoreTests.apply(store, "f3", [.deletion(pmid: 1, version: 2), .deletion(pmid: 1, version: 1)])
        #expect(try store.record(pmid: 1, version: nil) == nil)
        #expect(try store.counts().current == 1)
    }

    /// Records past PostgreSQL's bounds on a `tsvector`: a consortium's 15,000 investigators with
    /// their affiliations (more than 1 MB of words as written) and a 3,000-letter word (a sequence
    /// in an abstract). Both stores take them, and find the words around them.
    @Test(arguments: StoreKind.allCases) func recordsPastTheVectorBoundsAreIndexed(kind: StoreKind) async throws {
        let store = try await kind.make()
        var consortium = RecordStoreTests.record(11, title: "A consortium's trial")
        consortium.investigators = (1...15_000).map { number in
            PubMedRecord.Author(lastName: "Member\(number)", foreName: "Given", initials: "G",
                                affiliations: ["Department unit\(number) of Surgery and Clinical Research, University Hospital Center, "
                                    + (number == 15_000 ? "Zqlastplace" : "Example City") + ", Country"])
        }
        var sequence = RecordStoreTests.record(12, title: "A sequence")
        sequence.abstract = "Before " + String(repeating: "acgt", count: 750) + " tailword after."
        let applied = try RecordStoreTests.apply(store, "f1", [.record(consortium, xml: RecordStoreTests.xml(11, 1)),
                                                               .record(sequence, xml: RecordStoreTests.xml(12, 1))])
        #expect(applied.inserted == 2)
        for (query, pmids) in [("zqlastplace[ad]", [11]), ("unit14999[ad]", [11]), ("\"member15000 g\"[ir]", [11]),
                               ("tailword[tiab]", [12]), ("\"before\"[tiab] AND after[tiab]", [12])] {
            let parsed = try PubMedQuery(parsing: query)
            #expect(try store.count(parsed, mesh: nil) == pmids.count, "\(query)")
        }
        #expect(try store.record(pmid: 11, version: nil)?.record.investigators.count == 15_000)
        // The 3,000-letter word itself: PostgreSQL's vectors leave out words it cannot hold (as
        // to_tsvector does), so a query for one finds nothing there, and is no error.
        let long = String(repeating: "acgt", count: 750)
        for query in ["\(long)[tiab]", "\"before \(long)\"[tiab]", "\(long)*[tiab]", "\"\(long) tailword\"[tiab:~3]"] {
            #expect(try store.count(try PubMedQuery(parsing: query), mesh: nil) == (kind == .sqlite ? 1 : 0), "\(query.prefix(40))")
        }
    }

    /// Values of several KB where a btree index covers them (a keyword holding a pasted abstract,
    /// an agency, an identifier, a name) are stored: the record whole in its JSON, the indexed
    /// columns cut at 1,000 bytes (a btree entry must fit a third of a page: one such value failed
    /// its whole file on PostgreSQL, every night).
    @Test(arguments: StoreKind.allCases) func valuesTooLongForABtreeDoNotFailTheirFile(kind: StoreKind) async throws {
        let store = try await kind.make()
        // Letters that do not compress (a btree entry is compressed before it is measured).
        var generator = TestRandom(seed: 7)
        func noise(_ count: Int) -> String { String((0..<count).map { _ in Character(UnicodeScalar(UInt8(97 + generator.next() % 26))) }) }
        var record = RecordStoreTests.record(21, title: "A record with long values")
        let keyword = noise(6_000) + " é"
        record.keywords = [keyword]
        record.grants = [PubMedRecord.Grant(grantID: "G1", agency: noise(5_000))]
        record.articleIds = [PubMedRecord.ArticleID(type: "pii", value: noise(4_000))]
        record.authors = [PubMedRecord.Author(lastName: noise(4_000), foreName: "A", initials: "A", affiliations: [])]
        let applied = try RecordStoreTests.apply(store, "f1", [.record(record, xml: RecordStoreTests.xml(21, 1))])
        #expect(applied.inserted == 1)
        #expect(try store.record(pmid: 21, version: nil)?.record.keywords == [keyword], "the record keeps it whole")
        if let store = store as? PostgreSQLRecordStore {
            let connection = try PGConnection(store.url)
            let stored = try connection.execute("SELECT octet_length(keyword) FROM \(PGCatalog.quote(store.schema)).keyword WHERE pmid = 21").int(0, 0)
            #expect(stored == CopyText.maximumKeyBytes)
        }
    }

    /// An export whose reader fails (a change-feed client gone) ends with the reader's error, and
    /// the store goes on answering on the same connections.
    @Test(arguments: StoreKind.allCases) func anExportWhoseReaderFailsEndsAndTheStoreGoesOn(kind: StoreKind) async throws {
        struct Gone: Error {}
        let store = try await kind.make()
        try RecordStoreTests.apply(store, "f1", (1...3000).map { RecordStoreTests.rec($0, 1, title: "Record \($0)") })
        for _ in 0..<3 {
            var delivered = 0
            #expect(throws: Gone.self) {
                _ = try store.export(since: nil) { _ in
                    delivered += 1
                    if delivered == 10 { throw Gone() }
                }
            }
            #expect(delivered == 10)
            #expect(try store.counts().current == 3000)
            #expect(try store.record(pmid: 2999, version: nil) != nil)
        }
        var all = 0
        _ = try store.export(since: nil) { _ in all += 1 }
        #expect(all == 3000)
    }

    @Test(arguments: StoreKind.allCases) func aLaterFilesCopyReplacesTheSameVersion(kind: StoreKind) async throws {
        let store = try await kind.make()
        try RecordStoreTests.apply(store, "f1", [RecordStoreTests.rec(5, 1, title: "Old words")])
        let replaced = try RecordStoreTests.apply(store, "f2", [RecordStoreTests.rec(5, 1, title: "New words")])
        #expect(replaced.replaced == 1 && replaced.inserted == 0)
        #expect(try store.record(pmid: 5, version: nil)?.record.title == "New words")
        #expect(try store.record(pmid: 5, version: nil)?.record.sourceFile == "f2")
        #expect(try store.search("old", limit: 10).isEmpty)
        #expect(try store.search("new", limit: 10).map(\.pmid) == [5])
        #expect(try store.counts().versions == 1)
    }

    /// A file longer than the PostgreSQL writer's chunks (`PGWriter`: 500 records, then twice as
    /// many each time), with one PMID's versions in three of them: a version, a newer one, the first
    /// again (replaced) and the newer one deleted; and another PMID's record replaced in the next
    /// chunk. What a chunk does depends on what the chunks before it did.
    @Test(arguments: StoreKind.allCases) func versionsOfAPMIDInSeveralChunksOfAFile(kind: StoreKind) async throws {
        let store = try await kind.make()
        let first = PGWriter.firstChunkRecords
        // Chunks: records 1...first, then first + 1...3 first, then from 3 first + 1.
        let total = first * 3 + 100
        var items = (0..<total).map { RecordStoreTests.rec(100_000 + $0) }
        items[10] = RecordStoreTests.rec(7, 1, title: "First copy")
        items[11] = RecordStoreTests.rec(8, 1, title: "Early words")
        items[first + 10] = RecordStoreTests.rec(7, 2, title: "Second version")
        items[first + 11] = RecordStoreTests.rec(8, 1, title: "Later words")
        items[first * 3 + 10] = RecordStoreTests.rec(7, 1, title: "Replaced copy")
        items.insert(.deletion(pmid: 7, version: 2), at: first * 3 + 20)
        let applied = try RecordStoreTests.apply(store, "f1", items)
        #expect(applied.records == total && applied.inserted == total - 2 && applied.replaced == 2)
        #expect(applied.deleted == 1 && applied.deletionsAbsent == 0)
        #expect(applied.firstSeq == 1 && applied.lastSeq == Int64(total + 2))
        let seven = try #require(try store.record(pmid: 7, version: nil))
        #expect(try seven.record.title == "Replaced copy" && seven.versions == [1] && seven.isCurrent)
        #expect(try store.record(pmid: 8, version: nil)?.record.title == "Later words")
        #expect(try store.counts().current == total - 3 && store.counts().versions == total - 3)
        #expect(try store.search("replaced", limit: 10).map(\.pmid) == [7])
        #expect(try store.search("second OR early OR first[ti]", limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func anOlderVersionArrivingLaterDoesNotBecomeCurrent(kind: StoreKind) async throws {
        let store = try await kind.make()
        try RecordStoreTests.apply(store, "f1", [RecordStoreTests.rec(7, 2, title: "Second")])
        try RecordStoreTests.apply(store, "f2", [RecordStoreTests.rec(7, 1, title: "First")])
        #expect(try store.record(pmid: 7, version: nil)?.record.version == 2)
        #expect(try store.search("first", limit: 10).isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func aFailedFileChangesNothing(kind: StoreKind) async throws {
        let store = try await kind.make()
        try RecordStoreTests.apply(store, "f1", [RecordStoreTests.rec(1)])
        let before = try store.counts()
        struct Boom: Error {}
        #expect(throws: (any Error).self) {
            try store.apply(RecordStoreTests.file("f2")) { sink in
                try sink(RecordStoreTests.rec(2))
                try sink(.deletion(pmid: 1, version: 1))
                throw RecordError(kind: .xml, file: "f2", line: 10, message: "malformed")
            }
        }
        #expect(try store.counts().current == before.current)
        #expect(try store.counts().highWaterMark == before.highWaterMark)
        #expect(try store.record(pmid: 1, version: nil) != nil)
        #expect(try store.record(pmid: 2, version: nil) == nil)
        #expect(try store.appliedFiles().map(\.name) == ["f1"])
    }

    @Test(arguments: StoreKind.allCases) func originalXMLComesBackExactly(kind: StoreKind) async throws {
        let store = try await kind.make()
        let xml = Array("<PubmedArticle>\n  <MedlineCitation Status=\"MEDLINE\">caf\u{e9} &amp; <i>x</i></MedlineCitation>\n</PubmedArticle>".utf8)
        _ = try store.apply(RecordStoreTests.file("f1")) { sink in try sink(.record(RecordStoreTests.record(3), xml: xml)) }
        #expect(try store.record(pmid: 3, version: nil)?.xml == xml)
    }

    @Test(arguments: StoreKind.allCases) func exportSinceFollowsChangesAndDeletions(kind: StoreKind) async throws {
        let store = try await kind.make()
        try RecordStoreTests.apply(store, "f1", [RecordStoreTests.rec(1), RecordStoreTests.rec(2), RecordStoreTests.rec(3)])
        var all: [Int] = []
        let mark = try store.export(since: nil) { item in
            if case .record(_, let pmid, _) = item { all.append(pmid) }
        }
        #expect(all == [1, 2, 3])
        #expect(mark == 3)

        try RecordStoreTests.apply(store, "f2", [RecordStoreTests.rec(2, 2), .deletion(pmid: 3, version: 1), .deletion(pmid: 42, version: 1)])
        var changes: [String] = []
        let next = try store.export(since: mark) { item in
            switch item {
            case .record(let json, let pmid, let version):
                changes.append("\(pmid).\(version)")
                #expect(String(decoding: json, as: UTF8.self).contains("\"pmid\":\(pmid)"))
            case .deletion(let pmid, let version): changes.append("-\(pmid).\(version)")
            }
        }
        #expect(changes == ["2.2", "-3.1"])
        #expect(next > mark)
        var none = 0
        _ = try store.export(since: next) { _ in none += 1 }
        #expect(none == 0)
        // A mark from another index (before a rollover or a rebuild numbered its changes anew) is
        // refused, not answered with an empty or arbitrary change set.
        do {
            _ = try store.export(since: next + 1_000) { _ in Issue.record("delivered past the mark") }
            Issue.record("a mark past the index's was taken")
        } catch let error as IndexError {
            #expect(error.code == .sinceAhead)
            #expect(error.description.contains("change \(next + 1_000) is past this index's high-water mark, \(next)"), "\(error.description)")
        }
    }

    /// An index built to replace another (a rollover, a rebuild) numbers its changes after the
    /// other's, and refuses a mark of the other: what differs between them is in no change set.
    @Test(arguments: StoreKind.allCases) func anIndexThatReplacesAnotherNumbersAfterItAndRefusesItsMarks(kind: StoreKind) async throws {
        let store = try await kind.make()
        try store.continueNumbering(after: 500)
        var before = 0
        let empty = try store.export(since: nil) { _ in before += 1 }
        #expect(before == 0 && empty == 501, "even an empty index's mark is past the replaced one's")
        try RecordStoreTests.apply(store, "f1", [RecordStoreTests.rec(1), RecordStoreTests.rec(2)])
        #expect(try store.appliedFiles().first?.firstSeq == 502)
        let mark = try store.export(since: nil) { _ in }
        #expect(mark == 503)
        #expect(try store.counts().highWaterMark == 503)
        #expect(try store.counts().current == 2, "the kept counts still count")
        // Called again (a resumed rollover) with the same or a lower mark: nothing changes.
        try store.continueNumbering(after: 500)
        try store.continueNumbering(after: 12)
        #expect(try store.export(since: nil) { _ in } == 503)

        for since: Int64 in [1, 499, 500] {
            do {
                _ = try store.export(since: since) { _ in Issue.record("delivered a change set for \(since)") }
                Issue.record("\(since), a mark of the replaced index, was taken")
            } catch let error as IndexError {
                #expect(error.code == .sinceEarlierIndex)
                #expect(error.description.contains("change \(since) belongs to the index this one replaced"), "\(error.description)")
                #expect(error.description.contains("high-water mark was 500"), "\(error.description)")
            }
        }
        // 0 asks for every change; the new index's own marks are followed as usual.
        var all: [Int] = []
        _ = try store.export(since: 0) { item in if case .record(_, let pmid, _) = item { all.append(pmid) } }
        #expect(all == [1, 2])
        var after: [Int] = []
        _ = try store.export(since: 501) { item in if case .record(_, let pmid, _) = item { after.append(pmid) } }
        #expect(after == [1, 2])
        try RecordStoreTests.apply(store, "f2", [RecordStoreTests.rec(2, 2)])
        var changed: [String] = []
        _ = try store.export(since: mark) { item in if case .record(_, let pmid, let version) = item { changed.append("\(pmid).\(version)") } }
        #expect(changed == ["2.2"])

        // The replaced index moved on after the new one was begun (a local file applied to it): the
        // marks it gave since are refused too, and the new index's next change is past them.
        try store.continueNumbering(after: 900)
        #expect(try store.export(since: nil) { _ in } == 901)
        do {
            _ = try store.export(since: 800) { _ in }
            Issue.record("800 was taken")
        } catch let error as IndexError {
            #expect(error.code == .sinceEarlierIndex)
        }
    }

    @Test(arguments: StoreKind.allCases) func searchRanksFiltersByYearAndFields(kind: StoreKind) async throws {
        let store = try await kind.make()
        var a = RecordStoreTests.record(10, title: "Aspirin and heart failure", year: 2015, mesh: ["Heart Failure"], author: "Okafor")
        a.publicationTypes = ["Review"]
        var b = RecordStoreTests.record(11, title: "Statins", year: 2019, mesh: ["Heart Failure", "Hydroxymethylglutaryl-CoA Reductase Inhibitors"], author: "Müller")
        b.abstract = "Heart failure outcomes with statins."
        let c = RecordStoreTests.record(12, title: "Kidney stones", year: 2019)
        let records = [a, b, c]
        _ = try store.apply(RecordStoreTests.file("f1")) { sink in
            for record in records { try sink(.record(record, xml: RecordStoreTests.xml(record.pmid, 1))) }
        }
        #expect(try store.search("\"heart failure\"", limit: 10).first?.pmid == 10, "a title match ranks first")
        #expect(try Set(store.search("mesh:\"heart failure\"", limit: 10).map(\.pmid)) == [10, 11])
        #expect(try store.search("mesh:\"heart failure\" year:2016..2020", limit: 10).map(\.pmid) == [11])
        #expect(try store.search("author:muller", limit: 10).map(\.pmid) == [11], "diacritics folded")
        #expect(try store.search("type:review", limit: 10).map(\.pmid) == [10])
        #expect(try store.search("kidn*", limit: 10).map(\.pmid) == [12])
        #expect(try store.search("journal:\"J Tests\" year:2019", limit: 10).count == 2)
        #expect(try store.search("year:2015", limit: 10).map(\.pmid) == [10])

        // Counted with the page when asked (in its snapshot), whatever the page holds.
        for (text, expected) in [("2019[dp]", 2), ("heart failure[mh]", 2), ("statins", 1), ("nothing[ti]", 0)] {
            for (limit, offset) in [(1, 0), (20, 0), (5, 7)] {
                let request = SearchRequest(query: try PubMedQuery(parsing: text), limit: limit, offset: offset, counting: true)
                let result = try store.search(request, withJSON: false)
                #expect(result.total == expected, "\(text), limit \(limit), offset \(offset)")
                #expect(result.hits.count == max(0, min(limit, expected - offset)))
            }
            #expect(try store.count(PubMedQuery(parsing: text), mesh: nil) == expected)
        }
        #expect(try store.search(SearchRequest(query: PubMedQuery(parsing: "2019[dp]")), withJSON: false).total == nil, "not counted unless asked")
    }

    /// Three records of three authors' names, and what `[1au]`, `[lastau]`, `[au]`, `[pmid]`
    /// (truncated too) and `[aid]` with a PMID find among them.
    static let authorRecords = [(12340001, ["Smith", "Jones", "Wong"]), (12340002, ["Jones"]), (22340003, ["Wong", "Smith"])]
    static let authorQueries: [(String, Set<Int>)] = [
        ("\"smith j\"[1au]", [12340001]), ("smith[1au]", [12340001]), ("wong j[lastau]", [12340001]),
        ("\"jones j\"[1au]", [12340002]), ("jones j[lastau]", [12340002]), ("wong j[1au]", [22340003]),
        ("smith j[lastau]", [22340003]), ("smith j[au]", [12340001, 22340003]), ("jones[1au] OR wong[lastau]", [12340001, 12340002]),
        ("12340001[pmid]", [12340001]), ("12340001[uid] OR 22340003[pmid]", [12340001, 22340003]),
        ("1234*[pmid]", [12340001, 12340002]), ("12340002[aid]", [12340002]), ("0012340001[pmid]", []),
        ("jones j[au] NOT 12340002[pmid]", [12340001]), ("wong j[1au] AND 2234*[pmid]", [22340003]),
        // A truncated value whose code is empty: the tag's every record.
        ("_*[pmid]", [12340001, 12340002, 22340003]), ("_*[1au] NOT jones[1au]", [12340001, 22340003]),
        ("__*[lastau] NOT 1234*[uid]", [22340003]),
    ]

    static func applyAuthorRecords(_ store: any RecordStore) throws {
        _ = try RecordStoreTests.apply(store, "f1", authorRecords.map { pmid, names in
            var record = RecordStoreTests.record(pmid, title: "Record \(pmid)")
            record.authors = names.map { PubMedRecord.Author(lastName: $0, initials: "J") }
            return .record(record, xml: RecordStoreTests.xml(pmid, 1))
        })
    }

    /// The same records on each store (PostgreSQL keeps a first and a last author as weights of the
    /// author's code and the PMID as the row's own: `SearchVectors.codePlace`).
    @Test(arguments: StoreKind.allCases) func firstAndLastAuthorsAndPMIDsAreFound(kind: StoreKind) async throws {
        let store = try await kind.make()
        try Self.applyAuthorRecords(store)
        for (query, expected) in Self.authorQueries {
            #expect(try Set(store.search(query, limit: 10, withJSON: false).map(\.pmid)) == expected, "\(query)")
        }
    }

    /// A row written by an earlier pubmed-mirror (schema version 1), whose codes hold the first and
    /// last authors as codes of their own (and every author's code unweighted), is found as before;
    /// a writer makes the schema version 2 on opening it, which an earlier pubmed-mirror refuses.
    @Test func rowsWithTheEarlierCodesAreFoundAsBefore() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        try Self.applyAuthorRecords(try PostgreSQLRecordStore(url: url))
        let superuser = try server.superuser(database: name)
        try superuser.execute("""
            UPDATE pubmed_1.article SET codes = setweight(codes, 'D') || 'au1_smith__j aul_wong__j pmid_12340001'::tsvector
            WHERE pmid = 12340001;
            UPDATE pubmed_1.meta SET value = '1' WHERE key = 'schema_version'
            """)
        let version = { () throws -> String? in
            try superuser.execute("SELECT value FROM pubmed_1.meta WHERE key = 'schema_version'").string(0, 0)
        }
        _ = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try version() == "1", "a reader changes nothing")
        let store = try PostgreSQLRecordStore(url: url)
        #expect(try version() == String(PGSchema.version))
        let weights = try superuser.execute("""
            SELECT string_agg(DISTINCT w, '') FROM pubmed_1.article, unnest(codes) u, unnest(u.weights) w WHERE pmid = 12340001
            """)
        #expect(weights.string(0, 0) == "D")
        for (query, expected) in Self.authorQueries {
            #expect(try Set(store.search(query, limit: 10, withJSON: false).map(\.pmid)) == expected, "\(query)")
        }
        try superuser.execute("UPDATE pubmed_1.meta SET value = '\(PGSchema.version + 1)' WHERE key = 'schema_version'")
        let error = try #require(throws: IndexError.self) { _ = try PostgreSQLRecordStore(url: url, readOnly: true) }
        #expect(error.description.contains("made by a newer pubmed-mirror") && error.description.contains("upgrade"), "\(error)")
    }

    /// `all[sb]` finds a citation of each of the DTD's seven statuses and a book, and takes part in
    /// a strategy like any term. A citation without a status, which the DTD does not allow, is not
    /// among them (README, "Search syntax").
    @Test(arguments: StoreKind.allCases) func allSubsetIsEveryCitationWithAStatusAndEveryBook(kind: StoreKind) async throws {
        let store = try await kind.make()
        let statuses = ["Completed", "In-Process", "PubMed-not-MEDLINE", "In-Data-Review", "Publisher", "MEDLINE", "OLDMEDLINE"]
        var records = statuses.enumerated().map { index, status in
            var record = RecordStoreTests.record(20 + index)
            record.status = status
            return record
        }
        var book = RecordStoreTests.record(30)
        book.kind = .book
        records.append(book)
        records.append(RecordStoreTests.record(31))  // no status
        let file = records
        _ = try store.apply(RecordStoreTests.file("f1")) { sink in
            for record in file { try sink(.record(record, xml: RecordStoreTests.xml(record.pmid, 1))) }
        }
        #expect(try Set(store.search("all[sb]", limit: 50, withJSON: false).map(\.pmid)) == Set(20...26).union([30]))
        #expect(try store.count(PubMedQuery(parsing: "all[sb]"), mesh: nil) == 8)
        #expect(try Set(store.search("all[sb] NOT medline[sb]", limit: 50, withJSON: false).map(\.pmid)) == Set(20...24).union([30]))
        #expect(try store.search("all[sb] AND 31[pmid]", limit: 50, withJSON: false).isEmpty)
    }

}

/// What only the PostgreSQL store does: relevance over the newest hits when a query has more than
/// it ranks, and the planner's statistics gathered once a bulk load is done.
@Suite struct PostgreSQLSearchTests {
    @Test func relevanceRanksTheNewestHitsWhenThereAreMoreAndPagesReachPastThem() async throws {
        let store = try #require(try await StoreKind.postgresql.make() as? PostgreSQLRecordStore)
        let cap = PostgreSQLRecordStore.rankedHits
        // The oldest 50 hits say "widget" (and "gizmo") three times, so they would rank first; the
        // newest 2 × `cap` say "widget" once (the last 100 "gizmo" once too); 500 records say neither.
        let total = 50 + 2 * cap
        let old = (1...50).map { RecordStoreTests.rec($0, title: "Widget widget widget gizmo gizmo gizmo") }
        let new = (51...total).map { RecordStoreTests.rec($0, title: $0 > total - 100 ? "A widget gizmo" : "A widget study") }
        let other = (total + 1...total + 500).map { RecordStoreTests.rec($0, title: "Something else") }
        _ = try RecordStoreTests.apply(store, "old", old)
        _ = try RecordStoreTests.apply(store, "new", new + other)
        try store.finishRun()
        // A word in nearly every record: cutting to the newest hits reads fewer rows than ranking all.
        #expect(try store.count(PubMedQuery(parsing: "widget"), mesh: nil) == total, "counting is never cut")
        let top = try store.search("widget", limit: 20)
        #expect(top.map(\.pmid) == Array((total - 19...total).reversed()), "ranked among the newest \(cap) (equal ranks: PMID order)")
        #expect(try store.search("widget", limit: 20, sort: .pmid).first?.pmid == total, "other orders are not cut")
        // A page past the cut widens it to the page's end.
        let deep = try store.search(SearchRequest(query: PubMedQuery(parsing: "widget"), limit: 50, offset: cap), withJSON: false).hits
        #expect(deep.map(\.pmid) == Array((total - cap - 49...total - cap).reversed()), "\(deep.prefix(3).map(\.pmid))")
        // A rarer word ranks every hit: the old ones first.
        let rare = try store.search("gizmo", limit: 60)
        #expect(rare.count == 60 && rare.prefix(50).allSatisfy { $0.pmid <= 50 }, "\(rare.prefix(5).map(\.pmid))")
    }

    @Test func aBulkLoadLeavesThePlannerItsStatistics() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let store = try PostgreSQLRecordStore(url: url)
        _ = try RecordStoreTests.apply(store, "f", (1...200).map { RecordStoreTests.rec($0, title: "Study \($0)") })
        let columns = { () throws -> [String] in
            let result = try server.superuser(database: name).execute("""
                SELECT attname::text FROM pg_stats WHERE schemaname = 'pubmed_1' AND tablename = 'article' ORDER BY 1
                """)
            return (0..<result.count).compactMap { result.string($0, 0) }
        }
        #expect(try columns() == [])
        try store.finishRun()
        // Those of the columns searches use; autovacuum gathers the others later.
        #expect(try columns() == PGSchema.searchedColumns.sorted(), "ANALYZE ran with the full-text indexes' build")
    }

    /// The full-text indexes and the child tables' indexes are built at a bulk load's end, several
    /// at once (the writer's session and new ones, closed after), with every table's statistics;
    /// a run builds whichever are missing.
    @Test func theBulkLoadsIndexesAreBuiltAtItsEndAndThoseMissingByTheNextRun() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let store = try PostgreSQLRecordStore(url: url)
        let superuser = try server.superuser(database: name)
        // Only the run's end gathers statistics here, not autovacuum at a moment of its choosing.
        try superuser.execute(["article", "author", "applied_file", "meta"].map { "ALTER TABLE pubmed_1.\($0) SET (autovacuum_enabled = off);" }.joined())
        _ = try RecordStoreTests.apply(store, "f", (1...200).map { RecordStoreTests.rec($0, title: "Study \($0)") })
        let indexes = { () throws -> [String] in
            let result = try superuser.execute("""
                SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
                WHERE a.amname = 'gin' AND i.indisvalid AND c.relnamespace = 'pubmed_1'::regnamespace ORDER BY 1
                """)
            return (0..<result.count).compactMap { result.string($0, 0) }
        }
        // A closed session's backend leaves the server's list a moment after the client: asked
        // again until there are no more than expected, for up to 10 s.
        let sessions = { (expected: Int) async throws -> Int in
            var count = 0
            for _ in 0..<200 {
                count = try superuser.execute("""
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                    """, [name]).int(0, 0) ?? 0
                if count <= expected { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            return count
        }
        let children = { () throws -> [String] in
            let result = try superuser.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'pubmed_1' AND indexname = ANY($1::text[]) ORDER BY 1",
                                               [PGArray.texts(PGSchema.childIndexes.map(\.name))])
            return (0..<result.count).compactMap { result.string($0, 0) }
        }
        let analyzed = { () throws -> [String] in
            let result = try superuser.execute("SELECT DISTINCT tablename::text FROM pg_stats WHERE schemaname = 'pubmed_1' ORDER BY 1")
            return (0..<result.count).compactMap { result.string($0, 0) }
        }
        let all = ["article_codes", "article_people_words", "article_text_words"]
        let allChildren = PGSchema.childIndexes.map(\.name).sorted()
        #expect(try indexes() == [])
        #expect(try children() == [], "a bulk load: the child tables' indexes are built at its end too")
        #expect(try analyzed() == [])
        let before = try await sessions(.max)
        try store.finishRun()
        #expect(try indexes() == all)
        #expect(try children() == allChildren)
        // The tables that have rows (authors, no MeSH headings in these records), and the key of
        // the child table's expression index, whose statistics come with its table's once it is
        // built. (`article`'s are gathered for the columns searches use, which leaves its
        // expression indexes' keys to autovacuum: `PGSchema.searchedColumns`.)
        let tables = try analyzed()
        #expect(tables == ["applied_file", "article", "author", "author_name", "meta"])
        #expect(try await sessions(before) == before, "the builders' sessions are closed")
        try superuser.execute("DROP INDEX pubmed_1.article_codes; DROP INDEX pubmed_1.article_text_words; DROP INDEX pubmed_1.author_name")
        try store.finishRun()
        #expect(try indexes() == all)
        #expect(try children() == allChildren)
        #expect(try await sessions(before) == before)
        #expect(try store.search("study", limit: 5).count == 5)
        // The planner finds the authors by the index built at the run's end.
        let plan = try superuser.execute("EXPLAIN SELECT pmid FROM pubmed_1.author WHERE lower(last_name) = 'zywiec' AND initials = 'J'")
        #expect((0..<plan.count).contains { plan.string($0, 0)?.contains("author_name") == true })
    }

    /// What each file leaves in the full-text indexes' pending lists is merged into the indexes
    /// once the file is committed (searches read the whole list otherwise; not during a bulk load,
    /// which builds them at the run's end), and what was found through the lists is found in the
    /// indexes; what is left in them (a run killed between a file and its merge, another writer)
    /// is merged at the next run's end; a merge that fails is a warning.
    @Test func eachFilesNewEntriesAreMergedIntoTheFullTextIndexes() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let superuser = try server.superuser(database: name)
        let pending = { (indexes: [(String, String)]) throws -> [Int] in
            try indexes.map { index, _ in
                try superuser.execute("SELECT pending_tuples FROM pgstatginindex($1::regclass)", ["pubmed_1.\(index)"]).int(0, 0) ?? -1
            }
        }
        let store = try PostgreSQLRecordStore(url: url)
        _ = try RecordStoreTests.apply(store, "f1", (1...100).map { RecordStoreTests.rec($0, title: "Study \($0)") })
        #expect(try superuser.execute("SELECT count(*) FROM pg_indexes WHERE schemaname = 'pubmed_1' AND indexname LIKE 'article_%words'").int(0, 0) == 0,
                "a bulk load: no indexes until the run's end")
        #expect(try store.finishRun() == nil)
        // Autovacuum's ANALYZE would merge the lists too, at a moment of its choosing.
        try superuser.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple; ALTER TABLE pubmed_1.article SET (autovacuum_enabled = off)")
        let all = PGSchema.searchIndexes
        // The same 100 rows changed without the writer: their new entries wait in the lists.
        try superuser.execute("UPDATE pubmed_1.article SET text_words = text_words || 'zebra'::tsvector, people_words = people_words || 'zebra'::tsvector, codes = codes || 'zebra'::tsvector")
        #expect(try pending(all).allSatisfy { $0 > 0 })
        _ = try RecordStoreTests.apply(store, "f2", (101...200).map { RecordStoreTests.rec($0, title: "Trial \($0)") })
        #expect(try pending(all) == [0, 0, 0], "merged after the file")
        #expect(try store.search("trial", limit: 200).count == 100)
        #expect(try store.search("study", limit: 200).count == 100)

        try superuser.execute("UPDATE pubmed_1.article SET text_words = text_words || 'yak'::tsvector WHERE pmid <= 100")
        #expect(try pending(all)[0] > 0)
        #expect(try store.finishRun() == nil)
        #expect(try pending(all) == [0, 0, 0], "the run's end merges what is left")

        // A merge that fails (here an index of the name that is not a GIN index) is a warning:
        // the files are committed and the other lists merged.
        try superuser.execute("DROP INDEX pubmed_1.article_people_words; CREATE INDEX article_people_words ON pubmed_1.article (pmid)")
        let gin = all.filter { $0.0 != "article_people_words" }
        _ = try RecordStoreTests.apply(store, "f3", (201...300).map { RecordStoreTests.rec($0, title: "Survey \($0)") })
        #expect(try pending(gin) == [0, 0])
        let warning = try #require(try store.finishRun())
        #expect(warning.contains("not merged") && warning.contains("article_people_words"), "\(warning)")
        #expect(try store.search("survey", limit: 200).count == 100)
        #expect(try store.counts().current == 300)
    }

    /// The word vectors stay in the article row (search reads them for every hit); a schema made
    /// with them out of line, as before, gets the setting from its next writer, and the rows it
    /// writes from then on keep them in line.
    @Test func theWordVectorsAreKeptInTheRowAndAnOlderSchemaGetsThatFromItsNextWriter() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let superuser = try server.superuser(database: name)
        let storage = { () throws -> [String] in
            let result = try superuser.execute("""
                SELECT attname || '=' || attstorage::text FROM pg_attribute
                WHERE attrelid = 'pubmed_1.article'::regclass AND attname IN ('text_words', 'people_words', 'codes', 'record') ORDER BY 1
                """)
            return (0..<result.count).compactMap { result.string($0, 0) }
        }
        let inline = ["codes=m", "people_words=m", "record=x", "text_words=m"]
        _ = try PostgreSQLRecordStore(url: url)
        #expect(try storage() == inline)
        try superuser.execute("""
            ALTER TABLE pubmed_1.article ALTER COLUMN text_words SET STORAGE EXTENDED,
                ALTER COLUMN people_words SET STORAGE EXTENDED, ALTER COLUMN codes SET STORAGE EXTENDED
            """)
        #expect(try storage() == ["codes=x", "people_words=x", "record=x", "text_words=x"])
        _ = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try storage().first == "codes=x", "a reader changes nothing")
        // A long read holds the table: the writer does not wait for it (nor make the readers after
        // it wait), and leaves the change to the next run.
        let longRead = try server.superuser(database: name)
        try longRead.execute("BEGIN; SELECT count(*) FROM pubmed_1.article")
        _ = try PostgreSQLRecordStore(url: url)
        #expect(try storage().first == "codes=x")
        try longRead.execute("COMMIT")
        let store = try PostgreSQLRecordStore(url: url)
        #expect(try storage() == inline)
        // Ten records whose abstracts make vectors of about 3 KB each: in the row, ten rows fill
        // several pages of the table itself; out of line (as before), they would fit in one.
        _ = try RecordStoreTests.apply(store, "f1", (1...10).map { pmid in
            var record = RecordStoreTests.record(pmid, 1, title: "Record \(pmid)", year: 2001)
            record.abstract = (1...250).map { "w\(pmid)x\($0 * 7919 % 100_003)" }.joined(separator: " ")
            return .record(record, xml: RecordStoreTests.xml(pmid, 1))
        })
        let pages = try superuser.execute("SELECT pg_relation_size('pubmed_1.article') / 8192").int(0, 0) ?? 0
        #expect(pages >= 3, "the vectors are in the table's own pages (\(pages))")
    }

    /// A session that searches plans with random page reads costed as cached ones (1.1) where
    /// nobody set the cost: a value set for the database, or in the URL's options, is kept.
    @Test func sessionsCostRandomReadsAsCachedUnlessSomeoneSetTheCost() async throws {
        let server = try await PostgreSQLServer.shared.value
        let name = try server.createDatabase().name
        let setting = { (url: String) throws -> String? in
            let session = try PGConnection(try DatabaseURL(url))
            try session.tuneForSearch()
            return try session.execute("SHOW random_page_cost").string(0, 0)
        }
        #expect(try PGConnection(try DatabaseURL(server.url(database: name))).execute("SHOW random_page_cost").string(0, 0) == "4",
                "set before a session's first search only")
        #expect(try setting(server.url(database: name)) == "1.1")
        #expect(try setting(server.url(database: name, query: "options=-c%20random_page_cost%3D2")) == "2")
        #expect(try setting(server.url(database: name, query: "options=-c%20work_mem%3D8MB")) == "1.1", "other options change nothing")
        try server.execute("ALTER DATABASE \(name) SET random_page_cost = 3")
        #expect(try setting(server.url(database: name)) == "3", "the database's own setting")
    }

    /// A session that takes a writer's advisory lock has the server probe its socket within about
    /// two minutes, so that the lock of a machine that vanished is freed then, not after the
    /// system's two hours; a shorter setting of the server's (here the URL's options) is kept.
    @Test func aLockHoldersSocketIsProbedWithinTwoMinutes() async throws {
        let server = try await PostgreSQLServer.shared.value
        let name = try server.createDatabase().name
        let keepalives = { (session: PGConnection) throws -> [String?] in
            try ["idle", "interval", "count"].map { try session.execute("SHOW tcp_keepalives_\($0)").string(0, 0) }
        }
        let plain = try PGConnection(try DatabaseURL(server.url(database: name)))
        let before = try keepalives(plain)
        #expect(before != ["60", "10", "6"], "the system's own keepalives before (\(before))")
        try plain.takeAdvisoryLock("4242", operation: "testing", doing: "testing")
        #expect(try keepalives(plain) == ["60", "10", "6"])
        let shorter = try PGConnection(try DatabaseURL(server.url(database: name, query: "options=-c%20tcp_keepalives_idle%3D5")))
        try shorter.takeAdvisoryLock("4243", operation: "testing", doing: "testing")
        #expect(try keepalives(shorter) == ["5", "10", "6"])
    }

    /// `status` reads the record counts that each file's transaction keeps in `meta`, not a count of
    /// the rows; a schema made before they were kept, or written since by a writer that does not keep
    /// them, is counted by readers and counted anew by its next writer.
    @Test func theRecordCountsAreKeptByEachFileAndCountedAnewWhenAWriterLeftThemBehind() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, url) = try server.createDatabase()
        let superuser = try server.superuser(database: name)
        let counted = { () throws -> (current: Int, versions: Int) in
            let result = try superuser.execute("SELECT count(*) FILTER (WHERE is_current), count(*) FROM pubmed_1.article")
            return (result.int(0, 0) ?? -1, result.int(0, 1) ?? -1)
        }
        let kept = { () throws -> [String] in
            let result = try superuser.execute("""
                SELECT key || '=' || value FROM pubmed_1.meta
                WHERE key IN ('current_records', 'versions') AND (SELECT value FROM pubmed_1.meta WHERE key = 'counts_seq') = (SELECT value FROM pubmed_1.meta WHERE key = 'last_seq')
                ORDER BY key
                """)
            return (0..<result.count).compactMap { result.string($0, 0) }
        }
        typealias T = RecordStoreTests
        do {
            let store = try PostgreSQLRecordStore(url: url)
            #expect(try kept() == ["current_records=0", "versions=0"])
            _ = try T.apply(store, "f1", [T.rec(1, 1), T.rec(1, 2), T.rec(2), T.rec(3), T.rec(3, 1, title: "Again")])
            _ = try T.apply(store, "f2", [.deletion(pmid: 1, version: 2), .deletion(pmid: 2, version: 1), .deletion(pmid: 9, version: 1), T.rec(4)])
            var now = try counted()
            #expect(now == (3, 3), "1 (version 1 promoted), 3, 4")
            #expect(try kept() == ["current_records=\(now.current)", "versions=\(now.versions)"])
            // An older version arriving after a newer one, a stored version sent again, a version
            // that is not current deleted, a PMID deleted and sent again in one file.
            _ = try T.apply(store, "f2b", [T.rec(6, 3), T.rec(6, 2), T.rec(4, title: "Four again"), T.rec(10, 1), T.rec(10, 2),
                                           .deletion(pmid: 10, version: 1), .deletion(pmid: 3, version: 1), T.rec(3, 1, title: "Three again")])
            now = try counted()
            #expect(now == (5, 6), "1, 3, 4, 6 (two versions), 10 (version 2)")
            #expect(try kept() == ["current_records=\(now.current)", "versions=\(now.versions)"])
            #expect(try store.counts().current == 5 && store.counts().versions == 6)
        }
        // As a schema of the first PostgreSQL store was made: no counts in meta. A reader counts
        // the rows; the next writer stores the counts, and keeps them from then on.
        try superuser.execute("DELETE FROM pubmed_1.meta WHERE key IN ('current_records', 'versions', 'counts_seq')")
        let reader = try PostgreSQLRecordStore(url: url, readOnly: true)
        #expect(try reader.counts().current == 5 && reader.counts().versions == 6)
        #expect(try kept().isEmpty, "a reader writes nothing")
        do {
            let store = try PostgreSQLRecordStore(url: url)
            #expect(try kept() == ["current_records=5", "versions=6"])
            _ = try T.apply(store, "f3", [T.rec(5), T.rec(4, 2), .deletion(pmid: 1, version: 1)])
            let now = try counted()
            #expect(now == (5, 7), "3, 4 (two versions), 5, 6 (two versions), 10")
            #expect(try kept() == ["current_records=\(now.current)", "versions=\(now.versions)"])
            #expect(try reader.counts().current == 5 && reader.counts().versions == 7)
        }
        // A writer that does not keep the counts (an earlier pubmed-mirror) moves the high-water
        // mark only: readers count the rows, and the next writer counts them anew.
        try superuser.execute("""
            UPDATE pubmed_1.article SET is_current = false WHERE pmid = 5;
            UPDATE pubmed_1.meta SET value = (value::bigint + 1)::text WHERE key = 'last_seq'
            """)
        #expect(try kept().isEmpty, "the kept counts are behind the mark")
        #expect(try reader.counts().current == 4 && reader.counts().versions == 7)
        let next = try PostgreSQLRecordStore(url: url)
        #expect(try kept() == ["current_records=4", "versions=7"])
        _ = try T.apply(next, "f4", [T.rec(11)])
        #expect(try kept() == ["current_records=5", "versions=8"])
        #expect(try reader.counts().current == 5)
    }

    /// An index whose session cannot be opened (here the role's connection limit) is built by the
    /// writer after its own: the run ends with all three.
    @Test func anIndexWhoseSessionCannotOpenIsBuiltByTheWriter() async throws {
        let server = try await PostgreSQLServer.shared.value
        let (name, _) = try server.createDatabase()
        let role = "builder_\(name)"
        let superuser = try server.superuser(database: name)
        try superuser.execute("CREATE ROLE \(role) LOGIN PASSWORD 'builder-secret'; ALTER DATABASE \(name) OWNER TO \(role)")
        let url = try DatabaseURL(server.url(database: name, user: role), environment: ["PUBMED_MIRROR_DATABASE_PASSWORD": "builder-secret"])
        let store = try PostgreSQLRecordStore(url: url)
        _ = try RecordStoreTests.apply(store, "f", (1...50).map { RecordStoreTests.rec($0, title: "Study \($0)") })
        let open = try superuser.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", [role]).int(0, 0) ?? 0
        try superuser.execute("ALTER ROLE \(role) CONNECTION LIMIT \(open)")
        try store.finishRun()
        let built = try superuser.execute("""
            SELECT count(*) FROM pg_indexes WHERE schemaname = 'pubmed_1'
            AND indexname IN ('article_codes', 'article_people_words', 'article_text_words')
            """).int(0, 0)
        #expect(built == 3)
        #expect(try store.search("study", limit: 5).count == 5)
    }
}

