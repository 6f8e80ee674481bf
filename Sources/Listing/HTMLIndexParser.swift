@preconcurrency internal import CLibXML2
import Foundation

/// Parses the HTML folder index a web server generates: Apache's "fancy" index (NCBI's own format,
/// in `<pre>` or `HTMLTable` form), nginx's `autoindex` and lighttpd's `dir-listing`.
///
/// Each link becomes one entry, named from its `href` (percent-decoded) and never from the link
/// text, which Apache and nginx cut short (`pubmed25n1275.xml.g..>`). The date and size are read
/// from the text that follows the link up to the end of its line or table row. Links that are not
/// entries of this folder are skipped: sort links (`?C=N;O=D`), the parent folder, absolute paths,
/// other sites, and anything with a query or fragment.
///
/// Thread safety: every call builds its own libxml2 parser context and document and frees both
/// before returning, and no global libxml2 state is changed, so calls may run on several threads
/// at once.
public enum HTMLIndexParser {
    public static func parse(_ html: [UInt8]) -> [ListingEntry] {
        guard !html.isEmpty, html.count <= Int(Int32.max) else { return [] }
        _ = parserInitialized
        guard let context = htmlNewParserCtxt() else { return [] }
        defer { htmlFreeParserCtxt(context) }
        // libxml2 prints parse errors to stderr through these callbacks unless told otherwise. The
        // NOERROR/NOWARNING options clear them too; clearing them here keeps that true whatever
        // order libxml2 applies options in. The SAX handler belongs to this context alone.
        if let sax = context.pointee.sax {
            sax.pointee.warning = nil
            sax.pointee.error = nil
            sax.pointee.fatalError = nil
        }
        // No HTML_PARSE_NOBLANKS: a newline-only text node is what ends a row in `<pre>` listings.
        let options = Int32(bitPattern: HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
            | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_RECOVER.rawValue)
        let document = html.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                // Index pages rarely declare a charset and their hrefs are percent-encoded ASCII;
                // say UTF-8 so that link text is not read as Latin-1. Bytes that are not UTF-8
                // make libxml2 fall back to Latin-1, not fail.
                htmlCtxtReadMemory(context, characters.baseAddress, Int32(characters.count), nil, "UTF-8", options)
            }
        }
        guard let document else { return [] }
        defer { xmlFreeDoc(document) }
        return entries(in: document)
    }

    /// libxml2's manual asks multi-threaded programs to call `xmlInitParser` once before parsing;
    /// a `static let` runs it exactly once, whichever thread gets here first.
    private static let parserInitialized: Void = xmlInitParser()

    // MARK: - Walking the document

    private static func entries(in document: htmlDocPtr) -> [ListingEntry] {
        var ordered: [String] = []
        var byName: [String: ListingEntry] = [:]
        var node = document.pointee.children
        while let current = node {
            if isElement(current, "a"), let href = attribute(current, "href"),
               let entry = entry(href: href, linkText: text(inside: current),
                                 trailing: trailingText(after: current)) {
                // With `IndexOptions IconsAreLinks` Apache links the icon too: one row, two links.
                if var known = byName[entry.name] {
                    known.size = known.size ?? entry.size
                    known.modified = known.modified ?? entry.modified
                    known.isDirectory = known.isDirectory || entry.isDirectory
                    byName[entry.name] = known
                } else {
                    ordered.append(entry.name)
                    byName[entry.name] = entry
                }
            }
            node = successor(of: current, descending: true)
        }
        return ordered.compactMap { byName[$0] }
    }

    /// The next node in document order: the first child (when `descending`), else the next sibling
    /// of the node or of its nearest ancestor that has one.
    private static func successor(of node: xmlNodePtr, descending: Bool) -> xmlNodePtr? {
        if descending, node.pointee.type == XML_ELEMENT_NODE, let child = node.pointee.children { return child }
        var current = node
        while current.pointee.next == nil {
            guard let parent = current.pointee.parent, parent.pointee.type == XML_ELEMENT_NODE else { return nil }
            current = parent
        }
        return current.pointee.next
    }

    /// Elements a listing row's date and size may sit in; any other element ends the row.
    private static let cellElements: Set<String> = [
        "td", "th", "span", "font", "b", "i", "em", "strong", "code", "tt", "small", "nobr", "time", "data",
    ]

    /// The text after `anchor` that belongs to the same row: up to the end of the line (`<pre>`
    /// listings) or of the table row (`HTMLTable`, lighttpd), with a blank between cells.
    private static func trailingText(after anchor: xmlNodePtr) -> String {
        var text = ""
        var node = anchor
        var descending = false
        while text.utf8.count < 512 {
            // Find the next node, but do not climb out of the row.
            if descending, let child = node.pointee.children {
                node = child
            } else {
                var current = node
                while current.pointee.next == nil {
                    guard let parent = current.pointee.parent, let name = elementName(parent),
                          cellElements.contains(name)
                    else { return text }
                    current = parent
                    text += " "
                }
                guard let next = current.pointee.next else { return text }
                node = next
            }
            switch node.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                let content = node.pointee.content.map { String(cString: $0) } ?? ""
                // nginx ends its lines with CRLF, which Swift sees as one Character: look at bytes.
                if let lineEnd = content.utf8.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                    return text + content[..<lineEnd]
                }
                text += content
                descending = false
            case XML_ELEMENT_NODE:
                guard let name = elementName(node), cellElements.contains(name) else { return text }
                text += " "
                descending = true
            default:
                descending = false  // comments, processing instructions
            }
        }
        return text
    }

    /// The text inside `node` (a few levels deep, a few hundred bytes), for telling a "Parent
    /// Directory" link.
    private static func text(inside node: xmlNodePtr, depth: Int = 0) -> String {
        var text = ""
        var current = node.pointee.children
        while let child = current, text.utf8.count < 512 {
            if child.pointee.type == XML_TEXT_NODE, let content = child.pointee.content {
                text += String(cString: content)
            } else if child.pointee.type == XML_ELEMENT_NODE, depth < 8 {
                text += Self.text(inside: child, depth: depth + 1)
            }
            current = child.pointee.next
        }
        return text
    }

    private static func elementName(_ node: xmlNodePtr) -> String? {
        guard node.pointee.type == XML_ELEMENT_NODE, let name = node.pointee.name else { return nil }
        return String(cString: name)
    }

    private static func isElement(_ node: xmlNodePtr, _ name: String) -> Bool {
        elementName(node) == name  // libxml2's HTML parser lower-cases element names
    }

    /// An attribute's value, read from the tree without asking libxml2 for a copy to free.
    private static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
        var property = node.pointee.properties
        while let current = property {
            if let propertyName = current.pointee.name, String(cString: propertyName) == name {
                var value = ""
                var child = current.pointee.children
                while let part = child {
                    if let content = part.pointee.content { value += String(cString: content) }
                    child = part.pointee.next
                }
                return value
            }
            property = current.pointee.next
        }
        return nil
    }

    // MARK: - One row

    private static func entry(href rawHref: String, linkText: String, trailing: String) -> ListingEntry? {
        guard let (name, isDirectory) = entryName(href: rawHref),
              linkText.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() != "parent directory"
        else { return nil }
        let (modified, size) = IndexRowText.parse(trailing)
        return ListingEntry(name: name, size: size, modified: modified, isDirectory: isDirectory)
    }

    /// The entry name an href stands for, or nil if the link does not name an entry of this folder.
    static func entryName(href rawHref: String) -> (name: String, isDirectory: Bool)? {
        var href = Substring(rawHref.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !href.isEmpty, !href.contains("?"), !href.contains("#"), !href.hasPrefix("/") else { return nil }
        // A colon before any slash is a scheme (`http:`, `mailto:`). Apache writes `./a:b` for a
        // file whose name holds a colon, precisely so that it is not read as one.
        if let colon = href.firstIndex(of: ":"), href.firstIndex(of: "/").map({ colon < $0 }) ?? true {
            return nil
        }
        if href.hasPrefix("./") { href = href.dropFirst(2) }
        let isDirectory = href.hasSuffix("/")
        if isDirectory { href = href.dropLast() }
        guard !href.isEmpty, !href.contains("/"), let name = percentDecoded(href),
              !name.isEmpty, !name.contains("/"), name != ".", name != ".."
        else { return nil }
        return (name, isDirectory)
    }

    /// The name a link's target stands for: nil when a `%` is not followed by two hex digits or
    /// the bytes are not UTF-8 (Foundation's `removingPercentEncoding`, which refuses both).
    static func percentDecoded(_ text: Substring) -> String? {
        String(text).removingPercentEncoding
    }
}


/// The date and size columns that follow a link in an index row.
enum IndexRowText {
    /// Reads `2025-01-10 14:05  83M` (Apache), `16-Dec-2019 11:49  16654749` (nginx, old Apache) or
    /// `2025-Jan-10 14:05:12  82.2K` (lighttpd). Either part may be missing.
    static func parse(_ text: String) -> (RemoteTimestamp?, SizeHint?) {
        let tokens = text.unicodeScalars.split(whereSeparator: { $0.properties.isWhitespace }).map(Substring.init)
        // The date comes first, after at most a stray `/` (lighttpd writes it after folder links).
        var modified: RemoteTimestamp?
        var sizeIndex = 0
        for start in 0 ..< min(2, max(0, tokens.count - 1)) {
            if let stamp = timestamp(date: tokens[start], time: tokens[start + 1]) {
                modified = stamp
                sizeIndex = start + 2
                break
            }
        }
        let size = sizeIndex < tokens.count ? self.size(tokens[sizeIndex]) : nil
        return (modified, size)
    }

    static func timestamp(date: Substring, time: Substring) -> RemoteTimestamp? {
        guard let clock = ListingDate.clock(time) else { return nil }
        let parts = date.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let year: Int?
        let month: Int?
        let day: Int64?
        if parts[0].utf8.count == 4 {
            // 2025-01-10 (Apache) or 2025-Jan-10 (lighttpd)
            year = ListingDate.year(parts[0])
            let numericMonth = parts[1].utf8.count == 2 ? ListingDate.integer(parts[1]).map(Int.init) : nil
            month = ListingDate.month(parts[1]) ?? numericMonth
            day = parts[2].utf8.count == 2 ? ListingDate.integer(parts[2]) : nil
        } else {
            // 16-Dec-2019 (nginx, Apache 2.2 and older)
            year = ListingDate.year(parts[2])
            month = ListingDate.month(parts[1])
            day = parts[0].utf8.count <= 2 ? ListingDate.integer(parts[0]) : nil
        }
        guard let year, let month, let day,
              let seconds = ListingDate.seconds(year: year, month: month, day: Int(day),
                                                hour: clock.hour, minute: clock.minute, second: clock.second)
        else { return nil }
        return RemoteTimestamp(seconds: seconds, precision: clock.precision)
    }

    /// `16654749` → exact; `83M`, `4.0K`, `1.2G` → approximate, 1024-based as Apache, nginx and
    /// lighttpd print them, give or take one unit in the last digit shown; `-` (a folder) → nil.
    static func size(_ token: Substring) -> SizeHint? {
        if let bytes = ListingDate.integer(token) { return .exact(bytes) }
        guard let unitCharacter = token.last?.uppercased(),
              let power = ["K", "M", "G", "T", "P"].firstIndex(of: unitCharacter)
        else { return nil }
        let number = token.dropLast().split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = ListingDate.integer(number[0]) else { return nil }
        var fraction: Int64 = 0
        var scale: Int64 = 1
        if number.count == 2 {
            guard number[1].utf8.count <= 3, let digits = ListingDate.integer(number[1]) else { return nil }
            fraction = digits
            scale = (0..<number[1].utf8.count).reduce(1) { value, _ in value * 10 }
        }
        let unit = Int64(1) << (10 * (power + 1))
        // bytes = (whole + fraction / scale) × unit, rounded to the nearest byte.
        let (scaled, overflow1) = whole.multipliedReportingOverflow(by: scale)
        let (mantissa, overflow2) = scaled.addingReportingOverflow(fraction)
        let (product, overflow3) = mantissa.multipliedReportingOverflow(by: unit)
        let (rounded, overflow4) = product.addingReportingOverflow(scale / 2)
        guard !overflow1, !overflow2, !overflow3, !overflow4 else { return nil }
        let bytes = rounded / scale
        let tolerance = (unit + scale - 1) / scale
        return .approximate(bytes: bytes, tolerance: tolerance)
    }
}
