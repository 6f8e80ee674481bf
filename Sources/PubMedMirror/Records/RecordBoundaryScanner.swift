import Foundation  // memchr

/// Finds each record's original bytes in the raw XML stream, from `<PubmedArticle` through
/// `</PubmedArticle>` (or `PubmedBookArticle`), exactly as they are in the file.
///
/// libxml2 cannot say reliably where in its input an element began, so this scanner reads the same
/// bytes itself, ahead of libxml2. In well-formed XML a `<` outside comments, CDATA sections,
/// processing instructions and the DOCTYPE always starts markup (text and attribute values must
/// escape it), so the scanner jumps from `<` to `<` with `memchr` and only has to step over those
/// four constructs. Records complete in document order; the parser pairs the n-th one with the
/// n-th record libxml2 reports and checks that their kinds agree.
///
/// Memory: the window holds the bytes of the record being read (or a few bytes of an undecided
/// `<…`), plus the chunk being scanned. Not thread-safe.
struct RecordBoundaryScanner {
    enum RecordKind: Equatable { case article, book }

    private enum State {
        case content
        /// Inside `<!--`, `<![CDATA[` or `<?`, until `terminator`; then back to the DOCTYPE's
        /// internal subset when `doctypeDepth >= 0`, else to content.
        case markup(terminator: Terminator, contentStart: Int, doctypeDepth: Int)
        /// Inside `<!DOCTYPE`, with the depth of `[ … ]` and the open quote, if any.
        case doctype(depth: Int, quote: UInt8)
        /// Inside a record's start tag, with the open quote, if any.
        case recordStartTag(quote: UInt8)
        /// Inside a record's end tag, before its `>`.
        case recordEndTag
    }

    private enum Terminator {
        case comment, cdata, processingInstruction

        private static let commentEnd = Array("-->".utf8)
        private static let cdataEnd = Array("]]>".utf8)
        private static let processingInstructionEnd = Array("?>".utf8)

        var bytes: [UInt8] {
            switch self {
            case .comment: Self.commentEnd
            case .cdata: Self.cdataEnd
            case .processingInstruction: Self.processingInstructionEnd
            }
        }
    }

    private var window: [UInt8] = []
    /// Absolute stream offset of `window[0]`.
    private var windowOffset = 0
    /// Absolute offset where scanning resumes.
    private var cursor = 0
    private var state = State.content
    /// Absolute offset of the `<` that opened the record being read.
    private var recordStart: Int?
    private var recordKind = RecordKind.article
    private var completed: [(kind: RecordKind, bytes: [UInt8])] = []
    private var completedHead = 0

    /// Bytes scanned so far.
    private(set) var bytesScanned = 0

    /// Whether a record has started and not yet ended.
    var isInsideRecord: Bool { recordStart != nil }

    /// Records found but not yet taken.
    var pendingCount: Int { completed.count - completedHead }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        window.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        bytesScanned += bytes.count
        window.withUnsafeBufferPointer { buffer in
            // `bytes` was not empty, so neither is the window.
            run(buffer.baseAddress!, end: windowOffset + buffer.count)
        }
        // Also keep the last few bytes: the end of a comment (`-->`) may be split between chunks.
        let end = windowOffset + window.count
        let keepFrom = min(recordStart ?? cursor, max(windowOffset, end - 8))
        let drop = keepFrom - windowOffset
        if drop > 0 {
            window.removeSubrange(0..<drop)
            windowOffset = keepFrom
        }
    }

    /// The bytes of the oldest record found and not yet taken.
    mutating func takeRecord() -> (kind: RecordKind, bytes: [UInt8])? {
        guard completedHead < completed.count else { return nil }
        let record = completed[completedHead]
        completed[completedHead].bytes = []
        completedHead += 1
        if completedHead == completed.count {
            completed.removeAll(keepingCapacity: true)
            completedHead = 0
        }
        return record
    }

    // MARK: - Private

    private static let less = UInt8(ascii: "<")
    private static let greater = UInt8(ascii: ">")
    private static let articleOpen = Array("<PubmedArticle".utf8)
    private static let bookOpen = Array("<PubmedBookArticle".utf8)
    private static let articleClose = Array("</PubmedArticle".utf8)
    private static let bookClose = Array("</PubmedBookArticle".utf8)
    private static let commentOpen = Array("<!--".utf8)
    private static let cdataOpen = Array("<![CDATA[".utf8)
    private static let doctypeOpen = Array("<!DOCTYPE".utf8)
    private static let markupOpenings: [([UInt8], Terminator?)] = [
        (Array("<?".utf8), .processingInstruction), (commentOpen, .comment), (cdataOpen, .cdata), (doctypeOpen, nil),
    ]
    private static let recordOpenings: [([UInt8], RecordKind)] = [(articleOpen, .article), (bookOpen, .book)]

    private enum Match { case yes, no, needMore }

    /// Scans from `cursor` to `end` (absolute offsets); `base` is `window[0]`.
    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private mutating func run(_ base: UnsafePointer<UInt8>, end: Int) {
        @inline(__always) func byte(_ offset: Int) -> UInt8 { base[offset - windowOffset] }
        @inline(__always) func position(of found: UnsafeMutableRawPointer) -> Int {
            windowOffset + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
        }

        /// Whether `pattern` is at `offset`, followed by a name delimiter when `delimited`.
        func match(_ pattern: [UInt8], at offset: Int, delimited: Bool, selfClosingAllowed: Bool) -> Match {
            let available = end - offset
            let compared = min(available, pattern.count)
            for index in 0..<compared where byte(offset + index) != pattern[index] { return .no }
            if compared < pattern.count { return .needMore }
            guard delimited else { return .yes }
            guard available > pattern.count else { return .needMore }
            let next = byte(offset + pattern.count)
            if TextBytes.isSpace(next) || next == Self.greater { return .yes }
            return selfClosingAllowed && next == UInt8(ascii: "/") ? .yes : .no
        }

        func complete(at endOffset: Int) {
            // `recordStart` is set whenever a record end is being looked for.
            let start = recordStart! - windowOffset
            completed.append((recordKind, Array(UnsafeBufferPointer(start: base + start, count: endOffset - windowOffset - start))))
            recordStart = nil
            state = .content
            cursor = endOffset
        }

        while cursor < end {
            switch state {
            case .content:
                guard let found = memchr(base + (cursor - windowOffset), Int32(Self.less), end - cursor) else {
                    cursor = end
                    return
                }
                let at = position(of: found)
                guard at + 1 < end else {
                    cursor = at
                    return
                }
                let next = byte(at + 1)
                if next == UInt8(ascii: "/") {
                    guard recordStart != nil else {
                        cursor = at + 2
                        continue
                    }
                    let pattern = recordKind == .article ? Self.articleClose : Self.bookClose
                    switch match(pattern, at: at, delimited: true, selfClosingAllowed: false) {
                    case .yes:
                        state = .recordEndTag
                        cursor = at + pattern.count
                    case .no: cursor = at + 2
                    case .needMore:
                        cursor = at
                        return
                    }
                } else if next == UInt8(ascii: "P") && recordStart == nil {
                    var outcome = Match.no
                    for (pattern, kind) in Self.recordOpenings {
                        outcome = match(pattern, at: at, delimited: true, selfClosingAllowed: true)
                        if outcome == .yes {
                            recordStart = at
                            recordKind = kind
                            state = .recordStartTag(quote: 0)
                            cursor = at + pattern.count
                            break
                        }
                        if outcome == .needMore { break }
                    }
                    if outcome == .needMore {
                        cursor = at
                        return
                    }
                    if outcome == .no { cursor = at + 2 }
                } else if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                    guard let (newState, newCursor) = Self.markupStart(at: at, doctypeDepth: -1, match: match) else {
                        cursor = at
                        return
                    }
                    state = newState
                    cursor = newCursor
                } else {
                    cursor = at + 1
                }

            case .markup(let terminator, let contentStart, let doctypeDepth):
                let pattern = terminator.bytes
                guard let found = memchr(base + (cursor - windowOffset), Int32(Self.greater), end - cursor) else {
                    // Keep the last bytes: they may be the start of the terminator.
                    cursor = max(cursor, end - pattern.count + 1)
                    return
                }
                let at = position(of: found)
                let first = at - (pattern.count - 1)
                var closes = first >= contentStart && first >= windowOffset
                if closes {
                    for index in 0..<(pattern.count - 1) where byte(first + index) != pattern[index] {
                        closes = false
                        break
                    }
                }
                cursor = at + 1
                if closes { state = doctypeDepth >= 0 ? .doctype(depth: doctypeDepth, quote: 0) : .content }

            case .doctype(var depth, var quote):
                while cursor < end {
                    let current = byte(cursor)
                    if quote != 0 {
                        if current == quote { quote = 0 }
                    } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") {
                        quote = current
                    } else if current == UInt8(ascii: "[") {
                        depth += 1
                    } else if current == UInt8(ascii: "]") {
                        depth = max(0, depth - 1)
                    } else if current == Self.greater && depth == 0 {
                        cursor += 1
                        state = .content
                        break
                    } else if current == Self.less && depth > 0 {
                        let result = Self.markupStart(at: cursor, doctypeDepth: depth, match: match)
                        guard let (newState, newCursor) = result else {
                            state = .doctype(depth: depth, quote: quote)
                            return
                        }
                        if case .markup = newState {
                            state = newState
                            cursor = newCursor
                            break
                        }
                    }
                    cursor += 1
                }
                if case .doctype = state { state = .doctype(depth: depth, quote: quote) }

            case .recordStartTag(var quote):
                while cursor < end {
                    let current = byte(cursor)
                    cursor += 1
                    if quote != 0 {
                        if current == quote { quote = 0 }
                    } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") {
                        quote = current
                    } else if current == Self.greater {
                        if byte(cursor - 2) == UInt8(ascii: "/") {
                            complete(at: cursor)
                        } else {
                            state = .content
                        }
                        break
                    }
                }
                if case .recordStartTag = state { state = .recordStartTag(quote: quote) }

            case .recordEndTag:
                guard let found = memchr(base + (cursor - windowOffset), Int32(Self.greater), end - cursor) else {
                    cursor = end
                    return
                }
                complete(at: position(of: found) + 1)
            }
        }
    }

    /// What `<!` or `<?` at `offset` opens: the new state and where scanning resumes, or `nil`
    /// when more bytes are needed to tell. Inside a DOCTYPE (`doctypeDepth >= 0`) only comments
    /// and processing instructions change the state; declarations are left to the caller.
    private static func markupStart(at offset: Int, doctypeDepth: Int,
                                    match: ([UInt8], Int, Bool, Bool) -> Match) -> (State, Int)? {
        for (pattern, terminator) in markupOpenings {
            switch match(pattern, offset, false, false) {
            case .needMore:
                return nil
            case .no:
                continue
            case .yes:
                if let terminator {
                    if doctypeDepth >= 0 && terminator == .cdata { continue }
                    let start = offset + pattern.count
                    return (.markup(terminator: terminator, contentStart: start, doctypeDepth: doctypeDepth), start)
                }
                if doctypeDepth >= 0 { continue }
                return (.doctype(depth: 0, quote: 0), offset + pattern.count)
            }
        }
        return (doctypeDepth >= 0 ? .doctype(depth: doctypeDepth, quote: 0) : .content, offset + 2)
    }
}
