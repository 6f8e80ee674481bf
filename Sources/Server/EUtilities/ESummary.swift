import Foundation
import PubMedMirror

/// esummary.fcgi: document summaries, as version 1.0 XML (`DocSum` with `Item Name= Type=`) or
/// version 2.0 JSON (`result` keyed by PMID, with `uids`).
extension EUtilities {
    func esummary(_ parameters: EParameters) async throws -> EResponse {
        let json = parameters["retmode"]?.lowercased() == "json"
        do {
            try requirePubMed(parameters)
            if let version = parameters["version"], version != "1.0", version != "2.0" {
                throw EUtilityError.badRequest("Invalid version '\(version)': 1.0 or 2.0")
            }
            let ids = try requestedIDs(parameters)
            return try await heavy(ids.count) {
                let found = Dictionary(try await records(ids, withXML: false).map { ($0.pmid, $0.record) }, uniquingKeysWith: { first, _ in first })
                let summaries = try ids.map { pmid in (pmid, try found[pmid].map { DocumentSummary(try $0.record) }) }
                if json { return Self.summaryJSON(summaries) }
                return parameters["version"] == "2.0" ? Self.summaryXML2(summaries) : Self.summaryXML(summaries)
            }
        } catch let error as EUtilityError {
            return error.response(json
                ? .json("{\"header\":{\"type\":\"esummary\",\"version\":\"0.3\"},\"esummaryresult\":[\(Markup.json(error.message))]}\n")
                : .xml(Doctype.eSummary + "<eSummaryResult>\n<ERROR>\(Markup.xml(error.message))</ERROR>\n</eSummaryResult>\n"))
        }
    }

    static func summaryXML(_ summaries: [(Int, DocumentSummary?)]) -> EResponse {
        var xml = Doctype.eSummary + "<eSummaryResult>\n"
        for (pmid, summary) in summaries {
            guard let s = summary else {
                xml += "<ERROR>UID=\(pmid): cannot get document summary</ERROR>\n"
                continue
            }
            func item(_ name: String, _ type: String, _ value: String) -> String {
                "\t<Item Name=\"\(name)\" Type=\"\(type)\">\(Markup.xml(value))</Item>\n"
            }
            func list(_ name: String, _ items: [String]) -> String {
                items.isEmpty ? "\t<Item Name=\"\(name)\" Type=\"List\"></Item>\n"
                    : "\t<Item Name=\"\(name)\" Type=\"List\">\n" + items.map { "\t" + $0 }.joined() + "\t</Item>\n"
            }
            xml += "<DocSum>\n\t<Id>\(pmid)</Id>\n"
            xml += item("PubDate", "Date", s.publicationDate) + item("EPubDate", "Date", s.electronicDate) + item("Source", "String", s.source)
            xml += list("AuthorList", s.authors.map { item("Author", "String", $0) })
            xml += item("LastAuthor", "String", s.lastAuthor) + item("Title", "String", s.title)
            xml += item("Volume", "String", s.volume) + item("Issue", "String", s.issue) + item("Pages", "String", s.pages)
            xml += list("LangList", s.languages.map { item("Lang", "String", LanguageName.of($0) ?? $0) })
            xml += item("NlmUniqueID", "String", s.nlmUniqueID) + item("ISSN", "String", s.issn) + item("ESSN", "String", s.essn)
            xml += list("PubTypeList", s.publicationTypes.map { item("PubType", "String", $0) })
            xml += item("RecordStatus", "String", s.recordStatus) + item("PubStatus", "String", s.publicationStatus)
            xml += list("ArticleIds", s.articleIds.map { item($0.type, "String", $0.value) })
            // NCBI's version 1.0 DocSum has the DOI as an item of its own too, when there is one.
            if let doi = s.articleIds.first(where: { $0.type == "doi" })?.value { xml += item("DOI", "String", doi) }
            xml += list("History", s.history.map { item($0.status, "Date", $0.date) })
            xml += list("References", [])
            xml += item("HasAbstract", "Integer", s.hasAbstract ? "1" : "0") + item("PmcRefCount", "Integer", "0")
            xml += item("FullJournalName", "String", s.fullJournalName) + item("ELocationID", "String", s.electronicLocation)
            xml += item("SO", "String", s.sourceCitation)
            xml += "</DocSum>\n\n"
        }
        return .xml(xml + "</eSummaryResult>\n")
    }

    /// Version 2.0 XML (EDirect's `-format docsum` asks for it): a `DocumentSummarySet` of
    /// `DocumentSummary` elements named as the JSON keys are, in their case.
    static func summaryXML2(_ summaries: [(Int, DocumentSummary?)]) -> EResponse {
        var xml = Doctype.eSummary2 + "<eSummaryResult>\n<DocumentSummarySet status=\"OK\">\n"
        for (pmid, summary) in summaries {
            guard let s = summary else {
                xml += "<DocumentSummary uid=\"\(pmid)\"><error>cannot get document summary</error></DocumentSummary>\n"
                continue
            }
            func element(_ name: String, _ value: String) -> String {
                value.isEmpty ? "\t<\(name)/>\n" : "\t<\(name)>\(Markup.xml(value))</\(name)>\n"
            }
            func flags(_ name: String, _ values: [String]) -> String {
                values.isEmpty ? "\t<\(name)/>\n" : "\t<\(name)>\n" + values.map { "\t\t<flag>\(Markup.xml($0))</flag>\n" }.joined() + "\t</\(name)>\n"
            }
            xml += "<DocumentSummary uid=\"\(pmid)\">\n"
            xml += element("PubDate", s.publicationDate) + element("EPubDate", s.electronicDate) + element("Source", s.source)
            xml += "\t<Authors>\n" + s.authors.map { "\t\t<Author>\n\t\t\t<Name>\(Markup.xml($0))</Name>\n\t\t\t<AuthType>Author</AuthType>\n\t\t\t<ClusterID/>\n\t\t</Author>\n" }.joined() + "\t</Authors>\n"
            xml += element("LastAuthor", s.lastAuthor) + element("Title", s.title) + element("SortTitle", s.title.lowercased())
            xml += element("Volume", s.volume) + element("Issue", s.issue) + element("Pages", s.pages)
            xml += s.languages.map { element("Lang", $0) }.joined()
            xml += element("NlmUniqueID", s.nlmUniqueID) + element("ISSN", s.issn) + element("ESSN", s.essn)
            xml += flags("PubType", s.publicationTypes)
            xml += element("RecordStatus", s.recordStatus) + element("PubStatus", s.publicationStatus)
            xml += "\t<ArticleIds>\n" + s.articleIds.map { "\t\t<ArticleId>\n\t\t\t<IdType>\(Markup.xml($0.type))</IdType>\n\t\t\t<Value>\(Markup.xml($0.value))</Value>\n\t\t</ArticleId>\n" }.joined() + "\t</ArticleIds>\n"
            xml += "\t<History>\n" + s.history.map { "\t\t<PubMedPubDate>\n\t\t\t<PubStatus>\(Markup.xml($0.status))</PubStatus>\n\t\t\t<Date>\($0.date)</Date>\n\t\t</PubMedPubDate>\n" }.joined() + "\t</History>\n"
            xml += "\t<References/>\n" + flags("Attributes", s.hasAbstract ? ["Has Abstract"] : [])
            xml += element("PmcRefCount", "0") + element("FullJournalName", s.fullJournalName) + element("ELocationID", s.electronicLocation)
            xml += element("DocType", "citation") + element("SortPubDate", s.sortDate) + element("SortFirstAuthor", s.authors.first ?? "")
            xml += element("VernacularTitle", s.vernacularTitle)
            xml += "</DocumentSummary>\n"
        }
        return .xml(xml + "</DocumentSummarySet>\n</eSummaryResult>\n")
    }

    static func summaryJSON(_ summaries: [(Int, DocumentSummary?)]) -> EResponse {
        var entries: [String] = ["\"uids\":" + Markup.jsonStrings(summaries.map { String($0.0) })]
        for (pmid, summary) in summaries {
            guard let s = summary else {
                entries.append("\"\(pmid)\":{\"uid\":\"\(pmid)\",\"error\":\"cannot get document summary\"}")
                continue
            }
            var fields: [String] = []
            func string(_ key: String, _ value: String) { fields.append("\"\(key)\":" + Markup.json(value)) }
            func raw(_ key: String, _ value: String) { fields.append("\"\(key)\":" + value) }
            string("uid", String(pmid))
            string("pubdate", s.publicationDate)
            string("epubdate", s.electronicDate)
            string("source", s.source)
            let authors: [String] = s.authors.map { name in "{\"name\":" + Markup.json(name) + ",\"authtype\":\"Author\",\"clusterid\":\"\"}" }
            raw("authors", "[" + authors.joined(separator: ",") + "]")
            string("lastauthor", s.lastAuthor)
            string("title", s.title)
            string("sorttitle", s.title.lowercased())
            string("volume", s.volume)
            string("issue", s.issue)
            string("pages", s.pages)
            raw("lang", Markup.jsonStrings(s.languages))
            string("nlmuniqueid", s.nlmUniqueID)
            string("issn", s.issn)
            string("essn", s.essn)
            raw("pubtype", Markup.jsonStrings(s.publicationTypes))
            string("recordstatus", s.recordStatus)
            string("pubstatus", s.publicationStatus)
            let ids: [String] = s.articleIds.map { id in "{\"idtype\":" + Markup.json(id.type) + ",\"value\":" + Markup.json(id.value) + "}" }
            raw("articleids", "[" + ids.joined(separator: ",") + "]")
            let history: [String] = s.history.map { event in "{\"pubstatus\":" + Markup.json(event.status) + ",\"date\":" + Markup.json(event.date) + "}" }
            raw("history", "[" + history.joined(separator: ",") + "]")
            raw("references", "[]")
            raw("attributes", Markup.jsonStrings(s.hasAbstract ? ["Has Abstract"] : []))
            string("pmcrefcount", "")
            string("fulljournalname", s.fullJournalName)
            string("elocationid", s.electronicLocation)
            string("doctype", "citation")
            string("sortpubdate", s.sortDate)
            string("sortfirstauthor", s.authors.first ?? "")
            string("vernaculartitle", s.vernacularTitle)
            entries.append("\"\(pmid)\":{" + fields.joined(separator: ",") + "}")
        }
        return .json("{\"header\":{\"type\":\"esummary\",\"version\":\"0.3\"},\"result\":{" + entries.joined(separator: ",") + "}}\n")
    }
}
