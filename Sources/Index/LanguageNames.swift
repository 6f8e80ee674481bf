/// The English names of the language codes MEDLINE uses (`Language`, ISO 639-2/B as NLM writes
/// them), so that `english[la]` finds what `eng[la]` finds, as in PubMed. The index keeps the code;
/// a name in a query becomes its codes.
enum LanguageNames {
    static func name(_ code: String) -> String? { names[code.lowercased()] }

    /// The codes a `[la]` term stands for: a name's codes (Croatian is `hrv` and the older `scr`),
    /// or the term itself.
    static func codes(for term: String) -> [String] {
        let key = SearchCode.code(term)
        let codes = names.filter { SearchCode.code($0.value) == key }.map(\.key).sorted()
        return codes.isEmpty ? [key] : codes
    }

    private static let names: [String: String] = [
        "afr": "Afrikaans", "alb": "Albanian", "amh": "Amharic", "ara": "Arabic", "arm": "Armenian",
        "aze": "Azerbaijani", "ben": "Bengali", "bos": "Bosnian", "bul": "Bulgarian", "cat": "Catalan",
        "chi": "Chinese", "cze": "Czech", "dan": "Danish", "dut": "Dutch", "eng": "English",
        "epo": "Esperanto", "est": "Estonian", "fin": "Finnish", "fre": "French", "geo": "Georgian",
        "ger": "German", "gla": "Scottish Gaelic", "gre": "Greek", "heb": "Hebrew", "hin": "Hindi",
        "hrv": "Croatian", "hun": "Hungarian", "ice": "Icelandic", "ind": "Indonesian", "ita": "Italian",
        "jpn": "Japanese", "kin": "Kinyarwanda", "kor": "Korean", "lat": "Latin", "lav": "Latvian",
        "lit": "Lithuanian", "mac": "Macedonian", "mal": "Malayalam", "mao": "Maori", "may": "Malay",
        "mul": "Multiple", "nor": "Norwegian", "per": "Persian", "pol": "Polish", "por": "Portuguese",
        "pus": "Pushto", "rum": "Romanian", "rus": "Russian", "san": "Sanskrit", "scc": "Serbian",
        "scr": "Croatian", "slo": "Slovak", "slv": "Slovenian", "spa": "Spanish", "srp": "Serbian",
        "swe": "Swedish", "tha": "Thai", "tur": "Turkish", "ukr": "Ukrainian", "und": "Undetermined",
        "urd": "Urdu", "vie": "Vietnamese", "wel": "Welsh",
    ]
}
