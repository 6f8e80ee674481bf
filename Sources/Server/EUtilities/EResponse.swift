import Foundation
import PubMedMirror

/// What an E-utility answers: a status, a content type and the bytes.
struct EResponse: Sendable {
    var status: Int = 200
    var contentType: String
    var body: [UInt8]
    /// `Content-Disposition`, for a download.
    var disposition: String?
    /// `Retry-After`, in seconds, for a server too busy now.
    var retryAfter: Int?

    static let xmlType = "text/xml; charset=UTF-8"
    static let jsonType = "application/json; charset=UTF-8"
    static let textType = "text/plain; charset=UTF-8"

    static func xml(_ text: String, status: Int = 200) -> EResponse {
        EResponse(status: status, contentType: xmlType, body: Array(text.utf8))
    }

    static func json(_ text: String, status: Int = 200) -> EResponse {
        EResponse(status: status, contentType: jsonType, body: Array(text.utf8))
    }

    static func text(_ text: String, status: Int = 200) -> EResponse {
        EResponse(status: status, contentType: textType, body: Array(text.utf8))
    }
}

/// XML and JSON text, escaped.
enum Markup {
    /// Text for an XML element or attribute value.
    static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            // Characters XML 1.0 does not allow are left out.
            case "\u{9}", "\u{A}", "\u{D}": out.unicodeScalars.append(character)
            default:
                if character.value >= 0x20 && !(0xFFFE...0xFFFF).contains(character.value) { out.unicodeScalars.append(character) }
            }
        }
        return out
    }

    /// A JSON string literal, quotes included (escaped as the stored records are).
    static func json(_ text: String) -> String {
        JSONString.quoted(text)
    }

    /// A JSON array of strings.
    static func jsonStrings(_ values: [String]) -> String {
        "[" + values.map(json).joined(separator: ",") + "]"
    }
}

/// The XML declaration and DOCTYPE lines NCBI puts before each utility's answer (clients such as
/// Biopython's `Entrez.read` pick the DTD by the name in them).
enum Doctype {
    static let declaration = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
    static let eSearch = declaration + "<!DOCTYPE eSearchResult PUBLIC \"-//NLM//DTD esearch 20060628//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd\">\n"
    static let eSummary = declaration + "<!DOCTYPE eSummaryResult PUBLIC \"-//NLM//DTD esummary v1 20041029//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20041029/esummary-v1.dtd\">\n"
    static let eSummary2 = declaration + "<!DOCTYPE eSummaryResult PUBLIC \"-//NLM//DTD esummary pubmed 20250110//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20250110/esummary_pubmed.dtd\">\n"
    static let eInfo = declaration + "<!DOCTYPE eInfoResult PUBLIC \"-//NLM//DTD einfo 20190110//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20190110/einfo.dtd\">\n"
    static let ePost = declaration + "<!DOCTYPE ePostResult PUBLIC \"-//NLM//DTD epost 20090526//EN\" \"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20090526/epost.dtd\">\n"
    /// efetch's PubMed records: the declaration efetch writes (no encoding) and the DTD of the
    /// records' own release.
    static let pubmedArticleSet = "<?xml version=\"1.0\" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC \"-//NLM//DTD PubMedArticle, 1st January 2025//EN\" \"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd\">\n"
}
