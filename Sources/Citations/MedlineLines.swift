/// MEDLINE fields being written: each `add` appends one field, wrapped as NCBI wraps it.
struct MedlineLines {
    /// The most characters of a value on one line (after the six-column tag), as in NCBI's output.
    static let width = 81
    static let indent = String(repeating: " ", count: 6)

    private(set) var text = ""

    /// Adds `tag` with `value`; nothing when the value is absent or empty.
    mutating func add(_ tag: String, _ value: String?) {
        guard let value, !value.isEmpty else { return }
        let prefix = tag.count >= 4 ? tag + "- " : tag + String(repeating: " ", count: 4 - tag.count) + "- "
        for (index, line) in Self.wrap(value).enumerated() {
            text += (index == 0 ? prefix : Self.indent) + line + "\n"
        }
    }

    /// Adds `tag` once for each value.
    mutating func add(_ tag: String, _ values: [String]) {
        for value in values { add(tag, value) }
    }

    /// `value` cut into lines of at most `width` characters at spaces; every line but the last
    /// keeps the space it was cut at, as NCBI's lines do. A word longer than a line is not cut.
    static func wrap(_ value: String) -> [String] {
        let words = value.split(separator: " ", omittingEmptySubsequences: true)
        var lines: [String] = []
        var line = ""
        for word in words {
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line + " ")
                line = String(word)
            }
        }
        lines.append(line)
        return lines
    }
}
