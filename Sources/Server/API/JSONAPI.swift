import Foundation
import PubMedMirror
import Synchronization

/// The server's own API for new code, under `/api/` (documented by `OpenAPIDocument`, served at
/// `/api/openapi.json`): search in PubMed's syntax, records by PMID in every format `show` has,
/// the change feed (`export --since` as JSON lines, with the high-water mark last), status, and
/// `/health`. Errors are `{"error": {"code": …, "message": …}}` with a 4xx or 5xx status.
struct JSONAPI: Sendable {
    let mirror: Mirror
    let pool: ReaderPool
    var maximumQueryLength = 4_096
    var idsPerRequest = 10_000
    /// The deepest a page of search results may start, as in NCBI's esearch.
    var window = 10_000
    /// Answers built whole in memory at once (an export of up to 10,000 records, a request for
    /// more than `largeRequest` records: tens to hundreds of MB each): past this many, a request is
    /// told to come back (503 with Retry-After) rather than every one of them exhausting memory.
    var heavyAnswers = Places(limit: 2)
    static let largeRequest = 100

    /// Runs `body` in one of the heavy answers' places, or fails with 503 when they are all taken.
    private func heavy(_ body: () async throws -> EResponse) async throws -> EResponse {
        if let answer = try await heavyAnswers.within(body) { return answer }
        var busy = Failure(status: 503, code: "server.busy",
                           message: "\(heavyAnswers.limit) exports (or large record requests) are being built; try again in a few seconds").response
        busy.retryAfter = 5
        return busy
    }

    struct Failure: Error {
        var status: Int
        var code: String
        var message: String

        var response: EResponse {
            .json("{\"error\":{\"code\":\(Markup.json(code)),\"message\":\(Markup.json(message))}}\n", status: status)
        }
    }

    /// `GET /api/search?q=…&sort=…&limit=…&offset=…`
    func search(_ parameters: EParameters) async throws -> EResponse {
        await Self.answering {
            let (text, query, sort) = try self.query(parameters)
            let limit = try number(parameters, "limit", default: 20, within: 0...1_000)
            let offset = try number(parameters, "offset", default: 0, within: 0...window)
            let mesh = query.usesThesaurus ? try mirror.openMeshVocabulary() : nil
            // The count and the page in one snapshot, so that they agree while a file is applied.
            let request = SearchRequest(query: query, sort: sort, limit: limit, offset: offset, mesh: mesh, counting: true)
            let (count, result) = try await pool.read { store in
                if limit == 0 { return (try store.count(query, mesh: mesh), nil as SearchResult?) }
                let result = try store.search(request, withJSON: false)
                return (result.total ?? 0, result)
            }
            let notes = result?.notes ?? []
            let hits = (result?.hits ?? []).map { hit in
                "{\"pmid\":\(hit.pmid),\"version\":\(hit.version),\"year\":\(hit.year.map(String.init) ?? "null"),"
                    + "\"title\":\(Markup.json(hit.title)),\"journal\":\(hit.journal.map(Markup.json) ?? "null")}"
            }
            return .json("{\"query\":\(Markup.json(text)),\"translation\":\(Markup.json(query.translation)),\"count\":\(count),"
                + "\"offset\":\(offset),\"limit\":\(limit),\"sort\":\(Markup.json(sort.rawValue)),\"notes\":\(Markup.jsonStrings(notes)),"
                + "\"results\":[\(hits.joined(separator: ","))]}\n")
        }
    }

    /// The answer of `body`, or its failure as the API's JSON error: a query the index cannot run
    /// 400, one stopped by the time limit or an index that cannot be read 503, anything else 500.
    /// (The server's own handler would answer them in plain text, which the page cannot read.)
    static func answering(_ body: () async throws -> EResponse) async -> EResponse {
        do {
            return try await body()
        } catch let failure as Failure {
            return failure.response
        } catch IndexError.query(let error) {
            // Read, but not something the index can run (nested too deep for it).
            return Failure(status: 400, code: error.code.name, message: error.description).response
        } catch IndexError.interrupted {
            return Failure(status: 503, code: ErrorCode.queryInterrupted.name,
                           message: "The query took longer than this server allows and was stopped").response
        } catch let error as IndexError {
            return Failure(status: 503, code: error.code.name, message: "The index cannot be read: \(error.description)").response
        } catch {
            return Failure(status: 500, code: ErrorCode.internalFailure.name, message: "Internal error: \(error)").response
        }
    }

    /// `q` (present, not too long, readable) and `sort`.
    private func query(_ parameters: EParameters) throws(Failure) -> (text: String, query: PubMedQuery, sort: SearchSort) {
        guard let text = parameters["q"] else { throw Failure(status: 400, code: "request.missing-parameter", message: "Missing parameter: q (a query in PubMed's syntax)") }
        guard text.utf8.count <= maximumQueryLength else {
            throw Failure(status: 400, code: "query.too-long", message: "The query is \(text.utf8.count) bytes long; this server takes at most \(maximumQueryLength)")
        }
        let query: PubMedQuery
        do {
            query = try PubMedQuery(parsing: text)
        } catch {
            throw Failure(status: 400, code: error.code.name, message: error.description)
        }
        let sortName = parameters["sort"] ?? "relevance"
        guard let sort = SearchSort(rawValue: sortName) else {
            throw Failure(status: 400, code: "request.bad-parameter", message: "Invalid sort '\(sortName)': relevance, pub_date, first_author, journal, pmid or recent")
        }
        return (text, query, sort)
    }

    /// `GET /api/export?q=…&sort=…&format=medline|ris|bibtex|csl-json|csv`: the first 10,000
    /// results of a search as one file to save (the page's downloads).
    func export(_ parameters: EParameters) async throws -> EResponse {
        await Self.answering {
            let (_, query, sort) = try self.query(parameters)
            let formatName = parameters["format"] ?? "medline"
            let citation = CitationFormat(rawValue: formatName)
            guard citation != nil || formatName == "csv" else {
                throw Failure(status: 400, code: "request.bad-parameter", message: "Invalid format '\(formatName)': medline, ris, bibtex, csl-json or csv")
            }
            let mesh = query.usesThesaurus ? try mirror.openMeshVocabulary() : nil
            let request = SearchRequest(query: query, sort: sort, limit: window, offset: 0, mesh: mesh)
            return try await heavy {
                let hits = try await pool.read { store in try store.search(request, withJSON: true).hits }
                let decoder = JSONDecoder()
                let records = try hits.map { try decoder.decode(PubMedRecord.self, from: Data($0.json)) }
                var response: EResponse
                if let citation {
                    response = EResponse(contentType: citation == .cslJSON ? EResponse.jsonType : EResponse.textType, body: Array(citation.render(records).utf8))
                } else {
                    response = EResponse(contentType: "text/csv; charset=UTF-8", body: Array(Self.csv(records).utf8))
                }
                let suffix = switch formatName { case "medline": "txt"; case "csl-json": "json"; case "bibtex": "bib"; default: formatName }
                response.disposition = "attachment; filename=\"pubmed-results.\(suffix)\""
                return response
            }
        }
    }

    /// Records as CSV (RFC 4180): PMID, year, title, journal, authors, DOI.
    static func csv(_ records: [PubMedRecord]) -> String {
        func field(_ value: String) -> String {
            value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
        }
        var lines = ["pmid,year,title,journal,authors,doi"]
        for record in records {
            let summary = DocumentSummary(record)
            lines.append([String(record.pmid), record.year.map(String.init) ?? "", record.title, record.journal?.title ?? "",
                          summary.authors.joined(separator: "; "), record.doi ?? ""].map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The formats a record is given in.
    enum RecordFormat: String, CaseIterable {
        case json, xml, text, medline, ris, bibtex, cslJSON = "csl-json"

        var contentType: String {
            switch self {
            case .json, .cslJSON: EResponse.jsonType
            case .xml: EResponse.xmlType
            case .text, .medline, .ris, .bibtex: EResponse.textType
            }
        }
    }

    /// `GET /api/records/{pmid}?format=…&version=…`, and `GET /api/records?ids=…&format=…`.
    func records(_ parameters: EParameters, pmid: String?) async throws -> EResponse {
        await Self.answering {
            let formatName = parameters["format"] ?? "json"
            guard let format = RecordFormat(rawValue: formatName) else {
                throw Failure(status: 400, code: "request.bad-parameter",
                              message: "Invalid format '\(formatName)': \(RecordFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let ids: [Int]
            if let pmid {
                guard let id = Int(pmid), id > 0 else { throw Failure(status: 400, code: "request.bad-parameter", message: "Invalid PMID '\(pmid)'") }
                ids = [id]
            } else {
                do throws(EUtilityError) {
                    var list = parameters
                    list.rename("ids", to: "id")
                    ids = try list.ids()
                } catch {
                    throw Failure(status: 400, code: "request.bad-parameter", message: error.message)
                }
                guard !ids.isEmpty else { throw Failure(status: 400, code: "request.missing-parameter", message: "Missing parameter: ids (PMIDs, separated by commas)") }
                guard ids.count <= idsPerRequest else {
                    throw Failure(status: 400, code: "request.too-many-ids", message: "Too many ids: \(ids.count); at most \(idsPerRequest) in one request")
                }
            }
            let version = try parameters["version"].map { text in
                guard let number = Int(text), number > 0 else { throw Failure(status: 400, code: "request.bad-parameter", message: "Invalid version '\(text)'") }
                guard pmid != nil else { throw Failure(status: 400, code: "request.bad-parameter", message: "version goes with a single PMID: /api/records/{pmid}?version=N") }
                return number
            }
            let answer = { () async throws -> EResponse in
                let found = try await pool.read { store in
                    if let version { return [(ids[0], try store.record(pmid: ids[0], version: version, withXML: format == .xml))] }
                    return Array(zip(ids, try store.records(ids, withXML: format == .xml)))
                }
                let missing = found.filter { $0.1 == nil }.map(\.0)
                if pmid != nil, let id = missing.first {
                    throw Failure(status: 404, code: ErrorCode.recordNotFound.name,
                                  message: "PMID \(id)\(version.map { " version \($0)" } ?? "") is not in the index")
                }
                let records = found.compactMap(\.1)
                return EResponse(contentType: format.contentType, body: try Self.render(records, format, single: pmid != nil, missing: missing))
            }
            return try await ids.count > Self.largeRequest ? heavy(answer) : answer()
        }
    }

    /// The records as one answer: one JSON object (a single PMID) or `{"records":[…],"missing":[…]}`,
    /// the XML one after another, the citation formats as `show` writes them.
    static func render(_ records: [StoredRecord], _ format: RecordFormat, single: Bool, missing: [Int]) throws -> [UInt8] {
        switch format {
        case .json:
            if single, let record = records.first { return record.json + [UInt8(ascii: "\n")] }
            var body = Array("{\"records\":[".utf8)
            for (index, record) in records.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                body += record.json
            }
            return body + Array("],\"missing\":[\(missing.map(String.init).joined(separator: ","))]}\n".utf8)
        case .xml:
            return records.flatMap { $0.xml + [UInt8(ascii: "\n")] }
        case .text:
            return Array(try records.map { RecordText.render(try $0.record, isCurrent: $0.isCurrent, versions: $0.versions) + "\n" }.joined(separator: "\n").utf8)
        case .medline, .ris, .bibtex, .cslJSON:
            let citation = CitationFormat(rawValue: format.rawValue)!
            return Array(citation.render(try records.map { try $0.record }).utf8)
        }
    }

    /// `GET /api/changes?since=SEQ`: every record current and every deletion made after change
    /// `SEQ` (all current records without it), one JSON line each, then
    /// `{"highWaterMark":N}`, the `since` of the next call; streamed as it is read (`ChangeFeed`).
    func changes(_ parameters: EParameters) -> Result<ChangeFeed, Failure> {
        var since: Int64?
        if let text = parameters["since"] {
            guard let value = Int64(text), value >= 0 else {
                return .failure(Failure(status: 400, code: "request.bad-parameter", message: "Invalid since '\(text)': a change number, 0 or more"))
            }
            since = value
        }
        guard pool.beginFeed() else {
            return .failure(Failure(status: 503, code: "server.busy",
                                    message: "\(pool.feedLimit) change feed\(pool.feedLimit == 1 ? " is" : "s are") running, as many as this server runs at once beside its queries (--readers \(pool.size)); try again later"))
        }
        return .success(ChangeFeed(pool: pool, since: since))
    }

    /// `GET /api/status`
    func status() async -> EResponse {
        await Self.answering {
            let (counts, files, path) = try await pool.read { store in (try store.counts(), try store.appliedFiles(), store.location) }
            let last = files.last
            let stamp = last.map { Markup.json(ISO8601DateFormatter().string(from: $0.appliedAt)) } ?? "null"
            return .json("{\"records\":\(counts.current),\"versions\":\(counts.versions),\"files\":\(counts.files),"
                + "\"highWaterMark\":\(counts.highWaterMark),\"lastFile\":\(last.map { Markup.json($0.name) } ?? "null"),\"lastUpdate\":\(stamp),"
                + "\"index\":\(Markup.json(URL(fileURLWithPath: path).lastPathComponent))}\n")
        }
    }

    /// `GET /health`: 200 when the index answers, 503 when it does not.
    func health() async -> EResponse {
        do {
            let counts = try await pool.read(limit: .seconds(5)) { store in try store.counts() }
            return .json("{\"status\":\"ok\",\"records\":\(counts.current)}\n")
        } catch {
            return .json("{\"status\":\"unavailable\",\"error\":\(Markup.json(String(describing: error)))}\n", status: 503)
        }
    }

    private func number(_ parameters: EParameters, _ name: String, default value: Int, within range: ClosedRange<Int>) throws -> Int {
        guard let text = parameters[name] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw Failure(status: 400, code: "request.bad-parameter", message: "Invalid \(name) '\(text)': a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
