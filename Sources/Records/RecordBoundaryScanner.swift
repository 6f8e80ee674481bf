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
/// Chunks are scanned where they lie; only a record's own bytes are copied (once), plus, rarely,
/// the few bytes of a `<…` cut by the end of a chunk. Memory: the record being read, and the
/// records found but not yet taken. Not thread-safe.
/// The original bytes of one record, as the scanner found them.
struct RawRecord: Sendable {
    enum Kind: Sendable, Equatable { case article, book }

    var kind: Kind
    /// Empty when the scanner was told not to copy them (`RecordBoundaryScanner.copiesBytes`).
    var bytes: [UInt8]
    /// Where the record's first byte is in the stream, and how many bytes it has.
    var offset: Int
    var length: Int
}

struct RecordBoundaryScanner {
    typealias RecordKind = RawRecord.Kind

    private enum State {
        case content
        /// Inside `<!--`, `<![CDATA[` or `<?`, with the number of bytes of its terminator seen
        /// last; then back to the DOCTYPE's internal subset when `doctypeDepth >= 0`, else to content.
        case markup(terminator: Terminator, matched: Int, doctypeDepth: Int)
        /// Inside `<!DOCTYPE`, with the depth of `[ … ]` and the open quote, if any.
        case doctype(depth: Int, quote: UInt8)
        /// Inside a record's start tag, with the open quote, if any, and whether the last byte was `/`.
        case recordStartTag(quote: UInt8, slash: Bool)
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

    /// Absolute stream offset where scanning resumes.
    private var cursor = 0
    private var state = State.content
    /// Bytes from `cursor` on that could not be classified yet (a `<…` cut by the chunk's end).
    private var carry: [UInt8] = []
    /// Absolute offset of the `<` that opened the record being read.
    private var recordStart: Int?
    private var recordKind = RecordKind.article
    /// The record's bytes seen so far, up to the absolute offset `copiedUpTo`.
    private var recordBytes: [UInt8] = []
    private var copiedUpTo = 0
    private var completed: [RawRecord] = []
    private var completedHead = 0

    /// Bytes scanned so far.
    private(set) var bytesScanned = 0

    /// Whether each record's bytes are copied out (`RawRecord.bytes`), or only found.
    var copiesBytes = true

    /// Whether a record has started and not yet ended.
    var isInsideRecord: Bool { recordStart != nil }

    /// Records found but not yet taken.
    var pendingCount: Int { completed.count - completedHead }

    mutating func scan(_ chunk: UnsafeRawBufferPointer) {
        guard let start = chunk.baseAddress, !chunk.isEmpty else { return }
        let end = bytesScanned + chunk.count
        bytesScanned = end
        if carry.isEmpty {
            run(start.assumingMemoryBound(to: UInt8.self), from: cursor, to: end)
        } else {
            var joined = carry
            joined.append(contentsOf: chunk.assumingMemoryBound(to: UInt8.self))
            carry = []
            let from = cursor
            // `joined` holds at least the chunk's bytes, so it has a base address.
            joined.withUnsafeBufferPointer { run($0.baseAddress!, from: from, to: end) }
        }
    }

    /// Every record found and not yet taken, oldest first.
    mutating func takeRecords() -> [RawRecord] {
        defer {
            completed.removeAll(keepingCapacity: true)
            completedHead = 0
        }
        return completedHead == 0 ? completed : Array(completed[completedHead...])
    }

    /// The bytes of the oldest record found and not yet taken.
    mutating func takeRecord() -> RawRecord? {
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
    private static let slash = UInt8(ascii: "/")
    private static let articleClose = Array("</PubmedArticle".utf8)
    private static let bookClose = Array("</PubmedBookArticle".utf8)
    private static let markupOpenings: [([UInt8], Terminator?)] = [
        (Array("<?".utf8), .processingInstruction), (Array("<!--".utf8), .comment),
        (Array("<![CDATA[".utf8), .cdata), (Array("<!DOCTYPE".utf8), nil),
    ]
    private static let recordOpenings: [([UInt8], RecordKind)] = [
        (Array("<PubmedArticle".utf8), .article), (Array("<PubmedBookArticle".utf8), .book),
    ]

    private enum Match { case yes, no, needMore }

    /// Scans the absolute range `from..<to`; `base` points at the byte at offset `from`.
    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private mutating func run(_ base: UnsafePointer<UInt8>, from: Int, to end: Int) {
        @inline(__always) func byte(_ offset: Int) -> UInt8 { base[offset - from] }
        @inline(__always) func position(of found: UnsafeMutableRawPointer) -> Int {
            from + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
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
            return selfClosingAllowed && next == Self.slash ? .yes : .no
        }

        /// Copies the record's bytes up to `limit` (absolute) into `recordBytes`.
        func copyRecord(upTo limit: Int) {
            // Only called while a record is open.
            let first = max(recordStart!, copiedUpTo, from)
            if limit > first && copiesBytes {
                recordBytes.append(contentsOf: UnsafeBufferPointer(start: base + (first - from), count: limit - first))
            }
            copiedUpTo = max(copiedUpTo, limit)
        }

        func complete(at recordEnd: Int) {
            copyRecord(upTo: recordEnd)
            // `recordStart` is set while a record is being read, which is when this runs.
            completed.append(RawRecord(kind: recordKind, bytes: recordBytes, offset: recordStart!, length: recordEnd - recordStart!))
            recordBytes = []
            recordStart = nil
            copiedUpTo = 0
            state = .content
            cursor = recordEnd
        }

        /// Stops at `offset` for want of bytes: they are kept for the next chunk.
        func wait(at offset: Int) {
            cursor = offset
        }

        scanning: while cursor < end {
            switch state {
            case .content:
                guard let found = memchr(base + (cursor - from), Int32(Self.less), end - cursor) else {
                    cursor = end
                    break scanning
                }
                let at = position(of: found)
                guard at + 1 < end else {
                    wait(at: at)
                    break scanning
                }
                let next = byte(at + 1)
                if next == Self.slash {
                    guard recordStart != nil else {
                        cursor = at + 2
                        continue
                    }
                    let pattern = recordKind == .article ? Self.articleClose : Self.bookClose
                    switch match(pattern, at: at, delimited: true, selfClosingAllowed: false) {
                    case .yes:
                        state = .recordEndTag
                        cursor = at + pattern.count
                    case .no:
                        cursor = at + 2
                    case .needMore:
                        wait(at: at)
                        break scanning
                    }
                } else if next == UInt8(ascii: "P") && recordStart == nil {
                    var outcome = Match.no
                    for (pattern, kind) in Self.recordOpenings {
                        outcome = match(pattern, at: at, delimited: true, selfClosingAllowed: true)
                        if outcome == .yes {
                            recordStart = at
                            recordKind = kind
                            copiedUpTo = at
                            state = .recordStartTag(quote: 0, slash: false)
                            cursor = at + pattern.count
                            break
                        }
                        if outcome == .needMore { break }
                    }
                    if outcome == .needMore {
                        wait(at: at)
                        break scanning
                    }
                    if outcome == .no { cursor = at + 2 }
                } else if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
                    guard let (newState, newCursor) = Self.markupStart(at: at, doctypeDepth: -1, match: match) else {
                        wait(at: at)
                        break scanning
                    }
                    state = newState
                    cursor = newCursor
                } else {
                    cursor = at + 1
                }

            case .markup(let terminator, var matched, let doctypeDepth):
                let pattern = terminator.bytes
                while cursor < end {
                    let current = byte(cursor)
                    cursor += 1
                    if current == pattern[matched] {
                        matched += 1
                    } else if current == pattern[0] {
                        // "--->" still ends a comment, "]]]>" a CDATA section.
                        matched = matched >= 2 && pattern[1] == pattern[0] ? 2 : 1
                    } else {
                        matched = 0
                    }
                    if matched == pattern.count {
                        state = doctypeDepth >= 0 ? .doctype(depth: doctypeDepth, quote: 0) : .content
                        continue scanning
                    }
                }
                state = .markup(terminator: terminator, matched: matched, doctypeDepth: doctypeDepth)

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
                        continue scanning
                    } else if current == Self.less && depth > 0 {
                        guard let (newState, newCursor) = Self.markupStart(at: cursor, doctypeDepth: depth, match: match) else {
                            state = .doctype(depth: depth, quote: quote)
                            wait(at: cursor)
                            break scanning
                        }
                        if case .markup = newState {
                            state = newState
                            cursor = newCursor
                            continue scanning
                        }
                    }
                    cursor += 1
                }
                state = .doctype(depth: depth, quote: quote)

            case .recordStartTag(var quote, var slash):
                while cursor < end {
                    let current = byte(cursor)
                    cursor += 1
                    if quote != 0 {
                        if current == quote { quote = 0 }
                    } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") {
                        quote = current
                    } else if current == Self.greater {
                        if slash { complete(at: cursor) } else { state = .content }
                        continue scanning
                    }
                    slash = quote == 0 && current == Self.slash
                }
                state = .recordStartTag(quote: quote, slash: slash)

            case .recordEndTag:
                guard let found = memchr(base + (cursor - from), Int32(Self.greater), end - cursor) else {
                    cursor = end
                    break scanning
                }
                complete(at: position(of: found) + 1)
            }
        }
        if recordStart != nil { copyRecord(upTo: end) }
        if cursor < end { carry = Array(UnsafeBufferPointer(start: base + (cursor - from), count: end - cursor)) }
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
                    return (.markup(terminator: terminator, matched: 0, doctypeDepth: doctypeDepth), offset + pattern.count)
                }
                if doctypeDepth >= 0 { continue }
                return (.doctype(depth: 0, quote: 0), offset + pattern.count)
            }
        }
        return (doctypeDepth >= 0 ? .doctype(depth: doctypeDepth, quote: 0) : .content, offset + 2)
    }
}
