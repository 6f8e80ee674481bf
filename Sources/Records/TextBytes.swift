/// Byte-level helpers for the text of one element: flattening, numbers, months and years. They
/// work on UTF-8 bytes so that the parser makes no `String` until a value is final.
enum TextBytes {
    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
    }

    /// Collapses each run of XML white space to one space and drops it at both ends, in place;
    /// returns the new length. Only ASCII bytes are touched, so UTF-8 sequences stay intact.
    /// Text that needs no change (the usual case) is only read.
    static func collapseWhitespace(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let count = buffer.count
        // Fast path: single spaces between words, nothing at the ends.
        var read = 0
        var afterSpace = true  // a space here would be a leading one
        if let base = buffer.baseAddress {
            // Eight bytes at a time while they need no change (about a tenth of the parser thread's
            // time went to this loop a byte at a time); the byte loop below takes over at the first
            // word that holds a byte below 0x20 or a space after a space.
            while count - read >= 8 {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + read).loadUnaligned(as: UInt64.self))
                guard !hasByteBelowSpace(word) else { break }
                let spaces = spaceLanes(word)
                // A space lane's flag moved one byte on meets the next byte's: two spaces in a row.
                guard spaces & (spaces << 8 | (afterSpace ? 0x80 : 0)) == 0 else { break }
                afterSpace = spaces >> 63 != 0
                read += 8
            }
        }
        while read < count {
            let byte = buffer[read]
            if byte <= 0x20 && isSpace(byte) {
                if byte != 0x20 || afterSpace { break }
                afterSpace = true
            } else {
                afterSpace = false
            }
            read += 1
        }
        if read == count { return afterSpace && count > 0 ? count - 1 : count }
        // Slow path from the first change; `read > 0` means `buffer[read - 1]` is already final,
        // unless it is a space that must merge with this run.
        var write = read
        var pendingSpace = false
        if read > 0 && buffer[read - 1] == 0x20 {
            write = read - 1
            pendingSpace = true
        }
        while read < count {
            let byte = buffer[read]
            if byte <= 0x20 && isSpace(byte) {
                pendingSpace = write > 0
            } else {
                if pendingSpace {
                    buffer[write] = 0x20
                    write += 1
                    pendingSpace = false
                }
                buffer[write] = byte
                write += 1
            }
            read += 1
        }
        return write
    }

    private static let lowBits: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any of the word's eight bytes is below 0x20 (exact as a whole, though not lane by
    /// lane: a borrow from such a lane can mark the next).
    @inline(__always)
    static func hasByteBelowSpace(_ word: UInt64) -> Bool {
        (word &- lowBits &* 0x20) & ~word & highBits != 0
    }

    /// The word with each byte that is a space marked by its lane's high bit, exactly (no carry
    /// crosses a lane: each lane's low seven bits plus 0x7F stay within it).
    @inline(__always)
    static func spaceLanes(_ word: UInt64) -> UInt64 {
        let difference = word ^ (lowBits &* 0x20)
        return ~(((difference & ~highBits) &+ ~highBits) | difference) & highBits
    }

    /// The flattened text as a `String`: white space collapsed, and the ends trimmed of spaces
    /// and of no-break spaces (U+00A0, which some records carry at the end of a name). Invalid
    /// UTF-8, which libxml2 would already have refused, would become U+FFFD.
    static func flattened(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> String {
        var end = collapseWhitespace(buffer)
        var start = 0
        while true {
            if end > start && buffer[end - 1] == 0x20 {
                end -= 1
            } else if end - start >= 2 && buffer[end - 2] == 0xC2 && buffer[end - 1] == 0xA0 {
                end -= 2
            } else {
                break
            }
        }
        while true {
            if end > start && buffer[start] == 0x20 {
                start += 1
            } else if end - start >= 2 && buffer[start] == 0xC2 && buffer[start + 1] == 0xA0 {
                start += 2
            } else {
                break
            }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
    }

    static func flattened(_ bytes: inout [UInt8]) -> String {
        bytes.withUnsafeMutableBufferPointer { flattened($0) }
    }

    /// A non-negative decimal integer surrounded by optional white space; `nil` for anything else.
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count && isSpace(bytes[index]) { index += 1 }
        var end = bytes.count
        while end > index && isSpace(bytes[end - 1]) { end -= 1 }
        guard end > index, end - index <= 18 else { return nil }
        var value = 0
        for position in index..<end {
            let digit = bytes[position] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    static func integer(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { integer($0) }
    }

    /// A month from `03`, `3`, `Mar`, `mar` or `March`; `nil` when it is none of those or out of 1–12.
    static func month(_ bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBufferPointer { month($0) }
    }

    static func month(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        if let number = integer(bytes) { return (1...12).contains(number) ? number : nil }
        let letters = bytes.filter { !isSpace($0) }.prefix(3).map { $0 | 0x20 }  // ASCII lower case
        guard letters.count == 3 else { return nil }
        let key = String(decoding: letters, as: UTF8.self)
        return monthNames.firstIndex(of: key).map { $0 + 1 }
    }

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The first run of exactly four digits in `text` ("1998 Dec-1999 Jan" → 1998).
    static func firstYear(in text: String) -> Int? {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            guard bytes[index] &- 0x30 < 10 else {
                index += 1
                continue
            }
            var end = index
            while end < bytes.count && bytes[end] &- 0x30 < 10 { end += 1 }
            if end - index == 4 { return integer(Array(bytes[index..<end])) }
            index = end
        }
        return nil
    }

    /// An ORCID iD without the `https://orcid.org/` prefix or a trailing slash that some records carry.
    static func bareORCID(_ value: String) -> String {
        var bytes = Array(value.utf8)
        let marker = Array("orcid.org/".utf8)
        if bytes.count >= marker.count {
            for start in 0...(bytes.count - marker.count)
            where zip(bytes[start..<start + marker.count], marker).allSatisfy({ $0 | 0x20 == $1 }) {
                bytes.removeSubrange(0..<start + marker.count)
                break
            }
        }
        while bytes.last == UInt8(ascii: "/") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
