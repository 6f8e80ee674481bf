/// The English names of the language codes MEDLINE uses (`Language`: ISO 639-2/B as NLM writes
/// them), as PubMed shows them ("English" for `eng`).
public enum LanguageName {
    /// The name of `code`, in any case; nil for a code NLM does not use.
    public static func of(_ code: String) -> String? { names[code.lowercased()] }

    public static let names: [String: String] = [
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
