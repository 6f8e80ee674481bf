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

    /// The BCP 47 tag of `code` (what CSL and reference managers read: `en` for `eng`): the
    /// ISO 639-1 code where there is one, else the three-letter code itself (`mul`, `und`, and
    /// codes NLM may add); nil for an empty code.
    public static func tag(_ code: String) -> String? {
        let code = code.lowercased()
        guard !code.isEmpty else { return nil }
        return twoLetter[code] ?? code
    }

    /// ISO 639-1 codes of the ISO 639-2/B codes above.
    static let twoLetter: [String: String] = [
        "afr": "af", "alb": "sq", "amh": "am", "ara": "ar", "arm": "hy", "aze": "az", "ben": "bn", "bos": "bs",
        "bul": "bg", "cat": "ca", "chi": "zh", "cze": "cs", "dan": "da", "dut": "nl", "eng": "en", "epo": "eo",
        "est": "et", "fin": "fi", "fre": "fr", "geo": "ka", "ger": "de", "gla": "gd", "gre": "el", "heb": "he",
        "hin": "hi", "hrv": "hr", "hun": "hu", "ice": "is", "ind": "id", "ita": "it", "jpn": "ja", "kin": "rw",
        "kor": "ko", "lat": "la", "lav": "lv", "lit": "lt", "mac": "mk", "mal": "ml", "mao": "mi", "may": "ms",
        "nor": "no", "per": "fa", "pol": "pl", "por": "pt", "pus": "ps", "rum": "ro", "rus": "ru", "san": "sa",
        "scc": "sr", "scr": "hr", "slo": "sk", "slv": "sl", "spa": "es", "srp": "sr", "swe": "sv", "tha": "th",
        "tur": "tr", "ukr": "uk", "urd": "ur", "vie": "vi", "wel": "cy",
    ]
}
