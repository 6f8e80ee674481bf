import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedPostgreSQL
@testable import PubMedRecords
@testable import PubMedSupport

/// The word vectors the PostgreSQL store sends in `tsvector`'s binary form, against PostgreSQL's
/// own reading of the same words written out in the text form, one occurrence at a time, which the
/// server sorts and merges itself (`tsvectorin`): equal (`=` compares the stored size first, then
/// every word, position and weight) for every record of the real files and for records made to
/// reach the bounds (a word's 256 positions, the last position, long words, words that share their
/// first eight bytes, letters beyond ASCII); and what the text form cannot hold.
@Suite(.heavyweight) struct SearchVectorsTests {
    /// The text form of a document's vectors, built as the store built them before it sent binary
    /// vectors: each word where it occurs, `'word':position` and its weight's letter (none for D).
    static func literals(_ document: SearchDocument) -> [SearchVectors.Vector: String] {
        var literals: [SearchVectors.Vector: [String]] = [:]
        var next: [SearchVectors.Vector: Int] = [:]
        for column in SearchDocument.Column.allCases {
            let (vector, weight) = SearchVectors.place(column)
            var position = next[vector] ?? 1
            var started = false
            Tokenizer.forEach(document.columns[column.rawValue]) { token in
                if !started {
                    if position > 1 { position += SearchVectors.gap }
                    started = true
                }
                defer { position += 1 }
                guard token.count <= SearchVectors.maxWordBytes else { return }
                var word = String(decoding: token, as: UTF8.self)
                var letter = weight.map { $0 == "D" ? "" : String($0) } ?? ""
                if vector == .codes {
                    // A first or last author as the author's code, weighted; no PMID code.
                    if word.hasPrefix("pmid_") { return }
                    if word.hasPrefix("au1_") || word.hasPrefix("aul_") {
                        letter = word.hasPrefix("au1_") ? "A" : "B"
                        word = "au_" + word.dropFirst(4)
                    }
                }
                literals[vector, default: []].append("'\(word)':\(min(position, SearchVectors.maxPosition))\(letter)")
            }
            next[vector] = position
        }
        return literals.mapValues { $0.joined(separator: " ") }
    }

    /// Sends every document's binary vectors and text forms to the server; returns the (document,
    /// vector) pairs that PostgreSQL does not find equal, and how many pairs it compared.
    static func differences(_ documents: [SearchDocument]) async throws -> (differ: [String], compared: Int) {
        let connection = try await PostgreSQLServer.connectionToNewDatabase()
        try connection.execute("CREATE TABLE vectors (document integer, vector text, sent tsvector, literal text)")
        var copy = CopyBinary()
        copy.append(CopyBinary.header[...])
        var compared = 0
        for (number, document) in documents.enumerated() {
            let vectors = SearchVectors(document)
            let literals = literals(document)
            for (vector, sent) in [(SearchVectors.Vector.textWords, vectors.textWords), (.peopleWords, vectors.peopleWords), (.codes, vectors.codes)] {
                copy.row(fields: 4)
                copy.int32(number)
                copy.text(vector.rawValue)
                copy.binary(sent)
                copy.text(literals[vector] ?? "")
                compared += 1
            }
        }
        copy.append(CopyBinary.trailer[...])
        try connection.copyIn("COPY vectors FROM STDIN (FORMAT binary)", copy.bytes)
        let result = try connection.execute("""
            SELECT document, vector, left(sent::text, 200), left(literal::tsvector::text, 200) FROM vectors
            WHERE sent IS DISTINCT FROM literal::tsvector ORDER BY document, vector LIMIT 5
            """)
        let differ = (0..<result.count).map { row in
            "document \(result.string(row, 0) ?? "") \(result.string(row, 1) ?? ""): sent \(result.string(row, 2) ?? "")\nread \(result.string(row, 3) ?? "")"
        }
        return (differ, compared)
    }

    @Test func everyRealRecordsVectorsAreThoseTheServerReadsFromText() async throws {
        var documents: [SearchDocument] = []
        for path in [RecordTestData.fullFile, RecordTestData.largerBaseline, RecordTestData.largerUpdate, RecordTestData.book,
                     "efetch-samples/biopython_pubmed1.xml", "efetch-samples/biopython_pubmed2.xml"] {
            documents += try RecordTestData.read(RecordTestData.url(path)).records.map { SearchDocument($0.record) }
        }
        #expect(documents.count > 31_000)
        let (differ, compared) = try await Self.differences(documents)
        #expect(compared == documents.count * 3)
        #expect(differ.isEmpty, "\(differ.joined(separator: "\n"))")
    }

    /// The codes PostgreSQL keeps otherwise: a first and a last author as the author's code
    /// weighted A and B (both for an author alone), no PMID code; the other codes unweighted.
    @Test func firstAndLastAuthorsAreWeightsOfTheAuthorsCodeAndThePMIDNoCode() async throws {
        var record = PubMedRecord(pmid: 31452104)
        record.authors = ["Smith", "Jones", "Smith", "Wong"].map { PubMedRecord.Author(lastName: $0, initials: "J") }
        record.meshHeadings = [PubMedRecord.MeshHeading(descriptor: "Humans")]
        var alone = PubMedRecord(pmid: 7)
        alone.authors = [PubMedRecord.Author(lastName: "Wong", initials: "J")]
        let connection = try await PostgreSQLServer.shared.value.superuser()
        var found: [String] = []
        for each in [record, alone] {
            let vector = try Self.text(of: SearchVectors(SearchDocument(each)).codes, connection)
            let result = try connection.execute("""
                SELECT string_agg(lexeme || array_to_string(weights, ''), ' ' ORDER BY lexeme) FROM unnest($1::tsvector)
                WHERE lexeme LIKE 'au%' OR lexeme LIKE 'pmid%' OR lexeme LIKE 'mh%'
                """, [vector])
            found.append(result.string(0, 0) ?? "")
        }
        // `unnest` gives each position's weight in order: an author's code (D), then as first (A)
        // or last (B); Smith J is first and third of four.
        #expect(found[0] == "au_jones__jD au_smith__jDAD au_wong__jDB mh_humansD")
        #expect(found[1] == "au_wong__jDAB")
        // Also a query's family prefix alone (a truncated value whose code is empty).
        for (code, place) in [("au1_x", SearchVectors.CodePlace.author(weight: "A")), ("au1_", .author(weight: "A")),
                              ("aul_x", .author(weight: "B")), ("aul_", .author(weight: "B")), ("pmid_1", .leftOut), ("pmid_", .leftOut),
                              ("au_", .kept), ("aux_y", .kept), ("auid_0000", .kept), ("pmidx", .kept), ("pmi_", .kept),
                              ("mh_pmid_1", .kept), ("fau_smith__j", .kept)] {
            var token = code
            #expect(token.withUTF8(SearchVectors.codePlace) == place, "\(code)")
        }
    }

    /// A PMID code as conditions on the row's `pmid`: only the digits records have, and with
    /// truncation every PMID that begins so, up to the largest.
    @Test func pmidCodesAreConditionsOnThePMID() {
        #expect(PGDialect.pmid("31452104") == 31452104)
        for none in ["", "0", "0123", "12a", "1_2", "-5", "99999999999", "2147483648"] {
            #expect(PGDialect.pmid(none) == nil, "\(none)")
        }
        #expect(PGDialect.pmid("2147483647") == 2147483647)
        #expect(PGDialect.pmidsBeginning(21474836) == ["pmid = 21474836", "pmid BETWEEN 214748360 AND 214748369",
                                                       "pmid BETWEEN 2147483600 AND 2147483647"])
        #expect(PGDialect.pmidsBeginning(3).count == 9, "up to 399,999,999: 3,000,000,000 is past the last")
        #expect(PGDialect.pmidsBeginning(2).count == 10)
        let dialect = PGDialect()
        #expect(dialect.codes([("pmid_12", false), ("aid_12", false), ("pmid_0", false)]) == "(codes @@ '''aid_12'''::tsquery OR pmid = 12)")
        #expect(dialect.codes([("pmid_12", false), ("pmid_13", false)]) == "pmid = ANY('{12,13}'::integer[])")
        #expect(dialect.codes([("pmid_x", false)]) == "false")
        #expect(dialect.codes([("pmid_", false)]) == "false")
        #expect(dialect.codes([("pmid_", true)]) == "true", "every record has a PMID")
        #expect(dialect.codes([("au1_smith__j", true)]) == "codes @@ '''au1_smith__j'':* | ''au_smith__j'':*A'::tsquery")
    }

    @Test func vectorsAtTheBoundsAreThoseTheServerReadsFromText() async throws {
        var records: [PubMedRecord] = []
        // A word 300 times in the title (its first 256 positions kept, all of weight A) and again
        // in the abstract, which runs past the last position: its words there share 16,383.
        var repeated = PubMedRecord(pmid: 1)
        repeated.title = Array(repeating: "alpha", count: 300).joined(separator: " ")
        repeated.abstract = (0..<17_000).map { $0 % 3 == 0 ? "alpha" : "beta\($0 % 7)" }.joined(separator: " ") + " omega omega"
        repeated.keywords = ["kappa"]
        records.append(repeated)
        // Words that share their first eight bytes or begin one another, a word of 2,046 letters
        // (kept) and one of 2,047 (left out), letters beyond ASCII and digits.
        var words = PubMedRecord(pmid: 2)
        words.title = "randomization randomized randomize random randomizations Randomized 1990 19901 ab a"
        words.abstract = String(repeating: "x", count: 2_046) + " " + String(repeating: "y", count: 2_047)
            + " Ærø café naïve Δέλτα 東京 z"
        words.authors = [PubMedRecord.Author(lastName: "Müller", foreName: "Jörg", initials: "J", affiliations: ["Zürich"]),
                         PubMedRecord.Author(lastName: "Muller", foreName: "Jorg", initials: "J", affiliations: [])]
        records.append(words)
        // Nothing at all but the PMID.
        records.append(PubMedRecord(pmid: 3))
        let (differ, compared) = try await Self.differences(records.map { SearchDocument($0) })
        #expect(compared == 9)
        #expect(differ.isEmpty, "\(differ.joined(separator: "\n"))")

        // The vectors hold what the bounds leave: 256 positions of `alpha`, the last at 16,383.
        let vectors = SearchVectors(SearchDocument(repeated))
        let server = try await PostgreSQLServer.shared.value
        let connection = try server.superuser()
        let result = try connection.execute("""
            SELECT (SELECT positions FROM unnest($1::tsvector) WHERE lexeme = 'alpha'),
                   (SELECT positions FROM unnest($1::tsvector) WHERE lexeme = 'omega'),
                   (SELECT weights FROM unnest($1::tsvector) WHERE lexeme = 'kappa')
            """, [try Self.text(of: vectors.textWords, connection)])
        let alpha = try #require(result.string(0, 0)).dropFirst().dropLast().split(separator: ",")
        #expect(alpha.count == 256)
        #expect(result.string(0, 1) == "{16383}")
        #expect(result.string(0, 2) == "{C}")
    }

    /// What the text form cannot give: one word at the last position with two weights (the
    /// server's reading keeps either; the vector keeps the highest), and a record whose words and
    /// positions come to more than a vector holds (the text form is refused whole; the vector
    /// leaves out the words that appear last, and the server takes it).
    @Test func vectorsPastWhatTheTextFormHoldsAreTakenByTheServer() async throws {
        let server = try await PostgreSQLServer.shared.value
        let connection = try server.superuser()
        var shared = PubMedRecord(pmid: 1)
        shared.abstract = Array(repeating: "filler", count: 17_000).joined(separator: " ") + " zeta"
        shared.keywords = ["zeta"]
        let zeta = try connection.execute("SELECT positions::text, weights::text FROM unnest($1::tsvector) WHERE lexeme = 'zeta'",
                                          [try Self.text(of: SearchVectors(SearchDocument(shared)).textWords, connection)])
        #expect(zeta.string(0, 0) == "{16383}" && zeta.string(0, 1) == "{B}", "\(zeta.string(0, 0) ?? "") \(zeta.string(0, 1) ?? "")")

        // 70,000 words of 16 letters, each once: 1.68 MB as the server counts a vector's words and
        // positions, 1.12 MB of words in the text form.
        var many = PubMedRecord(pmid: 2)
        many.abstract = (0..<70_000).map { String(format: "w%015d", $0) }.joined(separator: " ")
        let vector = SearchVectors(SearchDocument(many)).textWords
        let text = try Self.text(of: vector, connection)
        let counts = try connection.execute("""
            SELECT length($1::tsvector), (SELECT count(*) FROM unnest($1::tsvector) WHERE lexeme IN ('w000000000000000', 'w000000000010000')),
                   (SELECT count(*) FROM unnest($1::tsvector) WHERE lexeme = 'w000000000069999')
            """, [text])
        let kept = try #require(counts.int(0, 0))
        #expect(kept > 40_000 && kept < 70_000, "\(kept) words kept")
        #expect(counts.int(0, 1) == 2, "the first words are kept")
        #expect(counts.int(0, 2) == 0, "the last are left out")
        // The text form of the same words is more than the server reads.
        #expect(throws: ServerDatabaseFailure.self) {
            try connection.execute("SELECT length($1::tsvector)", [Self.literals(SearchDocument(many))[.textWords] ?? ""])
        }
    }

    /// A binary vector as the server prints it.
    static func text(of vector: [UInt8], _ connection: PGConnection) throws -> String {
        try connection.execute("CREATE TEMPORARY TABLE IF NOT EXISTS one (v tsvector)")
        try connection.execute("TRUNCATE one")
        var copy = CopyBinary()
        copy.append(CopyBinary.header[...])
        copy.row(fields: 1)
        copy.binary(vector)
        copy.append(CopyBinary.trailer[...])
        try connection.copyIn("COPY one FROM STDIN (FORMAT binary)", copy.bytes)
        return try #require(try connection.execute("SELECT v::text FROM one").string(0, 0))
    }

    @Test func binaryFieldsAreWhatTheServerReads() async throws {
        let connection = try await PostgreSQLServer.connectionToNewDatabase()
        try connection.execute("CREATE TABLE fields (i integer, b bigint, t boolean, s text, a text[], d date, j json)")
        var copy = CopyBinary()
        copy.append(CopyBinary.header[...])
        let rows: [(Int?, Int64, Bool, String?, [String], (Int, Int, Int)?, String)] = [
            (-7, -1, true, "tab\there\nnewline \\ back", ["a", "b,\"c\"", "é"], (2000, 1, 1), "{\"a\": [1, 2]}"),
            (2_147_483_647, Int64.max, false, nil, [], (1999, 12, 31), "[]"),
            (nil, 0, true, "nul\u{0}gone", ["x"], (2024, 2, 29), "null"),
            (20200315, 42, false, "", ["", ""], (2023, 2, 29), "1"),
            (1, 1, true, "x", [], (1066, 10, 14), "\"s\""),
        ]
        for row in rows {
            copy.row(fields: 7)
            copy.int32(row.0)
            copy.int64(row.1)
            copy.bool(row.2)
            copy.text(row.3)
            copy.textArray(row.4)
            copy.date(year: row.5?.0, month: row.5?.1, day: row.5?.2)
            copy.text(row.6)
        }
        copy.append(CopyBinary.trailer[...])
        try connection.copyIn("COPY fields FROM STDIN (FORMAT binary)", copy.bytes)
        let result = try connection.execute("SELECT i, b, t, s, a::text, d::text, j::text FROM fields")
        let read = (0..<result.count).map { row in (0..<7).map { result.string(row, $0) ?? "NULL" } }
        #expect(read == [
            ["-7", "-1", "t", "tab\there\nnewline \\ back", "{a,\"b,\\\"c\\\"\",é}", "2000-01-01", "{\"a\": [1, 2]}"],
            ["2147483647", "9223372036854775807", "f", "NULL", "{}", "1999-12-31", "[]"],
            ["NULL", "0", "t", "nulgone", "{x}", "2024-02-29", "null"],
            ["20200315", "42", "f", "", "{\"\",\"\"}", "NULL", "1"],
            ["1", "1", "t", "x", "{}", "1066-10-14", "\"s\""],
        ])
    }
}
