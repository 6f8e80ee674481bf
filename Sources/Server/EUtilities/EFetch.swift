import Foundation
import PubMedMirror

/// efetch.fcgi: records by PMID or from the history, as the original XML (`PubmedArticleSet`, with
/// efetch's declaration and DOCTYPE), MEDLINE text, PubMed's abstract text, or a PMID list.
extension EUtilities {
    func efetch(_ parameters: EParameters) async throws -> EResponse {
        do {
            try requirePubMed(parameters)
            let ids = try requestedIDs(parameters)
            let format = try FetchFormat(type: parameters["rettype"]?.lowercased(), mode: parameters["retmode"]?.lowercased())
            return try await heavy(ids.count) { try await fetch(ids, format) }
        } catch let error as EUtilityError {
            return error.response(.xml("<eFetchResult>\n\t<ERROR>\(Markup.xml(error.message))</ERROR>\n</eFetchResult>\n"))
        }
    }

    /// What efetch answers for PubMed, from `rettype` and `retmode` (NCBI's table of them).
    enum FetchFormat {
        case xml, medline, abstract, uilistXML, uilist

        init(type: String?, mode: String?) throws(EUtilityError) {
            switch (type, mode) {
            // For PubMed retmode decides the format: XML is the records' XML whatever rettype says
            // (abstract, medline, docsum), as NCBI answers `rettype=abstract&retmode=xml`, which
            // Biopython's Entrez.read is given in many scripts.
            case (nil, nil), ("xml", _), ("full", _): self = .xml
            case (_, "xml") where type != "uilist": self = .xml
            case ("medline", _): self = .medline
            case ("abstract", _): self = .abstract
            case ("uilist", "xml"): self = .uilistXML
            case ("uilist", _): self = .uilist
            default:
                throw .badRequest("Unsupported rettype '\(type ?? "")' with retmode '\(mode ?? "")' for db pubmed: xml, medline, abstract or uilist")
            }
        }
    }

    private func fetch(_ ids: [Int], _ format: FetchFormat) async throws -> EResponse {
        switch format {
        case .xml:
            return try await articleSet(ids)
        case .medline:
            let found = try await records(ids, withXML: false)
            return .text(try found.map { CitationFormat.medline.render(try $0.record.record) }.map { "\n" + $0 }.joined())
        case .abstract:
            let found = try await records(ids, withXML: false)
            return .text(try found.enumerated().map { AbstractFormat.render(try $0.element.record.record, number: $0.offset + 1) }.joined(separator: "\n\n"))
        case .uilistXML:
            let found = try await records(ids, withXML: false)
            return .xml(Doctype.declaration + "<IdList>\n" + found.map { "<Id>\($0.pmid)</Id>\n" }.joined() + "</IdList>\n")
        case .uilist:
            let found = try await records(ids, withXML: false)
            return .text(found.map { "\($0.pmid)\n" }.joined())
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
