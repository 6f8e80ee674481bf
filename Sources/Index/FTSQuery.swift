import Foundation
import PubMedQuery

/// A `PubMedQuery` as an FTS5 MATCH expression over `SearchDocument`'s columns.
///
/// Boolean steps keep PubMed's left-to-right grouping in explicit parentheses. Words become
/// quoted phrases in their field's columns (`{ti ab ot} : "heart failure"`, `"canc" *`,
/// `NEAR("gene" "therapy", 2)`); values become codes (`codes : "mh_neoplasms"`), a MeSH heading
/// with every narrower heading when a thesaurus is at hand; a date range becomes the fewest code
/// prefixes that cover it (whole years, months and days). `scored` says, phrase by phrase in the
/// order FTS5 numbers them, which ones rank (words) and which only filter (codes).
package struct FTSQuery {
    /// The query in the dialect's terms: an FTS5 MATCH expression, or another store's.
    package private(set) var match = ""
    private(set) var scored = ""
    /// Things the user should know about how the query ran (MeSH without a thesaurus).
    package private(set) var notes: [String] = []
    /// What the thesaurus made of the query, a line a heading: what `search --explain` shows.
    private(set) var explosions: [String] = []
    private let mesh: (any MeshVocabulary)?
    private let dialect: any MatchDialect

    package init(_ query: PubMedQuery, mesh: (any MeshVocabulary)?, dialect: any MatchDialect = FTS5Dialect()) throws {
        self.mesh = mesh
        self.dialect = dialect
        source = Array(query.source)
        self.query = query.source
        match = try node(query.root)
    }

    /// Groups one inside another that the expression may hold: FTS5's parser overflows its stack at
    /// about 100 (`fts5: parser stack overflow`), and a PostgreSQL condition that deep gains nothing.
    /// A chain of one operator is one group however long (`a OR b OR c …`); parentheses and
    /// operators that alternate (each groups what is left of it, as PubMed reads left to right)
    /// add one each.
    static let maximumNesting = 64
    private let query: String
    private var nesting = 0

    /// Whether any phrase ranks: a query of codes alone has no relevance to sort by.
    package var ranks: Bool { scored.contains("1") }

    private let source: [Character]

    private mutating func node(_ node: QueryNode) throws -> String {
        if case .term(let term) = node { return try self.term(term) }
        nesting += 1
        defer { nesting -= 1 }
        guard nesting <= Self.maximumNesting else {
            throw QueryError("the query nests groups more than \(Self.maximumNesting) deep (parentheses, or AND, OR and NOT alternating, "
                + "each of which groups what is left of it); write it with fewer levels", query: query, offset: 0)
        }
        switch node {
        case .term: preconditionFailure("handled above")
        case .and: return try conjunction(Self.chain(node) { if case .and(let left, let right) = $0 { (left, right) } else { nil } })
        case .or:
            var parts: [String] = []
            var pmids: [String] = []
            // PMIDs side by side in the chain (`1[uid] OR 2[uid] …`, a history set) are one
            // condition on the codes, not one each.
            func flushPMIDs() {
                if !pmids.isEmpty { parts.append(codes(pmids, prefix: false)) }
                pmids.removeAll()
            }
            for operand in Self.chain(node, { if case .or(let left, let right) = $0 { (left, right) } else { nil } }) {
                if case .term(let term) = operand, term.field == .pmid, !term.truncated {
                    pmids.append("pmid_" + SearchCode.code(term.text))
                    continue
                }
                flushPMIDs()
                parts.append(try self.node(operand))
            }
            flushPMIDs()
            return parts.count == 1 ? parts[0] : dialect.or(parts)
        case .not(let left, let right): return dialect.not(try self.node(left), try self.node(right))
        }
    }

    private mutating func term(_ term: QueryTerm) throws -> String {
        if term.field == .history {
            throw QueryError("#\(term.text) names a set of a search history, which only `serve`'s E-utilities keep (esearch with usehistory=y and its WebEnv); search the query itself here",
                             query: query, offset: term.position.lowerBound)
        }
        switch term.field.kind {
        case .words:
            let words = try self.words(term)
            // Not a truncated word: truncation turns the mapping off in PubMed.
            guard term.field == .untagged, !term.quoted, !term.truncated, let mesh, let heading = try mesh.heading(for: term.text) else { return words }
            // PubMed's automatic term mapping, the part that can be done here: an untagged term
            // that is a MeSH entry term also finds the heading's records, with its narrower ones.
            explosions.append("\"\(term.text)\" also finds \(heading)[MeSH Terms]")
            return dialect.or([words, codes(try exploded(heading, qualifier: nil).map { "mh_" + $0 }, prefix: false)])
        case .date:
            return dates(term)
        case .value:
            return try value(term)
        }
    }

    // MARK: - Automatic term mapping

    /// The operands of a chain of ANDs or of ORs, left to right (both are associative, so the chain
    /// is one step, however long: a strategy ORs hundreds of synonyms).
    private static func chain(_ node: QueryNode, _ sides: (QueryNode) -> (QueryNode, QueryNode)?) -> [QueryNode] {
        var operands: [QueryNode] = []
        var pending = [node]
        while let next = pending.popLast() {
            if let (left, right) = sides(next) {
                pending.append(right)
                pending.append(left)
            } else {
                operands.append(next)
            }
        }
        return operands
    }

    /// An AND chain; with a thesaurus, words written side by side without tags or quotes
    /// (`heart attack`) that together name a MeSH heading or entry term also find that heading, as
    /// PubMed's automatic term mapping does: `((heart AND attack) OR "myocardial infarction"[mh])`.
    private mutating func conjunction(_ operands: [QueryNode]) throws -> String {
        var parts: [String] = []
        var index = 0
        while index < operands.count {
            if mesh != nil, let (length, heading) = try mappedRun(operands, from: index) {
                var words: [String] = []
                for operand in operands[index..<index + length] {
                    guard case .term(let term) = operand else { continue }
                    words.append(try self.words(term))
                }
                let written = operands[index..<index + length].flatMap(\.terms).map(\.text).joined(separator: " ")
                explosions.append("\"\(written)\" also finds \(heading)[MeSH Terms]")
                let headings = try exploded(heading, qualifier: nil).map { "mh_" + $0 }
                parts.append(dialect.or([dialect.and(words), codes(headings, prefix: false)]))
                index += length
                continue
            }
            parts.append(try node(operands[index]))
            index += 1
        }
        return dialect.and(parts)
    }

    /// The longest run of two or more plain untagged words from `start`, written side by side, that
    /// names a MeSH heading, and the heading.
    private func mappedRun(_ operands: [QueryNode], from start: Int) throws -> (Int, String)? {
        var terms: [QueryTerm] = []
        for operand in operands[start...] {
            guard case .term(let term) = operand, term.field == .untagged, !term.quoted, !term.truncated else { break }
            if let last = terms.last, !adjacent(last, term) { break }
            terms.append(term)
        }
        guard let mesh, terms.count >= 2 else { return nil }
        for length in stride(from: terms.count, through: 2, by: -1) {
            if let heading = try mesh.heading(for: terms[0..<length].map(\.text).joined(separator: " ")) { return (length, heading) }
        }
        return nil
    }

    /// Only white space between two terms in the query.
    private func adjacent(_ first: QueryTerm, _ second: QueryTerm) -> Bool {
        let between = first.position.upperBound..<second.position.lowerBound
        return between.lowerBound <= between.upperBound && between.upperBound <= source.count
            && source[between].allSatisfy(\.isWhitespace)
    }

    // MARK: - Words

    private mutating func words(_ term: QueryTerm) throws -> String {
        let columns = Self.columns(term.field)
        if let distance = term.proximity {
            // Cut as the parser counted them for its bound, and as the tokenizers cut them.
            let words = term.words
            scored += String(repeating: "1", count: words.count)
            return try dialect.near(columns, words, distance: distance)
        }
        scored += "1"
        return dialect.phrase(columns, term.text, prefix: term.truncated)
    }

    /// The columns a words field searches.
    package static func columns(_ field: QueryField) -> [SearchDocument.Column] {
        switch field {
        case .untagged: [.title, .abstract, .keywords, .meshWords, .otherText, .authorWords, .journalWords]
        case .titleAbstract: [.title, .abstract, .keywords]
        case .title: [.title]
        case .abstract: [.abstract]
        case .textWord: [.title, .abstract, .keywords, .meshWords, .otherText, .corporateAuthor]
        case .affiliation: [.affiliation]
        case .otherTerm: [.keywords]
        case .grant: [.grant]
        case .corporateAuthor: [.corporateAuthor]
        default: SearchDocument.Column.allCases.filter { $0 != .codes }
        }
    }

    // MARK: - Values

    private mutating func value(_ term: QueryTerm) throws -> String {
        let prefix = term.truncated
        switch term.field {
        case .author, .firstAuthor, .lastAuthor, .investigator:
            let tag = [QueryField.author: "au", .firstAuthor: "au1", .lastAuthor: "aul", .investigator: "ir"][term.field]!  // the four cases
            // `smit*[au]`: every last name beginning so; otherwise the name as `[au]` writes it, its
            // initials a beginning (`smith j` finds Smith JA) unless quoted (`"smith j"[au]`: J alone),
            // as PubMed turns the author truncation off.
            let name = Self.shortName(term.text)
            let exact = term.quoted && !prefix && !name.hasSuffix("__")
            return codes([tag + "_" + (prefix && name.hasSuffix("__") ? String(name.dropLast(2)) : name)], prefix: !exact)
        case .fullAuthor, .fullInvestigator:
            let tag = term.field == .fullAuthor ? "fau" : "fir"
            // Inverted (`wong julia s`) or natural (`julia s wong`) order, as PubMed takes both.
            let readings = Self.fullNames(term.text).map { name in
                if prefix || name.hasSuffix("__") { return codes([tag + "_" + name], prefix: true) }
                return dialect.or([codes([tag + "_" + name], prefix: false), codes([tag + "_" + name + "_"], prefix: true)])
            }
            return readings.count == 1 ? readings[0] : dialect.or(readings)
        case .mesh, .meshMajor:
            let tag = term.field == .mesh ? "mh_" : "majr_"
            let parts = term.text.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let qualifier = parts.count == 2 ? SearchCode.code(try subheading(parts[1])) : nil
            // A truncated heading is a beginning, not a name to look up.
            let heading = prefix ? parts[0] : try mesh?.heading(for: parts[0]) ?? parts[0]
            let suffix = qualifier.map { "__" + $0 } ?? ""
            // The name as written is searched too when the thesaurus maps it to another: records
            // keep the names of the MeSH year they were indexed with, and a heading renamed in a
            // newer thesaurus (its old name now an entry term) is still under its old name in them
            // until the next baseline.
            let written = prefix ? [] : [SearchCode.code(parts[0]) + suffix]
            if prefix || !term.explode {
                return codes(Self.adding(written, to: [SearchCode.code(heading) + suffix]).map { tag + $0 }, prefix: prefix)
            }
            return codes(Self.adding(written, to: try exploded(heading, qualifier: qualifier)).map { tag + $0 }, prefix: false)
        case .publicationType where !prefix && term.explode:
            // The type and the narrower ones under it in the MeSH trees (V), with the thesaurus.
            let written = [SearchCode.code(term.text)]
            guard let mesh else {
                if !notes.contains(Self.noThesaurus) { notes.append(Self.noThesaurus) }
                return codes(written.map { "pt_" + $0 }, prefix: false)
            }
            let narrower = try mesh.narrower(than: term.text)
            if narrower.count > 1 {
                let line = "\(term.text)[Publication Type] with \(narrower.count - 1) narrower type\(narrower.count == 2 ? "" : "s")"
                if !explosions.contains(line) { explosions.append(line) }
            }
            return codes(Self.adding(written, to: narrower.map(SearchCode.code)).map { "pt_" + $0 }, prefix: false)
        case .subheading where !prefix:
            return codes(["sh_" + SearchCode.code(try subheading(term.text))], prefix: false)
        case .subset where !prefix && SearchCode.subset(term.text) == "all":
            // PubMed's `all[sb]`, every citation (`all[sb] NOT …`, or alone for the count): the
            // subsets of which each record has one (what a citation without a status misses: see
            // `everyRecordSubsets`).
            return codes(SearchCodes.everyRecordSubsets.map { "sb_" + $0 }, prefix: false)
        case .subset:
            return codes(["sb_" + SearchCode.subset(term.text)], prefix: prefix)
        case .language where !prefix:
            return codes(LanguageNames.codes(for: term.text).map { "la_" + $0 }, prefix: false)
        case .pmid:
            return codes(["pmid_" + SearchCode.code(term.text)], prefix: prefix)
        case .issn where !prefix:
            // An ISSN is one of the journal's codes ([ta] takes ISSNs too); anything else is no ISSN.
            let code = SearchCode.code(term.text)
            let issn = code.count == 9 && code.enumerated().allSatisfy { index, character in
                index == 4 ? character == "_" : character.isNumber || (index == 8 && character == "x")
            }
            return codes([issn ? "ta_" + code : "none_"], prefix: false)
        case .articleIdentifier where term.text.allSatisfy(\.isNumber):
            // The record's own PMID is an article id too, kept once, as the pmid code.
            return codes(["pmid_" + term.text, "aid_" + term.text], prefix: prefix)
        case .authorIdentifier:
            let orcid = term.text.replacingOccurrences(of: "https://orcid.org/", with: "").replacingOccurrences(of: "http://orcid.org/", with: "")
            return codes(["auid_" + SearchCode.code(orcid)], prefix: prefix)
        default:
            let tag: [QueryField: String] = [
                // An ISSN is one of the journal's codes ([ta] takes ISSNs too): [is] looks there.
                .subheading: "sh", .publicationType: "pt", .language: "la", .journal: "ta", .nlmUniqueID: "jid", .issn: "ta",
                .volume: "vi", .issue: "ip", .pagination: "pg", .substance: "nm", .registryNumber: "rn",
                .articleIdentifier: "aid", .locationIdentifier: "lid",
            ]
            guard let name = tag[term.field] else { throw QueryError("the field [\(term.field.displayName)] cannot be searched here", query: "", offset: 0) }
            return codes([name + "_" + SearchCode.code(term.text)], prefix: prefix)
        }
    }

    /// A subheading as written, or the one its two-letter abbreviation stands for (`dt`: drug
    /// therapy), as PubMed reads `neoplasms/dt[mh]` and `dt[sh]`; the abbreviations come from the
    /// thesaurus, and without one the note says so (no subheading's name has two letters).
    private mutating func subheading(_ text: String) throws -> String {
        let written = text.trimmingCharacters(in: .whitespaces)
        guard written.count == 2, written.allSatisfy(\.isLetter) else { return written }
        if let name = try mesh?.qualifier(abbreviated: written) { return name }
        let note = "the subheading abbreviation \"\(written)\" is read with NLM's MeSH thesaurus (pubmed-mirror mesh), which \(mesh == nil ? "is not installed" : "does not have it (build it again with this version)"): searched as written"
        if !notes.contains(note) { notes.append(note) }
        return written
    }

    /// `codes` with those of `extra` it does not hold yet after them.
    private static func adding(_ extra: [String], to codes: [String]) -> [String] {
        codes + extra.filter { !codes.contains($0) }
    }

    /// The heading and, unless MeSH is missing, its narrower headings, as codes (with the qualifier).
    private mutating func exploded(_ heading: String, qualifier: String?) throws -> [String] {
        var names = [heading]
        if let mesh {
            names = try mesh.narrower(than: heading)
            if names.isEmpty { names = [heading] }
            let line = "\(heading)[MeSH Terms] with \(names.count - 1) narrower heading\(names.count == 2 ? "" : "s")"
            if !explosions.contains(line) { explosions.append(line) }
        } else if !notes.contains(Self.noThesaurus) {
            notes.append(Self.noThesaurus)
        }
        var seen: Set<String> = []
        return names.map { SearchCode.code($0) + (qualifier.map { "__" + $0 } ?? "") }.filter { seen.insert($0).inserted }
    }

    static let noThesaurus = "no MeSH thesaurus: [mh], [majr] and [pt] match the heading or type named, without the narrower ones PubMed would add (run `pubmed-mirror mesh` to get it)"

    /// `codes : "a"` or `codes : ("a" OR "b" …)`; none of them ranks.
    private mutating func codes(_ tokens: [String], prefix: Bool) -> String {
        codes(tokens.map { ($0, prefix) })
    }

    /// The same, each token a prefix or not.
    private mutating func codes(_ tokens: [(token: String, prefix: Bool)]) -> String {
        scored += String(repeating: "0", count: tokens.count)
        return dialect.codes(tokens)
    }

    /// `smith j` → `smith__j`, `smith` → `smith__`, `van der berg ja` → `van_der_berg__ja`: the last word
    /// is the initials when it is three letters or fewer and there is a last name before it.
    static func shortName(_ text: String) -> String {
        var words = SearchCode.words(text.replacingOccurrences(of: ",", with: " "))
        // A suffix after the initials (`o'brien jc jr`): the index keeps names without it.
        if words.count >= 3, let last = words.last, Self.suffixes.contains(last) { words.removeLast() }
        guard words.count >= 2, let last = words.last, last.count <= 3, last.allSatisfy(\.isLetter) else {
            return words.joined(separator: "_") + "__"
        }
        words.removeLast()
        return words.joined(separator: "_") + "__" + last
    }

    /// The name suffixes PubMed's author names carry, which the index leaves out.
    static let suffixes: Set<String> = ["jr", "sr", "2nd", "3rd", "4th", "ii", "iii", "iv"]

    /// The readings of a full name: inverted (`wong julia s` → `wong__julia_s`) and, without a
    /// comma and with more than one word, natural (`julia s wong` → `wong__julia_s`).
    static func fullNames(_ text: String) -> [String] {
        let inverted = fullName(text)
        // Split at white space, not at hyphens: `r m carrillo-larco`'s last name is carrillo-larco.
        var parts = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !text.contains(","), parts.count >= 2, let last = parts.popLast() else { return [inverted] }
        let natural = SearchCode.fullName(last: last, fore: parts.joined(separator: " "))
        return natural == inverted ? [inverted] : [inverted, natural]
    }

    /// `smith, john a` or `smith john a` → `smith__john_a`: the last name before the comma, or the first word.
    static func fullName(_ text: String) -> String {
        if let comma = text.firstIndex(of: ",") {
            return SearchCode.fullName(last: String(text[..<comma]), fore: String(text[text.index(after: comma)...]))
        }
        // The first word as written up to white space (`carrillo-larco r m`), not to a hyphen.
        let parts = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = parts.first else { return "__" }
        return SearchCode.fullName(last: first, fore: parts.dropFirst().joined(separator: " "))
    }

    // MARK: - Dates

    private mutating func dates(_ term: QueryTerm) -> String {
        let tag: [QueryField: String] = [
            .publicationDate: "dp", .entryDate: "edat", .createDate: "crdt", .meshDate: "mhda",
            .completionDate: "dcom", .modificationDate: "lr",
        ]
        guard let span = term.dates, let name = tag[term.field] else { return codes(["none_"], prefix: false) }
        let cover = DateCover.codes(first: span.first, last: span.last)
        guard !cover.isEmpty else { return codes(["none_"], prefix: false) }
        return codes(cover.map { ("\(name)_\($0.text)", $0.prefix) })
    }
}

extension PubMedQuery {
    /// What the thesaurus makes of the query, as `search` will run it (each exploded heading with
    /// the number of narrower headings, each untagged term mapped to a heading), then the notes
    /// the search would give (no thesaurus): the lines `search --explain` prints under the
    /// translation. The same translation as the search itself, so the two cannot disagree.
    public func thesaurusLines(mesh: (any MeshVocabulary)?) throws(IndexError) -> [String] {
        do {
            let fts = try FTSQuery(self, mesh: mesh)
            return fts.explosions + fts.notes
        } catch let error as QueryError {
            throw .query(error)
        } catch let error as IndexError {
            throw error
        } catch {
            throw .inconsistency("the MeSH thesaurus failed: \(error)")
        }
    }
}

/// How a store writes the parts of a translated query: FTS5's MATCH syntax, or another store's
/// (PostgreSQL's `tsquery` conditions). `FTSQuery` decides what the query means; a dialect only
/// writes it down, so every store finds the same records.
package protocol MatchDialect {
    /// The words of `text` as a phrase in any of `columns`, the last word a prefix when `prefix`.
    func phrase(_ columns: [SearchDocument.Column], _ text: String, prefix: Bool) -> String
    /// `words` within `distance` words of each other, in any order, in one of `columns`; throws
    /// when that is more than the dialect can write within the parser's bound.
    func near(_ columns: [SearchDocument.Column], _ words: [String], distance: Int) throws(QueryError) -> String
    /// Any of the value codes (each a whole token, or a beginning when `prefix`).
    func codes(_ tokens: [(token: String, prefix: Bool)]) -> String
    func and(_ parts: [String]) -> String
    func or(_ parts: [String]) -> String
    /// `left` without `right`.
    func not(_ left: String, _ right: String) -> String
}

/// FTS5's MATCH syntax over `SearchDocument`'s columns.
package struct FTS5Dialect: MatchDialect {
    package init() {}

    package func phrase(_ columns: [SearchDocument.Column], _ text: String, prefix: Bool) -> String {
        "{\(Self.names(columns))} : " + quoted(text) + (prefix ? " *" : "")
    }

    package func near(_ columns: [SearchDocument.Column], _ words: [String], distance: Int) throws(QueryError) -> String {
        "{\(Self.names(columns))} : NEAR(\(words.map(quoted).joined(separator: " ")), \(distance))"
    }

    package func codes(_ tokens: [(token: String, prefix: Bool)]) -> String {
        let phrases = tokens.map { "\"\($0.token)\"" + ($0.prefix ? " *" : "") }
        return phrases.count == 1 ? "codes : \(phrases[0])" : "codes : (\(phrases.joined(separator: " OR ")))"
    }

    package func and(_ parts: [String]) -> String { "(" + parts.joined(separator: " AND ") + ")" }
    package func or(_ parts: [String]) -> String { "(" + parts.joined(separator: " OR ") + ")" }
    package func not(_ left: String, _ right: String) -> String { "(\(left) NOT \(right))" }

    private func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    private static func names(_ columns: [SearchDocument.Column]) -> String { columns.map(\.name).joined(separator: " ") }
}
