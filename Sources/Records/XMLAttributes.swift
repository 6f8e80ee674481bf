/// The attributes of one start element as libxml2's SAX2 reports them: five pointers each
/// (local name, prefix, URI, value start, value end). Valid only during the callback.
struct XMLAttributes {
    let pointers: UnsafePointer<UnsafePointer<UInt8>?>?
    let count: Int

    /// The value of the attribute with this local name (no namespace), with its character and
    /// predefined entity references replaced.
    func value(_ name: StaticString) -> String? {
        guard let bytes = bytes(name) else { return nil }
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: Self.unescapingAmpersands(bytes), as: UTF8.self)
    }

    /// Without entity substitution libxml2 hands attribute values over with each `&` (whether
    /// written `&amp;` or `&#38;`) kept as `&#38;`, for a tree builder to re-parse. A raw `&` cannot
    /// occur in a well-formed value, so every `&#38;` here stands for one `&`.
    static func unescapingAmpersands(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let escaped = Array("&#38;".utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "&"), index + escaped.count <= bytes.count,
               bytes[index..<index + escaped.count].elementsEqual(escaped) {
                result.append(UInt8(ascii: "&"))
                index += escaped.count
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    /// `true` when the attribute's value is `Y`, `false` when it is something else, `fallback` when absent.
    func flag(_ name: StaticString, default fallback: Bool) -> Bool {
        guard let bytes = bytes(name) else { return fallback }
        return bytes.count == 1 && (bytes[0] == UInt8(ascii: "Y") || bytes[0] == UInt8(ascii: "y"))
    }

    func bytes(_ name: StaticString) -> UnsafeBufferPointer<UInt8>? {
        guard let pointers else { return nil }
        let wanted = name.utf8Start
        let length = name.utf8CodeUnitCount
        for index in 0..<count {
            guard let local = pointers[index * 5], pointers[index * 5 + 2] == nil else { continue }
            var same = true
            for offset in 0..<length where local[offset] != wanted[offset] {
                same = false
                break
            }
            guard same, local[length] == 0, let start = pointers[index * 5 + 3],
                  let end = pointers[index * 5 + 4] else { continue }
            return UnsafeBufferPointer(start: start, count: end - start)
        }
        return nil
    }
}
