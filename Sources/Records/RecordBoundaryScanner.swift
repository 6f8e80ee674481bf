import Foundation  // memchr

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

    static let less = UInt8(ascii: "<")
    static let greater = UInt8(ascii: ">")
    static let slash = UInt8(ascii: "/")
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

    /// The bytes of one `scan`: `base` points at the byte at absolute offset `from`, and they end at
    /// `end`. Positions are absolute stream offsets throughout.
    private struct Window {
        let base: UnsafePointer<UInt8>
        let from: Int
        let end: Int

        @inline(__always) func byte(_ offset: Int) -> UInt8 { base[offset - from] }

        @inline(__always) func position(of found: UnsafeMutableRawPointer) -> Int {
            from + (UnsafeRawPointer(found) - UnsafeRawPointer(base))
        }

        /// The first `byte` at or after `offset`, if there is one before the end.
        @inline(__always) func find(_ byte: UInt8, from offset: Int) -> Int? {
            memchr(base + (offset - from), Int32(byte), end - offset).map(position(of:))
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
            if TextBytes.isSpace(next) || next == RecordBoundaryScanner.greater { return .yes }
            return selfClosingAllowed && next == RecordBoundaryScanner.slash ? .yes : .no
        }
    }

    /// Scans the absolute range `from..<to`; `base` points at the byte at offset `from`. Each state
    /// has a method of its own, which returns false when the scan must stop for want of bytes.
    private mutating func run(_ base: UnsafePointer<UInt8>, from: Int, to end: Int) {
        let window = Window(base: base, from: from, end: end)
        while cursor < end {
            let goOn: Bool
            switch state {
            case .content: goOn = scanContent(window)
            case .markup(let terminator, let matched, let doctypeDepth):
                goOn = scanMarkup(window, terminator: terminator, matched: matched, doctypeDepth: doctypeDepth)
            case .doctype(let depth, let quote): goOn = scanDoctype(window, depth: depth, quote: quote)
            case .recordStartTag(let quote, let slash): goOn = scanRecordStartTag(window, quote: quote, slash: slash)
            case .recordEndTag: goOn = scanRecordEndTag(window)
            }
            if !goOn { break }
        }
        if recordStart != nil { copyRecord(window, upTo: end) }
        if cursor < end { carry = Array(UnsafeBufferPointer(start: base + (cursor - from), count: end - cursor)) }
    }

    /// Copies the record's bytes up to `limit` (absolute) into `recordBytes`. Only while a record is open.
    private mutating func copyRecord(_ window: Window, upTo limit: Int) {
        // `recordStart` is set while a record is open, which is when this is called.
        let first = max(recordStart!, copiedUpTo, window.from)
        if limit > first && copiesBytes {
            recordBytes.append(contentsOf: UnsafeBufferPointer(start: window.base + (first - window.from), count: limit - first))
        }
        copiedUpTo = max(copiedUpTo, limit)
    }

    /// The open record ends at `recordEnd` (absolute, exclusive).
    private mutating func complete(_ window: Window, at recordEnd: Int) {
        copyRecord(window, upTo: recordEnd)
        // `recordStart` is set while a record is being read, which is when this runs.
        completed.append(RawRecord(kind: recordKind, bytes: recordBytes, offset: recordStart!, length: recordEnd - recordStart!))
        recordBytes = []
        recordStart = nil
        copiedUpTo = 0
        state = .content
        cursor = recordEnd
    }

    /// Between markup: from `<` to `<` with memchr; what each `<` opens decides the next state.
    private mutating func scanContent(_ window: Window) -> Bool {
        guard let at = window.find(Self.less, from: cursor) else {
            cursor = window.end
            return true
        }
        guard at + 1 < window.end else {
            cursor = at
            return false
        }
        let next = window.byte(at + 1)
        if next == Self.slash {
            guard recordStart != nil else {
                cursor = at + 2
                return true
            }
            let pattern = recordKind == .article ? Self.articleClose : Self.bookClose
            switch window.match(pattern, at: at, delimited: true, selfClosingAllowed: false) {
            case .yes:
                state = .recordEndTag
                cursor = at + pattern.count
            case .no:
                cursor = at + 2
            case .needMore:
                cursor = at
                return false
            }
        } else if next == UInt8(ascii: "P") && recordStart == nil {
            return scanRecordOpening(window, at: at)
        } else if next == UInt8(ascii: "!") || next == UInt8(ascii: "?") {
            guard let (newState, newCursor) = Self.markupStart(at: at, doctypeDepth: -1, in: window) else {
                cursor = at
                return false
            }
            state = newState
            cursor = newCursor
        } else {
            cursor = at + 1
        }
        return true
    }

    /// `<P` outside a record: a record's start tag, or some other element.
    private mutating func scanRecordOpening(_ window: Window, at: Int) -> Bool {
        for (pattern, kind) in Self.recordOpenings {
            switch window.match(pattern, at: at, delimited: true, selfClosingAllowed: true) {
            case .yes:
                recordStart = at
                recordKind = kind
                copiedUpTo = at
                state = .recordStartTag(quote: 0, slash: false)
                cursor = at + pattern.count
                return true
            case .needMore:
                cursor = at
                return false
            case .no:
                continue
            }
        }
        cursor = at + 2
        return true
    }

    /// Inside a comment, CDATA section or processing instruction, until its terminator.
    private mutating func scanMarkup(_ window: Window, terminator: Terminator, matched: Int, doctypeDepth: Int) -> Bool {
        let pattern = terminator.bytes
        var matched = matched
        while cursor < window.end {
            let current = window.byte(cursor)
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
                return true
            }
        }
        state = .markup(terminator: terminator, matched: matched, doctypeDepth: doctypeDepth)
        return true
    }

    /// Inside `<!DOCTYPE`: quotes, the internal subset's brackets, and the comments and processing
    /// instructions it may hold, until its `>`.
    private mutating func scanDoctype(_ window: Window, depth: Int, quote: UInt8) -> Bool {
        var depth = depth, quote = quote
        while cursor < window.end {
            let current = window.byte(cursor)
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
                return true
            } else if current == Self.less && depth > 0 {
                guard let (newState, newCursor) = Self.markupStart(at: cursor, doctypeDepth: depth, in: window) else {
                    state = .doctype(depth: depth, quote: quote)
                    return false
                }
                if case .markup = newState {
                    state = newState
                    cursor = newCursor
                    return true
                }
            }
            cursor += 1
        }
        state = .doctype(depth: depth, quote: quote)
        return true
    }

    /// Inside a record's start tag, until its `>` (a self-closing record ends there).
    private mutating func scanRecordStartTag(_ window: Window, quote: UInt8, slash: Bool) -> Bool {
        var quote = quote, slash = slash
        while cursor < window.end {
            let current = window.byte(cursor)
            cursor += 1
            if quote != 0 {
                if current == quote { quote = 0 }
            } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") {
                quote = current
            } else if current == Self.greater {
                if slash { complete(window, at: cursor) } else { state = .content }
                return true
            }
            slash = quote == 0 && current == Self.slash
        }
        state = .recordStartTag(quote: quote, slash: slash)
        return true
    }

    /// Inside a record's end tag, until its `>`.
    private mutating func scanRecordEndTag(_ window: Window) -> Bool {
        guard let at = window.find(Self.greater, from: cursor) else {
            cursor = window.end
            return true
        }
        complete(window, at: at + 1)
        return true
    }

    /// What `<!` or `<?` at `offset` opens: the new state and where scanning resumes, or `nil`
    /// when more bytes are needed to tell. Inside a DOCTYPE (`doctypeDepth >= 0`) only comments
    /// and processing instructions change the state; declarations are left to the caller.
    private static func markupStart(at offset: Int, doctypeDepth: Int, in window: Window) -> (State, Int)? {
        for (pattern, terminator) in markupOpenings {
            switch window.match(pattern, at: offset, delimited: false, selfClosingAllowed: false) {
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
