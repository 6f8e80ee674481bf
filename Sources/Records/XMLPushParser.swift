@preconcurrency internal import CLibXML2
import PubMedSupport

/// libxml2's SAX2 push parser, set up for untrusted PubMed files and wired to a `RecordAssembler`.
///
/// Safety settings:
/// - libxml2's context as `LibXML2.pushContext` makes it: the DTD named in the DOCTYPE is never
///   fetched or read, and no entity is ever substituted except the five predefined ones and
///   character references.
/// - The SAX handler has no `externalSubset`, `resolveEntity`, `getEntity` or
///   `getParameterEntity`, so libxml2 has no way to load anything; and its `entityDecl` refuses
///   the document at the first entity declaration of an internal subset (no "billion laughs",
///   no `<!ENTITY x SYSTEM "file:///…">`).
/// - Errors go to a structured handler (the context's `serror`, and the per-thread handler while a
///   chunk is parsed, for the few errors raised without a context): libxml2 never prints.
///
/// Owns its parser context (freed in `deinit`); the context's user data points back at this
/// object, unretained. Not `Sendable`: use from one thread at a time. libxml2 manual:
/// https://gnome.pages.gitlab.gnome.org/libxml2/devhelp/libxml2-parser.html
final class XMLPushParser {
    let assembler: RecordAssembler
    private let context: xmlParserCtxtPtr
    private let fileName: String
    private var firstError: (message: String, line: Int)?
    private var failure: RecordError?

    init(fileName: String) throws(RecordError) {
        self.fileName = fileName
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = Self.startElement
        handler.endElementNs = Self.endElement
        handler.characters = Self.characters
        // The same function for all text, so that libxml2 never classes white space between
        // inline elements as ignorable (it compares these two pointers).
        handler.ignorableWhitespace = Self.characters
        handler.cdataBlock = Self.characters
        handler.reference = Self.reference
        handler.entityDecl = Self.entityDeclaration
        handler.serror = Self.structuredError
        // No user data yet: `self` is not complete. It is set below, before any byte is parsed.
        guard let context = LibXML2.pushContext(&handler) else {
            throw RecordError(kind: .xml, file: fileName, message: "libxml2 could not create a parser (out of memory?)")
        }
        self.context = context

        // Intern every known element name in the context's dictionary: libxml2 reports each
        // element name as the dictionary's pointer, so names are then recognised by pointer.
        let dictionary = context.pointee.dict
        var interned: [(UnsafePointer<UInt8>, ElementTag)] = []
        for tag in ElementTag.allCases where tag != .other {
            if let pointer = LibXML2.intern(tag.name, in: context) { interned.append((pointer, tag)) }
        }
        let names = ElementNameTable(interned: interned) { pointer in xmlDictOwns(dictionary, pointer) == 1 }
        assembler = RecordAssembler(fileName: fileName, names: names) { [context] in
            Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer(context)))
        }
        context.pointee.userData = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        xmlFreeParserCtxt(context)
    }

    /// Parses the next bytes of the document (`terminate`: they are the last). Returns the first
    /// error: libxml2's first fatal error, or the assembler's. After an error the parser is
    /// stopped and every later call returns the same error.
    func parse(_ bytes: UnsafeRawBufferPointer, terminate: Bool) -> RecordError? {
        if let failure { return failure }
        let start = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        _ = LibXML2.catchingErrors(Unmanaged.passUnretained(self).toOpaque(), Self.structuredError) {
            xmlParseChunk(context, start, Int32(bytes.count), terminate ? 1 : 0)
        }
        failure = currentFailure()
        return failure
    }

    var line: Int { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer(context))) }

    // MARK: - Private

    private func currentFailure() -> RecordError? {
        if let failure = assembler.failure { return failure }
        if let firstError {
            return RecordError(kind: .xml, file: fileName, line: firstError.line,
                               message: "XML error at line \(firstError.line): \(firstError.message)")
        }
        if context.pointee.wellFormed == 0 {
            return RecordError(kind: .xml, file: fileName, line: line, message: "the XML is not well-formed (line \(line))")
        }
        return nil
    }

    private func stop() {
        xmlStopParser(context)
    }

    private func record(_ error: xmlErrorPtr) {
        if firstError == nil { firstError = LibXML2.fatalError(error) }
    }

    @inline(__always)
    private static func with(_ pointer: UnsafeMutableRawPointer?, _ body: (XMLPushParser) -> Void) {
        guard let pointer else { return }
        Unmanaged<XMLPushParser>.fromOpaque(pointer)._withUnsafeGuaranteedRef(body)
    }

    // MARK: - SAX callbacks (C function pointers: no captures)

    private static let startElement: startElementNsSAX2Func = { user, localName, _, uri, _, _, attributeCount, _, attributes in
        with(user) { parser in
            guard let localName else { return }
            let assembler = parser.assembler
            assembler.startElement(localName, namespaced: uri != nil,
                                   attributes: XMLAttributes(pointers: UnsafePointer(attributes), count: Int(attributeCount)))
            if assembler.failure != nil { parser.stop() }
        }
    }

    private static let endElement: endElementNsSAX2Func = { user, _, _, _ in
        with(user) { parser in
            let assembler = parser.assembler
            assembler.endElement()
            if assembler.failure != nil { parser.stop() }
        }
    }

    private static let characters: charactersSAXFunc = { user, bytes, count in
        with(user) { parser in
            guard let bytes else { return }
            parser.assembler.characters(bytes, Int(count))
        }
    }

    private static let reference: referenceSAXFunc = { user, name in
        with(user) { parser in
            guard let name else { return }
            parser.assembler.unresolvedEntity(name)
        }
    }

    private static let entityDeclaration: entityDeclSAXFunc = { user, name, _, _, _, _ in
        with(user) { parser in
            let entity = name.map { String(cString: $0) } ?? "?"
            parser.assembler.fail(.entityDeclaration, "the DOCTYPE declares the entity \"\(entity)\"",
                                  then: "; files that declare entities are refused, so that no entity is ever expanded or loaded")
            parser.stop()
        }
    }

    private static let structuredError: xmlStructuredErrorFunc = { user, error in
        with(user) { parser in
            guard let error else { return }
            parser.record(error)
        }
    }
}
