/// Builds `PubMedRecord`s from the SAX events of one PubMed XML file.
///
/// Only elements on the paths the record needs are tracked (`stack`); every other subtree is
/// skipped without looking its names up, and the text of a wanted field, inline markup included,
/// is gathered into one reused byte buffer. An element is recognised from its parent alone, so
/// `ArticleIdList` inside `Reference` or `Country` inside `Grant` never lands in the wrong field.
///
/// Knows nothing of libxml2: `XMLPushParser` calls it. Owned by one `ArticleFileParser`; not
/// thread-safe. The properties touched by every SAX event are `@exclusivity(unchecked)`: Swift's
/// dynamic exclusivity checks on them cost about a sixth of the parse time, and this object is
/// only ever used from one thread, with no overlapping accesses.
final class RecordAssembler {
    enum Item {
        case record(PubMedRecord)
        case deletion(pmid: Int, version: Int)
    }

    /// Items completed since the owner last emptied the list.
    @exclusivity(unchecked) var items: [Item] = []
    /// Set when the document breaks PubMed's rules; the XML parser must then stop.
    private(set) var failure: RecordError?
    /// Whether the root element has been seen (and was `PubmedArticleSet`).
    private(set) var sawRoot = false

    let fileName: String
    let names: ElementNameTable
    /// The current line of the document, for messages.
    let currentLine: () -> Int

    /// The elements being tracked, innermost last.
    @exclusivity(unchecked) private var stack: [ElementTag] = []
    /// Inside a skipped or captured subtree; `passiveNesting` counts the open elements below the
    /// one that started it, and `capture` says which field the text goes to, if any.
    @exclusivity(unchecked) private var passive = false
    @exclusivity(unchecked) private var passiveNesting = 0
    @exclusivity(unchecked) private var capture: Field?
    let text = TextBuffer()

    // The record being built.
    @exclusivity(unchecked) var record = PubMedRecord(pmid: 0)
    var inRecord = false
    var sawPMID = false
    var articleTitle: String?
    var bookTitle: String?
    /// Inside the book's list of editors, whose people go to `record.book`, not to the authors.
    var inEditors = false
    var startPage: String?
    var endPage: String?
    var medlinePgn: String?

    // The innermost structures being built.
    var date = DateParts()
    var author = PubMedRecord.Author()
    var otherAbstract = PubMedRecord.OtherAbstract(text: "")
    var otherSections: [PubMedRecord.AbstractSection] = []
    var chemical = PubMedRecord.Chemical(name: "")
    var comment = PubMedRecord.CommentCorrection(refType: "")
    var mesh: PubMedRecord.MeshHeading?
    var grant = PubMedRecord.Grant()
    /// Attributes of the field being captured, read at its start and used at its end.
    var pendingFirst: String?
    var pendingSecond: String?
    var pendingFlag = false
    var pendingNumber = 1

    init(fileName: String, names: ElementNameTable, currentLine: @escaping () -> Int) {
        self.fileName = fileName
        self.names = names
        self.currentLine = currentLine
        stack.reserveCapacity(32)
    }

    // MARK: - SAX events

    @inline(__always)
    func startElement(_ name: UnsafePointer<UInt8>, namespaced: Bool, attributes: XMLAttributes) {
        if passive {
            if names.isRecordName(name), !namespaced {
                fail(.invalidRecord, "a <\(String(cString: name))> element inside another element")
            }
            passiveNesting += 1
            return
        }
        let tag = namespaced ? ElementTag.other : names.tag(for: name)
        guard let parent = stack.last else { return startRoot(tag, name) }
        switch decide(tag, parent: parent, attributes: attributes) {
        case .track:
            stack.append(tag)
        case .skip:
            passive = true
            passiveNesting = 0
        case .capture(let field):
            passive = true
            passiveNesting = 0
            capture = field
            text.removeAll()
        }
    }

    @inline(__always)
    func endElement() {
        if passive {
            if passiveNesting > 0 {
                passiveNesting -= 1
                return
            }
            passive = false
            if let field = capture {
                capture = nil
                finishCapture(field)
            }
            return
        }
        guard let tag = stack.popLast() else { return }
        finish(tag)
    }

    /// The most text one field may hold: PubMed's longest (an abstract, an investigator list's
    /// affiliation) are some hundred KB. A file given to `index --file` could otherwise hold a field
    /// of gigabytes (of white space, say, which a megabyte of gzip makes), all of it in memory.
    static let maximumField = 16 << 20

    @inline(__always)
    func characters(_ bytes: UnsafePointer<UInt8>, _ count: Int) {
        guard capture != nil, count > 0 else { return }
        guard text.count + count <= Self.maximumField else {
            fail(.invalidRecord, "a field of more than \(Self.maximumField >> 20) MB of text (PubMed's longest are some hundred KB)")
            capture = nil
            return
        }
        text.append(bytes, count: count)
    }

    /// A reference to an entity that is not declared (the file's DTD is never read): its text is
    /// unknown, so the reference itself is kept, as `&name;`, rather than silently dropped.
    func unresolvedEntity(_ name: UnsafePointer<UInt8>) {
        guard capture != nil else { return }
        text.append(UInt8(ascii: "&"))
        text.append(name, count: strlenBytes(name))
        text.append(UInt8(ascii: ";"))
    }

    /// Records the first error, as "`message` at line N`detail`".
    func fail(_ kind: RecordError.Kind, _ message: String, then detail: String = "") {
        guard failure == nil else { return }
        let line = currentLine()
        failure = RecordError(kind: kind, file: fileName, line: line, message: "\(message) at line \(line)\(detail)")
    }

    // MARK: - Private

    private func startRoot(_ tag: ElementTag, _ name: UnsafePointer<UInt8>) {
        switch tag {
        case .pubmedArticleSet:
            sawRoot = true
            stack.append(tag)
        case .medlineCitationSet:
            failure = RecordError(kind: .unsupportedFormat, file: fileName, line: currentLine(),
                                  message: "unsupported format (pre-2017 MedlineCitationSet); only PubmedArticleSet files (2017 and later) can be read")
        default:
            failure = RecordError(kind: .notPubMed, file: fileName, line: currentLine(),
                                  message: "not a PubMed file: the root element is <\(String(cString: name))>, not <PubmedArticleSet>")
        }
        passive = failure != nil
    }

    private func strlenBytes(_ pointer: UnsafePointer<UInt8>) -> Int {
        var length = 0
        while pointer[length] != 0 { length += 1 }
        return length
    }
}

/// Year, month, day, season or free-text date, gathered while a date element is open.
struct DateParts {
    var year: Int?
    var month: Int?
    var day: Int?
    var season: String?
    var medlineDate: String?
    var hour: Int?
    var minute: Int?
    /// `ArticleDate@DateType`, `PubMedPubDate@PubStatus`.
    var type: String?
}
