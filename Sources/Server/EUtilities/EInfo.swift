import Foundation
import PubMedMirror

/// einfo.fcgi (the databases, or PubMed's record count, last update and searchable fields) and
/// epost.fcgi (PMIDs into the history).
extension EUtilities {
    func einfo(_ parameters: EParameters) async throws -> EResponse {
        let json = parameters["retmode"]?.lowercased() == "json"
        guard parameters["db"] != nil else {
            return json
                ? .json("{\"header\":{\"type\":\"einfo\",\"version\":\"0.3\"},\"einforesult\":{\"dblist\":[\"pubmed\"]}}\n")
                : .xml(Doctype.eInfo + "<eInfoResult>\n<DbList>\n\t<DbName>pubmed</DbName>\n</DbList>\n</eInfoResult>\n")
        }
        do {
            try requirePubMed(parameters)
        } catch {
            return json
                ? .json("{\"header\":{\"type\":\"einfo\",\"version\":\"0.3\"},\"einforesult\":{\"ERROR\":\(Markup.json(error.message))}}\n", status: 400)
                : .xml(Doctype.eInfo + "<eInfoResult>\n<ERROR>\(Markup.xml(error.message))</ERROR>\n</eInfoResult>\n", status: 400)
        }
        let (counts, last) = try await pool.read { store in (try store.counts(), try store.appliedFiles().last) }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy/MM/dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let update = last.map { formatter.string(from: $0.appliedAt) } ?? ""
        let build = last.map { "Build-" + $0.name.replacingOccurrences(of: ".xml.gz", with: "") } ?? ""
        let description = "PubMed bibliographic record (pubmed-mirror)"
        if json {
            let fields = Self.fields.map { field in
                "{\"name\":\"\(field.name)\",\"fullname\":\(Markup.json(field.field.displayName)),\"description\":\(Markup.json(field.description)),"
                    + "\"termcount\":\"0\",\"isdate\":\"\(field.field.kind == .date ? "Y" : "N")\",\"isnumerical\":\"\(field.numerical ? "Y" : "N")\","
                    + "\"singletoken\":\"\(field.field.kind == .words ? "N" : "Y")\",\"hierarchy\":\"\(field.hierarchy ? "Y" : "N")\",\"ishidden\":\"N\"}"
            }
            return .json("{\"header\":{\"type\":\"einfo\",\"version\":\"0.3\"},\"einforesult\":{\"dbinfo\":[{\"dbname\":\"pubmed\",\"menuname\":\"PubMed\","
                + "\"description\":\(Markup.json(description)),\"dbbuild\":\(Markup.json(build)),\"count\":\"\(counts.current)\","
                + "\"lastupdate\":\(Markup.json(update)),\"fieldlist\":[\(fields.joined(separator: ","))],\"linklist\":[]}]}}\n")
        }
        var xml = Doctype.eInfo + "<eInfoResult>\n<DbInfo>\n\t<DbName>pubmed</DbName>\n\t<MenuName>PubMed</MenuName>\n"
        xml += "\t<Description>\(Markup.xml(description))</Description>\n\t<DbBuild>\(Markup.xml(build))</DbBuild>\n"
        xml += "\t<Count>\(counts.current)</Count>\n\t<LastUpdate>\(update)</LastUpdate>\n\t<FieldList>\n"
        for field in Self.fields {
            xml += "\t\t<Field>\n\t\t\t<Name>\(field.name)</Name>\n\t\t\t<FullName>\(Markup.xml(field.field.displayName))</FullName>\n"
            xml += "\t\t\t<Description>\(Markup.xml(field.description))</Description>\n\t\t\t<TermCount>0</TermCount>\n"
            xml += "\t\t\t<IsDate>\(field.field.kind == .date ? "Y" : "N")</IsDate>\n\t\t\t<IsNumerical>\(field.numerical ? "Y" : "N")</IsNumerical>\n"
            xml += "\t\t\t<SingleToken>\(field.field.kind == .words ? "N" : "Y")</SingleToken>\n\t\t\t<Hierarchy>\(field.hierarchy ? "Y" : "N")</Hierarchy>\n"
            xml += "\t\t\t<IsHidden>N</IsHidden>\n\t\t</Field>\n"
        }
        return .xml(xml + "\t</FieldList>\n\t<LinkList>\n\t</LinkList>\n</DbInfo>\n</eInfoResult>\n")
    }

    /// The searchable fields, by NCBI's einfo names.
    static let fields: [(name: String, field: QueryField, description: String, numerical: Bool, hierarchy: Bool)] = [
        ("ALL", .allFields, "All terms from all searchable fields", false, false),
        ("UID", .pmid, "Unique number assigned to publication", true, false),
        ("FILT", .subset, "Limits the records", false, false),
        ("TITL", .title, "Words in title of publication", false, false),
        ("TIAB", .titleAbstract, "Free text associated with Abstract/Title", false, false),
        ("WORD", .textWord, "Free text associated with publication", false, false),
        ("MESH", .mesh, "Medical Subject Headings assigned to publication", false, true),
        ("MAJR", .meshMajor, "MeSH terms of major importance to publication", false, true),
        ("SUBH", .subheading, "Additional specificity for MeSH term", false, true),
        ("AUTH", .author, "Author(s) of publication", false, false),
        ("FULL", .fullAuthor, "Full Author Name(s) of publication", false, false),
        ("FAUT", .firstAuthor, "First Author of publication", false, false),
        ("LAUT", .lastAuthor, "Last Author of publication", false, false),
        ("INVR", .investigator, "Investigator", false, false),
        ("FINV", .fullInvestigator, "Full name of investigator", false, false),
        ("COLN", .corporateAuthor, "Corporate Author of publication", false, false),
        ("AUID", .authorIdentifier, "Author Identifier", false, false),
        ("AFFL", .affiliation, "Author's institutional affiliation and address", false, false),
        ("JOUR", .journal, "Journal abbreviation of publication", false, false),
        ("JID", .nlmUniqueID, "NLM Unique ID of the journal", false, false),
        ("ISSN", .issn, "ISSN of the journal", false, false),
        ("VOL", .volume, "Volume number of publication", false, false),
        ("ISS", .issue, "Issue number of publication", false, false),
        ("PAGE", .pagination, "Page number(s) of publication", false, false),
        ("PTYP", .publicationType, "Type of publication (e.g., review)", false, true),
        ("LANG", .language, "Language of publication", false, false),
        ("OTRM", .otherTerm, "Other terms associated with publication", false, false),
        ("SUBS", .substance, "CAS chemical name or MEDLINE Substance Name", false, false),
        ("ECNO", .registryNumber, "EC number for enzyme or CAS registry number", false, false),
        ("GRNT", .grant, "NIH Grant Numbers", false, false),
        ("AID", .articleIdentifier, "Article Identifier", false, false),
        ("LID", .locationIdentifier, "ELocation ID", false, false),
        ("PDAT", .publicationDate, "Date of publication", false, false),
        ("EDAT", .entryDate, "Date publication first accessible through Entrez", false, false),
        ("CRDT", .createDate, "Date publication first accessible through Entrez", false, false),
        ("MHDA", .meshDate, "Date publication was indexed with MeSH terms", false, false),
        ("CDAT", .completionDate, "Date of completion", false, false),
        ("MDAT", .modificationDate, "Date of last modification", false, false),
    ]

    func epost(_ parameters: EParameters) async throws -> EResponse {
        do {
            try requirePubMed(parameters)
            let ids = try parameters.ids()
            guard !ids.isEmpty else { throw EUtilityError.badRequest("Empty id list - nothing todo") }
            let stored = history.store(ids, in: parameters["webenv"])
            return .xml(Doctype.ePost + "<ePostResult>\n\t<QueryKey>\(stored.queryKey)</QueryKey>\n\t<WebEnv>\(Markup.xml(stored.webEnv))</WebEnv>\n</ePostResult>\n")
        } catch let error as EUtilityError {
            return .xml(Doctype.ePost + "<ePostResult>\n\t<ERROR>\(Markup.xml(error.message))</ERROR>\n</ePostResult>\n", status: 400)
        }
    }
}
