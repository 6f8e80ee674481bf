@preconcurrency internal import CLibXML2
import Foundation
import PubMedSupport

/// libxml2's SAX2 push parser over NLM's `DescriptorRecordSet`, handing each `DescriptorRecord` to
/// `emit` as soon as it ends, so memory holds one record whatever the file's size.
///
/// Set up like the record parser (Sources/Records/XMLPushParser.swift) for a file from the network:
/// the context `LibXML2.pushContext` makes; no `externalSubset`, `resolveEntity` or `getEntity`
/// handler, so the DTD the DOCTYPE names is never fetched; a document that declares an entity is
/// refused; errors go to a structured handler, never to stderr.
///
/// Owns its parser context (freed in `deinit`); the context's user data points back at this object,
/// unretained. Not `Sendable`: one thread at a time. libxml2 manual:
/// https://gnome.pages.gitlab.gnome.org/libxml2/devhelp/libxml2-parser.html
final class DescriptorParser {
    /// The elements the parser tells apart; everything else is `.other`.
    enum Element: String, CaseIterable {
        case recordSet = "DescriptorRecordSet", record = "DescriptorRecord", descriptorUI = "DescriptorUI"
        case descriptorName = "DescriptorName", string = "String", treeNumberList = "TreeNumberList"
        case treeNumber = "TreeNumber", conceptList = "ConceptList", concept = "Concept", termList = "TermList"
        case term = "Term", activeYears = "ActiveMeSHYearList", year = "Year"
        case qualifiers = "AllowableQualifiersList", qualifier = "AllowableQualifier", qualifierReferredTo = "QualifierReferredTo"
        case qualifierName = "QualifierName", abbreviation = "Abbreviation", other = ""
    }

    /// The text fields taken from a record, by their path below `DescriptorRecordSet`.
    private enum Field {
        case ui, name, treeNumber, term, activeYear, qualifierName, qualifierAbbreviation

        static let paths: [([Element], Field)] = [
            ([.recordSet, .record, .descriptorUI], .ui),
            ([.recordSet, .record, .descriptorName, .string], .name),
            ([.recordSet, .record, .treeNumberList, .treeNumber], .treeNumber),
            ([.recordSet, .record, .conceptList, .concept, .termList, .term, .string], .term),
            ([.recordSet, .record, .activeYears, .year], .activeYear),
            ([.recordSet, .record, .qualifiers, .qualifier, .qualifierReferredTo, .qualifierName, .string], .qualifierName),
            ([.recordSet, .record, .qualifiers, .qualifier, .abbreviation], .qualifierAbbreviation),
        ]
    }

    let fileName: String
    /// Descriptors handed to `emit` so far.
    private(set) var count = 0
    /// The year in the DOCTYPE's DTD name, when it has one.
    private(set) var doctypeYear: Int?
    /// The latest `ActiveMeSHYearList/Year` of any record: the file's MeSH year when nothing else says.
    private(set) var latestActiveYear: Int?

    private let context: xmlParserCtxtPtr
    private let emit: (MeshDescriptor) throws(MeshError) -> Void
    private var interned: [(UnsafePointer<xmlChar>, Element)] = []
    private var path: [Element] = []
    private var field: Field?
    private var text: [UInt8] = []
    private var current: MeshDescriptor?
    private var firstError: (message: String, line: Int)?
    private var failure: MeshError?

    init(fileName: String, emit: @escaping (MeshDescriptor) throws(MeshError) -> Void) throws(MeshError) {
        self.fileName = fileName
        self.emit = emit
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = Self.startElement
        handler.endElementNs = Self.endElement
        handler.characters = Self.characters
        handler.ignorableWhitespace = Self.characters
        handler.cdataBlock = Self.characters
        handler.internalSubset = Self.internalSubset
        handler.entityDecl = Self.entityDeclaration
        handler.serror = Self.structuredError
        // No user data yet: `self` is not complete. It is set below, before any byte is parsed.
        guard let context = LibXML2.pushContext(&handler) else {
            throw .unreadable(file: fileName, message: "libxml2 could not create a parser (out of memory?)", cause: nil)
        }
        self.context = context
        // Element names come from the context's dictionary: known ones are then told by pointer.
        for element in Element.allCases where element != .other {
            if let pointer = LibXML2.intern(element.rawValue, in: context) { interned.append((pointer, element)) }
        }
        context.pointee.userData = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        xmlFreeParserCtxt(context)
    }

    /// Parses the next bytes (`terminate`: they are the last) and throws the first error: libxml2's
    /// first fatal one, or what `emit` threw. After an error every call throws it again.
    func parse(_ bytes: UnsafeRawBufferPointer, terminate: Bool = false) throws(MeshError) {
        if let failure { throw failure }
        let start = bytes.baseAddress?.assumingMemoryBound(to: CChar.self)
        _ = LibXML2.catchingErrors(Unmanaged.passUnretained(self).toOpaque(), Self.structuredError) {
            xmlParseChunk(context, start, Int32(bytes.count), terminate ? 1 : 0)
        }
        if failure == nil, let firstError {
            failure = .malformed(file: fileName, line: firstError.line, message: firstError.message)
        }
        if failure == nil, context.pointee.wellFormed == 0 {
            failure = .malformed(file: fileName, line: line, message: "the XML is not well-formed")
        }
        if let failure { throw failure }
    }

    /// Ends the document: the last bytes parsed, and at least one descriptor found.
    func finish() throws(MeshError) {
        try parse(UnsafeRawBufferPointer(start: nil, count: 0), terminate: true)
        guard count > 0 else {
            failure = .malformed(file: fileName, line: line, message: "the DescriptorRecordSet holds no DescriptorRecord")
            throw failure!  // set on the line above
        }
    }

    var line: Int { Int(xmlSAX2GetLineNumber(UnsafeMutableRawPointer(context))) }

    // MARK: - Private

    private func element(_ name: UnsafePointer<xmlChar>) -> Element {
        for (pointer, element) in interned where pointer == name { return element }
        // A name not from the dictionary (libxml2 does not promise that it always is): by its text.
        guard xmlDictOwns(context.pointee.dict, name) != 1 else { return .other }
        return Element(rawValue: String(cString: name)) ?? .other
    }

    private func fail(_ message: String) {
        failure = failure ?? .malformed(file: fileName, line: line, message: message)
        xmlStopParser(context)
    }

    private func start(_ element: Element) {
        if path.isEmpty && element != .recordSet {
            return fail("the root element is not DescriptorRecordSet")
        }
        path.append(element)
        if path.count == 2 && element == .record { current = MeshDescriptor(ui: "", name: "") }
        // Each allowable qualifier: its name, then its abbreviation, filled in as they come.
        if path.count == 4 && element == .qualifier && path[2] == .qualifiers { current?.qualifiers.append(MeshDescriptor.Qualifier(abbreviation: "", name: "")) }
        field = Field.paths.first { $0.0 == path }?.1
        text.removeAll(keepingCapacity: true)
    }

    private func end() {
        if let field, current != nil { take(field, String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
        field = nil
        if path.count == 2, path.last == .record, let record = current.take() {
            guard !record.ui.isEmpty, !record.name.isEmpty else {
                return fail("a DescriptorRecord ends without its DescriptorUI or DescriptorName")
            }
            count += 1
            do throws(MeshError) { try emit(record) } catch {
                failure = failure ?? error
                xmlStopParser(context)
            }
        }
        path.removeLast()
    }

    private func take(_ field: Field, _ value: String) {
        guard !value.isEmpty else { return }
        switch field {
        case .ui: current?.ui = value
        case .name: current?.name = value
        case .treeNumber: current?.treeNumbers.append(value)
        case .term: current?.entryTerms.append(value)
        case .activeYear: if let year = Int(value) { latestActiveYear = max(latestActiveYear ?? year, year) }
        case .qualifierName: if let last = current?.qualifiers.indices.last { current?.qualifiers[last].name = value }
        case .qualifierAbbreviation: if let last = current?.qualifiers.indices.last { current?.qualifiers[last].abbreviation = value.lowercased() }
        }
    }

    private func record(_ error: xmlErrorPtr) {
        if firstError == nil { firstError = LibXML2.fatalError(error) }
    }

    @inline(__always)
    private static func with(_ pointer: UnsafeMutableRawPointer?, _ body: (DescriptorParser) -> Void) {
        guard let pointer else { return }
        Unmanaged<DescriptorParser>.fromOpaque(pointer)._withUnsafeGuaranteedRef(body)
    }

    // MARK: - SAX callbacks (C function pointers: no captures)

    private static let startElement: startElementNsSAX2Func = { user, localName, _, _, _, _, _, _, _ in
        with(user) { parser in
            guard let localName, parser.failure == nil else { return }
            parser.start(parser.element(localName))
        }
    }

    private static let endElement: endElementNsSAX2Func = { user, _, _, _ in
        with(user) { parser in
            guard parser.failure == nil, !parser.path.isEmpty else { return }
            parser.end()
        }
    }

    private static let characters: charactersSAXFunc = { user, bytes, count in
        with(user) { parser in
            guard let bytes, parser.field != nil else { return }
            parser.text.append(contentsOf: UnsafeBufferPointer(start: bytes, count: Int(count)))
        }
    }

    private static let internalSubset: internalSubsetSAXFunc = { user, _, _, systemID in
        with(user) { parser in
            guard let systemID else { return }
            parser.doctypeYear = MeshYear.fromSystemID(String(cString: systemID))
        }
    }

    private static let entityDeclaration: entityDeclSAXFunc = { user, name, _, _, _, _ in
        with(user) { parser in
            let entity = name.map { String(cString: $0) } ?? "?"
            parser.fail("the DOCTYPE declares the entity \"\(entity)\"; files that declare entities are refused")
        }
    }

    private static let structuredError: xmlStructuredErrorFunc = { user, error in
        with(user) { parser in
            guard let error else { return }
            parser.record(error)
        }
    }
}
