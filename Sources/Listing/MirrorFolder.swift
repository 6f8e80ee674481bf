/// The two folders of NCBI's PubMed tree that the mirror keeps.
public enum MirrorFolder: String, CaseIterable, Sendable, Codable, Comparable {
    case baseline
    case updatefiles

    /// All baseline files are applied before any update file.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        lhs == .baseline && rhs == .updatefiles
    }
}
