import Foundation

/// One MeSH descriptor as the thesaurus keeps it: NLM's `DescriptorRecord` without what explosion,
/// term mapping and subheading abbreviations do not need (scope notes, dates, pharmacological actions).
public struct MeshDescriptor: Sendable, Equatable {
    /// `DescriptorUI`, such as `D009369`.
    public var ui: String
    /// `DescriptorName/String` of the record itself, such as `Neoplasms`: the heading.
    public var name: String
    /// `TreeNumberList/TreeNumber`, such as `C04`: where the descriptor sits in the trees. A few
    /// descriptors (check tags such as `Male`) have none.
    public var treeNumbers: [String]
    /// Every `Term/String` of every concept, the preferred term included.
    public var entryTerms: [String]
    /// `AllowableQualifiersList`: the qualifiers the descriptor takes, with their abbreviations.
    public var qualifiers: [Qualifier]

    /// A qualifier (subheading) and its two-letter `Abbreviation`, lower-cased (`dt`: drug therapy),
    /// which PubMed takes for the name in `neoplasms/dt[mh]` and `dt[sh]`.
    public struct Qualifier: Sendable, Equatable {
        public var abbreviation: String
        public var name: String

        public init(abbreviation: String, name: String) {
            self.abbreviation = abbreviation
            self.name = name
        }
    }

    public init(ui: String, name: String, treeNumbers: [String] = [], entryTerms: [String] = [], qualifiers: [Qualifier] = []) {
        self.ui = ui
        self.name = name
        self.treeNumbers = treeNumbers
        self.entryTerms = entryTerms
        self.qualifiers = qualifiers
    }
}

/// Where a MeSH year is written: NLM names the descriptor file `descYYYY.xml` (or `.gz`, `.zip`)
/// and its DOCTYPE names the DTD `nlmdescriptorrecordset_YYYY0101.dtd` (older files: `descYYYY.dtd`).
public enum MeshYear {
    /// The year in a descriptor file's name (`desc2025.gz` → 2025), or nil.
    public static func fromFileName(_ name: String) -> Int? {
        year(after: "desc", in: name)
    }

    /// The year in the DOCTYPE's system identifier, or nil.
    static func fromSystemID(_ systemID: String) -> Int? {
        year(after: "nlmdescriptorrecordset_", in: systemID) ?? year(after: "desc", in: systemID)
    }

    /// The four digits right after `prefix` (case-insensitively), when they look like a MeSH year.
    private static func year(after prefix: String, in text: String) -> Int? {
        guard let range = text.range(of: prefix, options: [.caseInsensitive, .backwards]) else { return nil }
        let digits = text[range.upperBound...].prefix(4)
        guard digits.count == 4, digits.allSatisfy(\.isASCII), let year = Int(digits), (1960...2999).contains(year) else { return nil }
        return year
    }
}
