import PubMedRecords

/// The language names `[la]` takes, so that `english[la]` finds what `eng[la]` finds, as in PubMed.
/// The index keeps the code; a name in a query becomes its codes (`LanguageName`'s table).
enum LanguageNames {
    static func name(_ code: String) -> String? { LanguageName.of(code) }

    /// The codes a `[la]` term stands for: a name's codes (Croatian is `hrv` and the older `scr`),
    /// or the term itself.
    static func codes(for term: String) -> [String] {
        let key = SearchCode.code(term)
        let codes = names.filter { SearchCode.code($0.value) == key }.map(\.key).sorted()
        return codes.isEmpty ? [key] : codes
    }

    private static var names: [String: String] { LanguageName.names }
}
