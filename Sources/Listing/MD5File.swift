import PubMedSupport
/// The contents of one of NCBI's `.md5` companion files: which file it is about and its digest.
///
/// NCBI writes `MD5(pubmed26n0001.xml.gz)= 2b09615f8dc1dc37a3db6bf924e439ca` and a newline (OpenSSL's
/// format). Mirrors made with other tools are accepted too: md5sum's `<hex>  <name>` or
/// `<hex> *<name>`, BSD's `MD5 (<name>) = <hex>`, and a bare `<hex>`.
public struct MD5File: Sendable, Equatable {
    /// The data file the digest is for: the name written inside the file, or the expected name when
    /// the file holds a bare digest.
    public let fileName: String
    /// 32 lower-case hexadecimal digits.
    public let digest: String

    /// NCBI's files are 60 bytes; anything this long is not an `.md5` file.
    public static let maximumByteCount = 4096

    public init(fileName: String, digest: String) {
        self.fileName = fileName
        self.digest = digest
    }

    /// Parses the bytes of `<expectedFileName>.md5`, checking that any name inside is
    /// `expectedFileName`.
    public static func parse(_ bytes: [UInt8], expectedFileName: String) throws(MD5FileError) -> MD5File {
        let md5Name = expectedFileName + ".md5"
        guard bytes.count <= maximumByteCount else {
            throw .tooLong(fileName: md5Name, byteCount: bytes.count)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .notText(fileName: md5Name)
        }
        let lines = text.utf8.split(whereSeparator: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
            .map { Substring($0) }
            .filter { !$0.allSatisfy(isBlankCharacter) }
        guard let line = lines.first else { throw .empty(fileName: md5Name) }
        guard lines.count == 1 else {
            throw .unrecognizedFormat(fileName: md5Name, excerpt: excerpt(text))
        }
        let trimmed = trimmed(line)
        guard !trimmed.utf8.contains(where: { $0 < 0x20 && $0 != UInt8(ascii: "\t") }) else {
            throw .unrecognizedFormat(fileName: md5Name, excerpt: excerpt(trimmed))
        }

        let (name, hex): (Substring?, Substring)
        if let openSSL = openSSLStyle(trimmed) {
            (name, hex) = (openSSL.name, openSSL.hex)
        } else if let md5sum = md5sumStyle(trimmed) {
            (name, hex) = (md5sum.name, md5sum.hex)
        } else {
            throw .unrecognizedFormat(fileName: md5Name, excerpt: excerpt(trimmed))
        }
        guard hex.utf8.count == 32, hex.utf8.allSatisfy(isHexDigit) else {
            throw .badDigest(fileName: md5Name, found: excerpt(hex))
        }
        if let name, name != expectedFileName {
            throw .nameMismatch(fileName: md5Name, found: excerpt(name), expected: expectedFileName)
        }
        return MD5File(fileName: name.map(String.init) ?? expectedFileName, digest: hex.lowercased())
    }

    /// `MD5(name)= hex`, with or without blanks around `=` and after `MD5` (BSD's `MD5 (name) = hex`).
    private static func openSSLStyle(_ line: Substring) -> (name: Substring, hex: Substring)? {
        guard line.utf8.count > 3, line.prefix(3).uppercased() == "MD5" else { return nil }
        let afterTag = line.dropFirst(3).drop(while: isBlankCharacter)
        guard afterTag.first == "(" else { return nil }
        // The name may itself hold `)`: the digest follows the last `)` that is followed by `=`.
        guard let close = afterTag.lastIndex(where: { $0 == ")" }) else { return nil }
        let name = afterTag[afterTag.index(after: afterTag.startIndex) ..< close]
        let afterName = afterTag[afterTag.index(after: close)...].drop(while: isBlankCharacter)
        guard afterName.first == "=" else { return nil }
        // From here on it is this format: a missing or malformed digest is a bad digest.
        guard !name.isEmpty else { return nil }
        return (name, afterName.dropFirst().drop(while: isBlankCharacter))
    }

    /// `hex  name`, `hex *name` (md5sum's text and binary modes) or a bare `hex`.
    private static func md5sumStyle(_ line: Substring) -> (name: Substring?, hex: Substring)? {
        let hex = line.prefix(while: { !isBlankCharacter($0) })
        // Only a run of hexadecimal digits is a digest here (of any length: a wrong length is
        // reported as a bad digest rather than as an unknown format).
        guard !hex.isEmpty, hex.utf8.allSatisfy(isHexDigit) else { return nil }
        let rest = line[hex.endIndex...]
        guard !rest.isEmpty else { return (nil, hex) }
        // md5sum writes exactly one space, then a space (text mode) or `*` (binary mode).
        var name = rest.dropFirst()
        if name.first == " " || name.first == "*" { name = name.dropFirst() }
        guard !name.isEmpty else { return nil }
        return (name, hex)
    }

    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !isBlankCharacter($0) }),
              let last = text.lastIndex(where: { !isBlankCharacter($0) })
        else { return "" }
        return text[first...last]
    }

    private static func isBlankCharacter(_ character: Character) -> Bool {
        character == " " || character == "\t"
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    /// Up to 80 characters of untrusted text, control characters escaped, for an error message.
    private static func excerpt<S: StringProtocol>(_ text: S) -> String {
        var result = ""
        for scalar in text.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += scalar.escaped(asASCII: true)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 80 ? result + "…" : result
    }
}

/// Why an `.md5` file could not be used. Each case names the `.md5` file.
public enum MD5FileError: CodedError, Equatable {
    case empty(fileName: String)
    case tooLong(fileName: String, byteCount: Int)
    case notText(fileName: String)
    /// Neither `MD5(name)= digest`, nor `digest  name`, nor a bare digest; `excerpt` is the start
    /// of the content, control characters escaped.
    case unrecognizedFormat(fileName: String, excerpt: String)
    case badDigest(fileName: String, found: String)
    case nameMismatch(fileName: String, found: String, expected: String)

    public var code: ErrorCode { .badMD5File }

    /// The `.md5` file concerned.
    public var fileName: String {
        switch self {
        case .empty(let name), .tooLong(let name, _), .notText(let name), .unrecognizedFormat(let name, _),
             .badDigest(let name, _), .nameMismatch(let name, _, _):
            name
        }
    }

    public var description: String {
        switch self {
        case .empty(let name):
            "\(name) is empty."
        case .tooLong(let name, let count):
            "\(name) is \(count) bytes long, more than the \(MD5File.maximumByteCount) an MD5 file may have."
        case .notText(let name):
            "\(name) is not UTF-8 text."
        case .unrecognizedFormat(let name, let excerpt):
            "\(name) holds neither \"MD5(name)= digest\" nor \"digest  name\": \"\(excerpt)\"."
        case .badDigest(let name, let found):
            "\(name) gives the digest \"\(found)\", which is not 32 hexadecimal digits."
        case .nameMismatch(let name, let found, let expected):
            "\(name) names \(found), not \(expected)."
        }
    }
}

extension ErrorCode {
    /// A published `.md5` file that cannot be used.
    public static let badMD5File = ErrorCode("server.bad-md5-file", .serverData)
}
