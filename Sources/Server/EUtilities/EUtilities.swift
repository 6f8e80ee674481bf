import Foundation
import PubMedMirror

/// NCBI's E-utilities for `db=pubmed`, answered from the mirror's index: esearch, efetch,
/// esummary, einfo and epost, in NCBI's own shapes (elements, DOCTYPEs, JSON keys with numbers as
/// strings, error forms), so that clients written for NCBI (Biopython, EDirect, rentrez) work once
/// pointed here. Parameters NCBI's clients add and the mirror has no use for (`tool`, `email`,
/// `api_key` when no token is set, EDirect's own) are accepted and ignored.
struct EUtilities: Sendable {
    let mirror: Mirror
    let pool: ReaderPool
    let history: SearchHistory
    /// The most ids one efetch or esummary answers (NCBI's own limit is 10,000 for efetch).
    var idsPerRequest = 10_000
    /// The longest query text taken.
    var maximumQueryLength = 4_096
    /// A history set of at most this many PMIDs limits a search as a condition of its query; a
    /// larger one by reading the query's hits, `filterPage` at a time.
    var restrictLimit = 10_000
    var filterPage = 500_000
    /// The places for answers built whole in memory, shared with the JSON API (`JSONAPI.heavy`):
    /// efetch and esummary of more than `JSONAPI.largeRequest` records (10,000 records of XML are
    /// about 55 MB, held two or three times over while the answer is made and sent).
    var heavyAnswers = Places(limit: 2)

    /// Runs `answer` for `count` records: past `JSONAPI.largeRequest` in one of the heavy answers'
    /// places, which it gives back once built; with none free, `busy`.
    func heavy(_ count: Int, _ answer: () async throws -> EResponse) async throws -> EResponse {
        guard count > JSONAPI.largeRequest else { return try await answer() }
        guard let built = try await heavyAnswers.within(answer) else {
            throw EUtilityError.busy("\(heavyAnswers.limit) large answers are being built; try again in a few seconds")
        }
        return built
    }

    /// `db` is pubmed (or absent: pubmed is NCBI's default too).
    func requirePubMed(_ parameters: EParameters) throws(EUtilityError) {
        if let db = parameters["db"], db.lowercased() != "pubmed" { throw .badRequest("Invalid db name specified: \(db)") }
    }

    func require(_ value: String?, _ name: String) throws(EUtilityError) -> String {
        guard let value else { throw .badRequest("Missing parameter: \(name)") }
        return value
    }

    /// The PMIDs a request names: `id`, or a history set (`WebEnv` and `query_key`) with
    /// `retstart` and `retmax` over it.
    func requestedIDs(_ parameters: EParameters) throws(EUtilityError) -> [Int] {
        var ids = try parameters.ids()
        if ids.isEmpty, let queryKey = try parameters.integer("query_key") {
            let set = try history.ids(webEnv: try require(parameters["webenv"], "WebEnv"), queryKey: queryKey)
            let start = max(0, try parameters.integer("retstart") ?? 0)
            // NCBI's retmax is "up to a maximum of 10,000": more asked of a history set gives that many.
            let count = min(max(0, try parameters.integer("retmax") ?? idsPerRequest), idsPerRequest)
            ids = Array(set.dropFirst(start).prefix(count))
        }
        guard !ids.isEmpty else { throw .badRequest("Empty id list - nothing todo") }
        guard ids.count <= idsPerRequest else {
            throw .badRequest("Too many ids: \(ids.count); at most \(idsPerRequest) in one request (use retstart and retmax)")
        }
        return ids
    }

    /// The records of `ids` that the index holds, in the order asked (the others left out).
    func records(_ ids: [Int], withXML: Bool) async throws -> [(pmid: Int, record: StoredRecord)] {
        try await pool.read { store in
            zip(ids, try store.records(ids, withXML: withXML)).compactMap { pmid, record in record.map { (pmid, $0) } }
        }
    }
}
