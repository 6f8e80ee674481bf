import PubMedIndex
import PubMedSupport

/// A page of a search sorted by PMID, publication date, first author or journal, on PostgreSQL.
///
/// Sorting every hit to return 20 costs as much as the hits: `humans --sort pub_date` sorted
/// 700,000 rows (5 s on 1.2 million records), and by journal 6 s. Left to itself, the planner
/// walked the PMID index for a word it guessed common and that had no hit at all (2.6 s for
/// `wolbachia --sort pmid`: every current record read). So the page is found the way the SQLite
/// store finds it (`SQLiteRecordStore.orderedWalk`), by rule rather than by the planner's guess:
///
/// 1. **A first walk**: the first `sampleRows` current records in the order asked for (an eighth
///    of them in a smaller table), through the order's index (`PGSchema.orderIndexes`), those
///    that match kept. For a word in many records that is the page, at the cost of reading a
///    thousand rows. A page that ends further in (esearch's history, which keeps up to 100,000)
///    only counts the hits among those rows.
/// 2. **A longer walk**, when the first one found some hits but not a page: it says how dense
///    the hits are at that end of the order, so how far a walk would go for the page, and how
///    many hits there are to sort (about that density times the records). The walk is taken
///    when it reads at most 2.5 rows for each hit sorting would read (the SQLite store's rule),
///    up to twice its expected length.
/// 3. **The hits sorted**, in every other case (few hits, or hits bunched at the far end of the
///    order, such as old dates sorted newest first): all of them read through the full-text
///    index, then sorted, in a statement whose plan cannot turn into a walk (a materialized
///    common table expression).
///
/// Each step is one statement; the page comes from the last one, so it is consistent in itself
/// (and with the count, when both run in one snapshot).
struct PGOrderedPage {
    /// How the page was found (for tests).
    enum Way: Equatable { case walked(rows: Int), sorted }

    /// Rows the first walk reads.
    static let sampleRows = 1_000

    /// The index of current records in `sort`'s order, if a search sorted so can walk one.
    static func index(for sort: SearchSort) -> String? {
        sort == .pmid ? "article_current" : PGSchema.orderIndex(for: sort)?.name
    }

    let schema: String
    /// The search condition (`FTSQuery.match`), over the columns of `article`.
    let match: String
    /// `ORDER BY`'s expressions, over the columns of `article`.
    let order: String
    let limit: Int
    let offset: Int
    let withJSON: Bool

    /// The page, and how it was found. `records` is about how many rows `article` has.
    func run(_ connection: PGConnection, records: Double) throws(ServerDatabaseFailure) -> (hits: [SearchHit], way: Way) {
        let needed = offset.addingReportingOverflow(limit).overflow ? Int.max : offset + limit
        let sample = min(Self.sampleRows, Int(max(records, 0) / 8))
        if sample > 0 {
            var matched: Int
            if needed <= sample {
                let (hits, found) = try walk(connection, rows: sample)
                if hits.count == limit { return (hits, .walked(rows: sample)) }
                // No row back: no hit there, or none past the offset.
                matched = hits.isEmpty && offset > 0 ? try count(connection, rows: sample) : found
            } else {
                matched = try count(connection, rows: sample)
            }
            // Without a hit among the rows walked there is no density to tell from: the hits are sorted.
            if matched > 0 {
                let density = Double(matched) / Double(sample)
                let expected = Double(needed) / density
                if expected <= 2.5 * density * records, expected < records {
                    let rows = Int(min(2 * expected, records)) + Self.sampleRows
                    let (more, _) = try walk(connection, rows: rows)
                    if more.count == limit { return (more, .walked(rows: rows)) }
                }
            }
        }
        return (try sorted(connection), .sorted)
    }

    /// The page among the first `rows` current records in the order, and how many of those rows match.
    private func walk(_ connection: PGConnection, rows: Int) throws(ServerDatabaseFailure) -> (hits: [SearchHit], matched: Int) {
        let result = try connection.execute("""
            SELECT pmid, version, year, title, journal, 0.0::real, \(withJSON ? "record" : "''"), count(*) OVER ()
            FROM \(first(rows)) WHERE \(match) ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)
            """)
        return (Self.hits(result), result.count > 0 ? result.int(0, 7) ?? 0 : 0)
    }

    /// The first `rows` current records in the order, read through its index, as `article`.
    private func first(_ rows: Int) -> String {
        "(SELECT * FROM \(schema).article WHERE is_current ORDER BY \(order) LIMIT \(rows)) AS article"
    }

    /// How many of the first `rows` current records in the order match.
    private func count(_ connection: PGConnection, rows: Int) throws(ServerDatabaseFailure) -> Int {
        try connection.execute("""
            SELECT count(*) FROM \(first(rows)) WHERE \(match)
            """).int(0, 0) ?? 0
    }

    /// The page of every hit, sorted.
    private func sorted(_ connection: PGConnection) throws(ServerDatabaseFailure) -> [SearchHit] {
        let result = try connection.execute("""
            WITH hit AS MATERIALIZED (
                SELECT pmid, version, year, title, journal, pub_date, first_author, \(withJSON ? "record" : "'' AS record")
                FROM \(schema).article WHERE is_current AND \(match))
            SELECT pmid, version, year, title, journal, 0.0::real, record FROM hit ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)
            """)
        return Self.hits(result)
    }

    /// `ORDER BY` for `sort` (`ranked`: relevance by `ts_rank`, as `rank`).
    static func order(_ sort: SearchSort, ranked: Bool) -> String {
        if let index = PGSchema.orderIndex(for: sort) { return index.key }
        switch sort {
        case .relevance: return ranked ? "rank DESC, pmid DESC" : "seq DESC"
        case .pmid: return "pmid DESC"
        // `.recent`; date, first author and journal have an order index, above.
        default: return "seq DESC"
        }
    }

    static func hits(_ result: PGResult) -> [SearchHit] {
        (0..<result.count).map { row in
            SearchHit(pmid: result.int(row, 0) ?? 0, version: result.int(row, 1) ?? 0, year: result.int(row, 2),
                      title: result.string(row, 3) ?? "", journal: result.string(row, 4),
                      rank: -(result.double(row, 5) ?? 0), json: result.bytes(row, 6))
        }
    }
}
