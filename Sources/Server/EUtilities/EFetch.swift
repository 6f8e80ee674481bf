import Foundation
import PubMedMirror

/// efetch.fcgi: records by PMID or from the history, as the original XML (`PubmedArticleSet`, with
/// efetch's declaration and DOCTYPE), MEDLINE text, PubMed's abstract text, or a PMID list.
extension EUtilities {
    func efetch(_ parameters: EParameters) async throws -> EResponse {
        do {
            try requirePubMed(parameters)
            let ids = try requestedIDs(parameters)
            let type = parameters["rettype"]?.lowercased()
            let mode = parameters["retmode"]?.lowercased()
            return try await heavy(ids.count) { try await fetch(ids, type: type, mode: mode) }
        } catch let error as EUtilityError {
            return error.response(.xml("<eFetchResult>\n\t<ERROR>\(Markup.xml(error.message))</ERROR>\n</eFetchResult>\n"))
        }
    }

    private func fetch(_ ids: [Int], type: String?, mode: String?) async throws -> EResponse {
        switch (type, mode) {
        // For PubMed retmode decides the format (NCBI's table of rettype and retmode): XML is
        // the records' XML whatever rettype says (abstract, medline, docsum), as NCBI answers
        // `rettype=abstract&retmode=xml`, which Biopython's Entrez.read is given in many scripts.
        case (nil, nil), ("xml", _), ("full", _):
            return try await articleSet(ids)
        case (_, "xml") where type != "uilist":
            return try await articleSet(ids)
        case ("medline", _):
            let found = try await records(ids, withXML: false)
            return .text(try found.map { CitationFormat.medline.render(try $0.record.record) }.map { "\n" + $0 }.joined())
        case ("abstract", _):
            let found = try await records(ids, withXML: false)
            return .text(try found.enumerated().map { AbstractFormat.render(try $0.element.record.record, number: $0.offset + 1) }.joined(separator: "\n\n"))
        case ("uilist", "xml"):
            let found = try await records(ids, withXML: false)
            return .xml(Doctype.declaration + "<IdList>\n" + found.map { "<Id>\($0.pmid)</Id>\n" }.joined() + "</IdList>\n")
        case ("uilist", _):
            let found = try await records(ids, withXML: false)
            return .text(found.map { "\($0.pmid)\n" }.joined())
        default:
            throw EUtilityError.badRequest("Unsupported rettype '\(type ?? "")' with retmode '\(mode ?? "")' for db pubmed: xml, medline, abstract or uilist")
        }
    }

    /// The records' XML exactly as NCBI published them, in one `PubmedArticleSet`.
    private func articleSet(_ ids: [Int]) async throws -> EResponse {
        let found = try await records(ids, withXML: true)
        var body = Array((Doctype.pubmedArticleSet + "<PubmedArticleSet>\n").utf8)
        for (_, record) in found { body += record.xml }
        body += Array("</PubmedArticleSet>\n".utf8)
        return EResponse(contentType: EResponse.xmlType, body: body)
    }
}
