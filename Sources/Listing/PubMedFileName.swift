/// The name of one of NCBI's PubMed files, `pubmedYYnNNNN.xml.gz`, parsed.
///
/// Only names of exactly this form (and their `.md5` companions) ever become local paths: the parser
/// accepts ASCII digits in fixed positions and nothing else, so a listing cannot smuggle in `/`, `..`
/// or control characters.
public struct PubMedFileName: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Two-digit year of the baseline cycle (`26` for `pubmed26n0001.xml.gz`).
    public let cycle: Int
    /// The file's number within the cycle (`1` for `pubmed26n0001.xml.gz`).
    public let number: Int

    public init(cycle: Int, number: Int) {
        precondition((0...99).contains(cycle) && (0...9999).contains(number))
        self.cycle = cycle
        self.number = number
    }

    /// Parses `pubmedYYnNNNN.xml.gz`; nil for any other name.
    public init?(_ name: String) {
        guard let parsed = Self.parse(name, suffix: ".xml.gz") else { return nil }
        self = parsed
    }

    /// Parses `pubmedYYnNNNN.xml.gz.md5`; nil for any other name.
    public init?(md5Name name: String) {
        guard let parsed = Self.parse(name, suffix: ".xml.gz.md5") else { return nil }
        self = parsed
    }

    /// `pubmedYYnNNNN.xml.gz`
    public var name: String {
        "pubmed" + Self.padded(cycle, 2) + "n" + Self.padded(number, 4) + ".xml.gz"
    }

    /// `pubmedYYnNNNN.xml.gz.md5`
    public var md5Name: String { name + ".md5" }

    public var description: String { name }

    /// NCBI's order: by cycle, then by number; never by number alone.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.cycle, lhs.number) < (rhs.cycle, rhs.number)
    }

    private static func parse(_ name: String, suffix: String) -> PubMedFileName? {
        let bytes = Array(name.utf8)
        let prefix = Array("pubmed".utf8)
        let suffixBytes = Array(suffix.utf8)
        // pubmed + YY + n + NNNN + suffix
        guard bytes.count == prefix.count + 2 + 1 + 4 + suffixBytes.count,
              bytes.starts(with: prefix),
              bytes.suffix(suffixBytes.count).elementsEqual(suffixBytes),
              bytes[prefix.count + 2] == UInt8(ascii: "n")
        else { return nil }
        guard let cycle = digits(bytes[prefix.count ..< prefix.count + 2]),
              let number = digits(bytes[prefix.count + 3 ..< prefix.count + 7])
        else { return nil }
        return PubMedFileName(cycle: cycle, number: number)
    }

    private static func digits(_ slice: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in slice {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
