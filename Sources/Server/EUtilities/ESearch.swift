import Foundation
import PubMedMirror

/// esearch.fcgi: a PubMed query, its count, a page of PMIDs, and its translation.
extension EUtilities {
    /// NCBI's window: PubMed's esearch gives at most the first 9,999 PMIDs of a search.
    static let searchWindow = 9_999

    func esearch(_ parameters: EParameters) async throws -> EResponse {
        let json = parameters["retmode"]?.lowercased() == "json"
        do {
            try requirePubMed(parameters)
            let request = try searchRequest(parameters)
            do {
                return try await answer(request, json: json)
            } catch IndexError.query(let error) {
                // Read, but not something the index can run (nested too deep for it).
                throw EUtilityError.badRequest("Invalid query: \(error.description)")
            }
        } catch let error as EUtilityError {
            return json
                ? .json("{\"header\":{\"type\":\"esearch\",\"version\":\"0.3\"},\"esearchresult\":{\"ERROR\":\(Markup.json(error.message))}}\n", status: 400)
                : .xml(Doctype.eSearch + "<eSearchResult><ERROR>\(Markup.xml(error.message))</ERROR></eSearchResult>\n", status: 400)
        }
    }

    /// What an esearch asks for, checked.
    struct SearchAsked: Sendable {
        /// Nil for a history set alone (`query_key` without `term`).
        var query: PubMedQuery?
        var sort: SearchSort
        var start: Int
        var count: Int
        var countOnly: Bool
        var keep: Bool
        var webEnv: String?
        /// The history set the query is limited to (`query_key` with `term`, or `#N AND …` in it).
        var within: [Int]?
        /// The query as it was written, read back (history references as `#N`).
        var translation = ""
    }

    private func searchRequest(_ parameters: EParameters) throws(EUtilityError) -> SearchAsked {
        var text = parameters["term"] ?? ""
        let webEnv = parameters["webenv"]
        let queryKey = try parameters.integer("query_key")
        if text.isEmpty && queryKey == nil { throw .badRequest("Empty term and query_key - nothing todo") }
        if let field = parameters["field"], !text.isEmpty {
            // A tag's name (`title`, `tiab`, `mesh terms`), not more query.
            guard field.count <= 40, field.allSatisfy({ $0.isLetter || $0.isNumber || " :/_-".contains($0) }) else {
                throw .badRequest("Invalid field '\(field.prefix(40))': a field tag's name, such as title or tiab")
            }
            // NCBI limits the whole term to the field: words side by side are one term of it
            // (`smith j` with field=author is `smith j[au]`, not Smith AND J); a term with its own
            // operators, groups, quotes or tags has the field given to each of its terms.
            let plain = !text.contains(where: { "()[]\"“”#".contains($0) })
                && !text.split(whereSeparator: \.isWhitespace).contains { ["AND", "OR", "NOT"].contains($0) }
            text = plain ? "\(text)[\(field)]" : "(\(text))[\(field)]"
        }
        if let range = try dateLimit(parameters) { text = text.isEmpty ? range : "(\(text)) AND \(range)" }
        // The query as it will be read, the field and dates included, in bytes.
        guard text.utf8.count <= maximumQueryLength else {
            throw .badRequest("The query is \(text.utf8.count) bytes long; this server takes at most \(maximumQueryLength)")
        }
        var within: [Int]? = if let queryKey {
            try history.ids(webEnv: try require(webEnv, "WebEnv"), queryKey: queryKey)
        } else {
            nil
        }
        var query: PubMedQuery?
        if !text.isEmpty {
            do {
                query = try PubMedQuery(parsing: text)
            } catch {
                throw .badRequest("Invalid query: \(error.description)")
            }
        }
        let translation = query?.translation ?? ""
        if let written = query, !written.historyReferences.isEmpty {
            (query, within) = try resolveHistory(written, within: within, webEnv: webEnv)
        }
        let start = try parameters.integer("retstart") ?? 0
        guard start >= 0 else { throw .badRequest("Invalid retstart value '\(start)'") }
        guard start < Self.searchWindow else {
            throw .badRequest("Search Backend failed: Exception:\n'retstart' cannot be larger than \(Self.searchWindow - 1). For PubMed, ESearch can only retrieve the first \(Self.searchWindow.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) records matching the query.")
        }
        let count = try parameters.integer("retmax") ?? 20
        guard count >= 0 else { throw .badRequest("Invalid retmax value '\(count)'") }
        return SearchAsked(query: query, sort: try sort(parameters["sort"]), start: start,
                           count: min(count, Self.searchWindow - start), countOnly: parameters["rettype"]?.lowercased() == "count",
                           keep: parameters["usehistory"]?.lowercased() == "y", webEnv: webEnv, within: within, translation: translation)
    }

    /// `#1 AND asthma`, `#1 OR #2`: each set of the WebEnv's history the query names, in its place.
    /// A set named as one of the query's top-level conjuncts limits the rest of it as `query_key`
    /// does (any size); elsewhere (inside an OR, a NOT) a set is its PMIDs, at most
    /// `restrictLimit` of them.
    private func resolveHistory(_ query: PubMedQuery, within: [Int]?, webEnv: String?) throws(EUtilityError) -> (PubMedQuery?, [Int]?) {
        let environment = try require(webEnv, "WebEnv")
        var sets: [Int: [Int]] = [:]
        for key in query.historyReferences { sets[key] = try history.ids(webEnv: environment, queryKey: key) }
        var query: PubMedQuery? = query
        var within = within
        if let (key, rest) = query?.historyConjunct, let set = sets[key] {
            within = within.map { limit in
                let allowed = Set(limit)
                return set.filter(allowed.contains)
            } ?? set
            query = rest
        }
        guard let remaining = query, !remaining.historyReferences.isEmpty else { return (query, within) }
        for key in remaining.historyReferences where (sets[key]?.count ?? 0) > restrictLimit {
            throw .badRequest("Invalid query: #\(key) holds \((sets[key] ?? []).count) PMIDs; a set of more than \(restrictLimit) can be combined only as #\(key) AND …, or with query_key")
        }
        return (remaining.resolvingHistory { key in sets[key] ?? [] }, within)
    }

    /// `datetype` with `mindate` and `maxdate`, or `reldate` (the last N days), as a date range term.
    private func dateLimit(_ parameters: EParameters) throws(EUtilityError) -> String? {
        let tag: String
        switch parameters["datetype"]?.lowercased() ?? "pdat" {
        case "pdat", "dp": tag = "dp"
        case "edat": tag = "edat"
        case "mdat", "lr": tag = "lr"
        case "cdat": tag = "dcom"
        case "crdt": tag = "crdt"
        case "mhda": tag = "mhda"
        case "dcom": tag = "dcom"
        case let other: throw .badRequest("Invalid datetype '\(other)': pdat, edat, mdat, crdt, mhda, dcom or cdat")
        }
        if let days = try parameters.integer("reldate") {
            guard days > 0 else { throw .badRequest("Invalid reldate value '\(days)'") }
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy/MM/dd"
            formatter.timeZone = TimeZone(identifier: "UTC")
            let now = Date()
            return "\(formatter.string(from: now.addingTimeInterval(-Double(days) * 86_400))):\(formatter.string(from: now))[\(tag)]"
        }
        switch (parameters["mindate"], parameters["maxdate"]) {
        case (nil, nil): return nil
        case (let minimum?, let maximum?):
            // NCBI's forms: YYYY, YYYY/MM, YYYY/MM/DD.
            for date in [minimum, maximum] where date.isEmpty || date.count > 10 || !date.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "/") }) {
                throw .badRequest("Invalid date '\(date.prefix(20))': YYYY, YYYY/MM or YYYY/MM/DD")
            }
            return "\(minimum):\(maximum)[\(tag)]"
        default: throw .badRequest("mindate and maxdate go together")
        }
    }

    /// NCBI's sort names (and the project's own): the default, NCBI's "most recent", is the most
    /// recently indexed first (NCBI's is by entry date, which the index does not sort on).
    private func sort(_ name: String?) throws(EUtilityError) -> SearchSort {
        switch name?.lowercased().replacingOccurrences(of: "+", with: " ").replacingOccurrences(of: "_", with: " ") {
        case nil, "most recent", "date desc", "recent": .recent
        case "pmid": .pmid
        case "relevance", "best match": .relevance
        case "pub date", "pubdate", "publication date": .pubDate
        case "author", "first author": .firstAuthor
        case "journalname", "journal", "journal name": .journal
        case let other?: throw .badRequest("Invalid sort value '\(other)': relevance, pub_date, first_author, journal, pmid or most+recent")
        }
    }

    private func answer(_ asked: SearchAsked, json: Bool) async throws -> EResponse {
        let (total, page, all) = try await run(asked)
        let stored = asked.keep ? history.store(all ?? [], in: asked.webEnv) : nil
        let translation = asked.translation
        // What the answer warns of: no hits, or a history set that keeps fewer PMIDs than were found
        // (a pipeline that pages through the set with efetch would otherwise stop short unawares).
        var messages: [String] = []
        if total == 0 { messages.append("No items found.") }
        if let stored, case let kept = min(all?.count ?? 0, history.limits.idsPerSet), kept < total {
            messages.append("Only the first \(kept) of the \(total) PMIDs found are kept in the history (query_key \(stored.queryKey)): this server keeps at most \(history.limits.idsPerSet) a set.")
        }
        if json {
            var fields = ["\"count\":\"\(total)\""]
            if !asked.countOnly {
                fields += ["\"retmax\":\"\(page.count)\"", "\"retstart\":\"\(asked.start)\""]
                if let stored { fields += ["\"querykey\":\"\(stored.queryKey)\"", "\"webenv\":\(Markup.json(stored.webEnv))"] }
                fields += ["\"idlist\":\(Markup.jsonStrings(page.map(String.init)))", "\"translationset\":[]", "\"querytranslation\":\(Markup.json(translation))"]
                if !messages.isEmpty {
                    fields.append("\"warninglist\":{\"phrasesignored\":[],\"quotedphrasesnotfound\":[],\"outputmessages\":\(Markup.jsonStrings(messages))}")
                }
            }
            return .json("{\"header\":{\"type\":\"esearch\",\"version\":\"0.3\"},\"esearchresult\":{\(fields.joined(separator: ","))}}\n")
        }
        var xml = Doctype.eSearch + "<eSearchResult><Count>\(total)</Count>"
        if !asked.countOnly {
            xml += "<RetMax>\(page.count)</RetMax><RetStart>\(asked.start)</RetStart>"
            if let stored { xml += "<QueryKey>\(stored.queryKey)</QueryKey><WebEnv>\(Markup.xml(stored.webEnv))</WebEnv>" }
            xml += page.isEmpty ? "<IdList/>" : "<IdList>\n" + page.map { "<Id>\($0)</Id>\n" }.joined() + "</IdList>"
            xml += "<TranslationSet/><QueryTranslation>\(Markup.xml(translation))</QueryTranslation>"
            if !messages.isEmpty { xml += "<WarningList>" + messages.map { "<OutputMessage>\(Markup.xml($0))</OutputMessage>" }.joined() + "</WarningList>" }
        }
        return .xml(xml + "</eSearchResult>\n")
    }

    /// The count, the page of PMIDs asked for, and, when the history needs them or the search is
    /// limited to a history set, every PMID (up to the history's cap).
    private func run(_ asked: SearchAsked) async throws -> (total: Int, page: [Int], all: [Int]?) {
        guard let query = asked.query else {
            // A history set alone: its PMIDs, in their order.
            let all = asked.within ?? []
            return (all.count, asked.countOnly ? [] : Array(all.dropFirst(asked.start).prefix(asked.count)), all)
        }
        let mesh = query.usesThesaurus ? try mirror.openMeshVocabulary() : nil
        let cap = history.limits.idsPerSet
        return try await pool.read { store in
            if !asked.keep && asked.within == nil {
                guard !asked.countOnly, asked.count > 0 else { return (try store.count(query, mesh: mesh), [], nil) }
                // The count and the page in one snapshot, so that they agree while a file is applied.
                let request = SearchRequest(query: query, sort: asked.sort, limit: asked.count, offset: asked.start, mesh: mesh, counting: true)
                let result = try store.search(request, withJSON: false)
                return (result.total ?? 0, result.hits.map(\.pmid), nil)
            }
            var all: [Int]
            var total: Int?
            if let within = asked.within, within.isEmpty {
                all = []
            } else if let within = asked.within, within.count <= restrictLimit {
                // A set this small is a condition of the query itself (`… AND (1[uid] OR 2[uid] …)`,
                // one condition on the codes), so only its own hits are read.
                let pmids = within.map { QueryNode.term(QueryTerm(text: String($0), field: .pmid)) }
                let restricted = PubMedQuery(root: .and(query.root, QueryNode.anyOf(pmids)), source: query.source)
                let request = SearchRequest(query: restricted, sort: asked.sort, limit: cap, offset: 0, mesh: mesh)
                all = try store.search(request, withJSON: false).hits.map(\.pmid)
            } else if let within = asked.within {
                // The query's hits in the set, in the query's order: every hit is looked at, a page
                // at a time, since the set's PMIDs may be anywhere among them (not in the first
                // `cap`); the query's time limit bounds it.
                let set = Set(within)
                all = []
                var offset = 0
                while true {
                    let request = SearchRequest(query: query, sort: asked.sort, limit: filterPage, offset: offset, mesh: mesh)
                    let hits = try store.search(request, withJSON: false).hits
                    all += hits.lazy.map(\.pmid).filter(set.contains)
                    if hits.count < filterPage || all.count >= cap { break }
                    offset += filterPage
                }
                all = Array(all.prefix(cap))
            } else {
                // Counted with the set kept, in its snapshot: the count may pass the set's cap.
                let request = SearchRequest(query: query, sort: asked.sort, limit: cap, offset: 0, mesh: mesh, counting: true)
                let result = try store.search(request, withJSON: false)
                all = result.hits.map(\.pmid)
                total = result.total ?? all.count
            }
            return (total ?? all.count, asked.countOnly ? [] : Array(all.dropFirst(asked.start).prefix(asked.count)), all)
        }
    }
}
