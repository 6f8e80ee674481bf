@preconcurrency package import CLibXML2

/// libxml2 as every XML parser here sets it up for files from the network (Records' PubMed parser,
/// MeSH's descriptor parser): the one place that says how a push parser is made safe, and how its
/// errors are caught. libxml2 manual: https://gnome.pages.gitlab.gnome.org/libxml2/devhelp/libxml2-parser.html
package enum LibXML2 {
    /// A SAX2 push parser context over `handler`, with `XML_PARSE_NONET` and none of `NOENT`,
    /// `DTDLOAD`, `DTDATTR` or `DTDVALID`: the DTD a DOCTYPE names is never fetched or read, and no
    /// entity is substituted but XML's five and character references. The handler must leave
    /// `externalSubset`, `resolveEntity` and `getEntity` unset (so that nothing can be loaded) and
    /// should refuse the document in `entityDecl`. The caller owns the context (`xmlFreeParserCtxt`)
    /// and sets its `userData`. Nil when libxml2 cannot allocate one.
    package static func pushContext(_ handler: inout xmlSAXHandler) -> xmlParserCtxtPtr? {
        _ = initialized
        guard let context = xmlCreatePushParserCtxt(&handler, nil, nil, 0, nil) else { return nil }
        xmlCtxtUseOptions(context, Int32(bitPattern: XML_PARSE_NONET.rawValue))
        return context
    }

    /// The context dictionary's own copy of `name`: libxml2 reports element names as these
    /// pointers, so that known names can be told by pointer.
    package static func intern(_ name: String, in context: xmlParserCtxtPtr) -> UnsafePointer<xmlChar>? {
        name.withCString { text in
            text.withMemoryRebound(to: xmlChar.self, capacity: name.utf8.count + 1) { xmlDictLookup(context.pointee.dict, $0, -1) }
        }
    }

    /// Runs `body` (a call into the parser) with this thread's structured error handler set to
    /// `handler` with `userData`, then puts the previous one back: the few errors libxml2 raises
    /// without a context then reach the parser too, and libxml2 never prints.
    package static func catchingErrors<T>(_ userData: UnsafeMutableRawPointer, _ handler: xmlStructuredErrorFunc,
                                          _ body: () -> T) -> T {
        let savedHandler = __xmlStructuredError().pointee
        let savedContext = __xmlStructuredErrorContext().pointee
        xmlSetStructuredErrorFunc(userData, handler)
        defer { xmlSetStructuredErrorFunc(savedContext, savedHandler) }
        return body()
    }

    /// A fatal error's message (without its trailing new line) and line; nil for warnings and
    /// recoverable errors (an entity the unread DTD may define, an undeclared namespace prefix),
    /// which do not stop a parse.
    package static func fatalError(_ error: xmlErrorPtr) -> (message: String, line: Int)? {
        guard error.pointee.level == XML_ERR_FATAL else { return nil }
        var message = error.pointee.message.map { String(cString: $0) } ?? "error \(error.pointee.code)"
        while message.last?.isWhitespace == true { message.removeLast() }
        return (message, Int(error.pointee.line))
    }

    /// libxml2's manual asks threaded programs to call `xmlInitParser` once before parsing; a
    /// `static let` runs it exactly once, whichever thread gets here first.
    private static let initialized: Void = xmlInitParser()
}
