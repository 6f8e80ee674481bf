import Foundation

/// The parameters of one E-utilities request: the URL's query and, for a POST, its form-encoded
/// body, as NCBI takes them (a body parameter after a query one of the same name wins). Names are
/// matched without regard to case (`WebEnv`, `webenv`), values percent-decoded with `+` as a space.
struct EParameters: Sendable {
    private var values: [String: String] = [:]

    init(query: String?, body: [UInt8]? = nil) {
        if let query { add(Array(query.utf8)) }
        if let body { add(body) }
    }

    private mutating func add(_ encoded: [UInt8]) {
        for pair in encoded.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = Self.decode(parts[0]).lowercased()
            guard !name.isEmpty else { continue }
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            // `id=1&id=2` is `id=1,2`, as NCBI reads it (and the JSON API's `ids` likewise, which
            // Python's requests sends for a list); another parameter given twice keeps the last.
            if name == "id" || name == "ids", let earlier = values[name], !earlier.isEmpty, !value.isEmpty {
                values[name] = earlier + "," + value
            } else {
                values[name] = value
            }
        }
    }

    /// Gives parameter `name` the name `other` (the API's `ids` read as the E-utilities' `id`).
    mutating func rename(_ name: String, to other: String) {
        values[other.lowercased()] = values.removeValue(forKey: name.lowercased())
    }

    /// The value, trimmed; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = values[name.lowercased()]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// A whole number parameter: nil when absent; an error naming it when it is not a number.
    func integer(_ name: String) throws(EUtilityError) -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text) else { throw .badRequest("Invalid \(name) value '\(text)': a whole number is expected") }
        return value
    }

    /// `id=1,2,3` (commas, spaces or line breaks between them), in order, duplicates kept once.
    func ids() throws(EUtilityError) -> [Int] {
        guard let text = self["id"] else { return [] }
        var seen: Set<Int> = [], ids: [Int] = []
        for (position, item) in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).enumerated() {
            guard let id = Int(item), id > 0 else { throw .badRequest("Invalid uid \(item) at position=\(position)") }
            if seen.insert(id).inserted { ids.append(id) }
        }
        return ids
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.endIndex, let high = hex(bytes[index + 1]), let low = hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
