import Foundation
import Testing
@testable import PubMedIndex
@testable import PubMedPostgreSQL
@testable import PubMedQuery

/// PubMed's query language as the parser reads it, checked through the query translation, which
/// shows every term's field and every Boolean step in parentheses.
@Suite struct QueryParserTests {
    @Test(arguments: [
        ("autism[tiab] AND 2020:2021[dp]", #""autism"[Title/Abstract] AND 2020:2021[Date - Publication]"#),
        // Left to right, all operators alike: a OR b AND c is (a OR b) AND c.
        ("a OR b AND c", #"("a"[All Fields] OR "b"[All Fields]) AND "c"[All Fields]"#),
        ("a AND b OR c NOT d", #"(("a"[All Fields] AND "b"[All Fields]) OR "c"[All Fields]) NOT "d"[All Fields]"#),
        ("a AND (b OR (c NOT d))", #""a"[All Fields] AND ("b"[All Fields] OR ("c"[All Fields] NOT "d"[All Fields]))"#),
        ("breast cancer", #""breast"[All Fields] AND "cancer"[All Fields]"#),
        // A search history's sets (serve resolves them against the WebEnv).
        ("#1 AND cancer", #"#1 AND "cancer"[All Fields]"#),
        ("(#1 OR #12) NOT #3", #"(#1 OR #12) NOT #3"#),
        // PMIDs alone, side by side: any of them, as PubMed reads a pasted list.
        ("31452104 32022941", #""31452104"[PMID] OR "32022941"[PMID]"#),
        ("31452104", #""31452104"[PMID]"#),
        ("31452104 cancer", #""31452104"[All Fields] AND "cancer"[All Fields]"#),
        ("(31452104 32022941) AND 2019:2020[dp]", #"("31452104"[PMID] OR "32022941"[PMID]) AND 2019:2020[Date - Publication]"#),
        // Numbers with a tag after their group are not PMIDs.
        ("(2019 OR 2020)[dp]", #"2019[Date - Publication] OR 2020[Date - Publication]"#),
        (#""breast cancer""#, #""breast cancer"[All Fields]"#),
        ("smith j[au]", #""smith j"[Author]"#),
        ("retracted publication[pt]", #""retracted publication"[Publication Type]"#),
        ("cancer smith j[au]", #""cancer smith j"[Author]"#),
        ("cancer AND smith j[au]", #""cancer"[All Fields] AND "smith j"[Author]"#),
        ("Neoplasms[MeSH Terms]", #""Neoplasms"[MeSH Terms]"#),
        ("neoplasms[mh:noexp]", #""neoplasms"[MeSH Terms:noexp]"#),
        (#""neoplasms/drug therapy"[majr]"#, #""neoplasms/drug therapy"[MeSH Major Topic]"#),
        (#""gene therapy"[tiab:~3]"#, #""gene therapy"[Title/Abstract:~3]"#),
        (#""gene therapy"[tiab:~99]"#, #""gene therapy"[Title/Abstract:~99]"#),
        ("cardio*[ti]", #""cardio*"[Title]"#),
        (#""breast canc*"[tiab]"#, #""breast canc*"[Title/Abstract]"#),
        (#""2020/01/01"[edat] : "3000"[edat]"#, "2020/01/01:3000[Date - Entry]"),
        ("2020/03[dp]", "2020/03[Date - Publication]"),
        ("2015:2020[pdat]", "2015:2020[Date - Publication]"),
        ("(aspirin OR ibuprofen)[tiab]", #""aspirin"[Title/Abstract] OR "ibuprofen"[Title/Abstract]"#),
        // A tag after a group is every untagged term's, as if written after each: truncation and
        // words side by side are kept, a term's own tag and a history set are left as they are.
        ("(cancer* OR tumor*)[tiab]", #""cancer*"[Title/Abstract] OR "tumor*"[Title/Abstract]"#),
        (#"("breast canc*" OR smith j)[au]"#, #""breast canc*"[Author] OR "smith j"[Author]"#),
        ("((a OR b[ad])[ti] OR c)[tiab]", #"("a"[Title] OR "b"[Affiliation]) OR "c"[Title/Abstract]"#),
        ("(#1 OR asthma)[tiab]", #"#1 OR "asthma"[Title/Abstract]"#),
        // An operator glued to a group is still the operator.
        ("cancer NOT(mice)", #""cancer"[All Fields] NOT "mice"[All Fields]"#),
        ("(asthma)AND(copd)", #""asthma"[All Fields] AND "copd"[All Fields]"#),
        ("asthma OR(copd)[tiab]", #""asthma"[All Fields] OR "copd"[Title/Abstract]"#),
        ("gene therapy[grants and funding]", #""gene therapy"[Grant Number]"#),
        ("review[pt:noexp] therapy[sh:noexp]", #""review"[Publication Type:noexp] AND "therapy"[MeSH Subheading:noexp]"#),
        ("medline[sb] NOT eng[la]", #""medline"[Filter] NOT "eng"[Language]"#),
        ("title:aspirin year:2015..2020", #""aspirin"[Title] AND 2015:2020[Date - Publication]"#),
        (#"author:"smith j" mesh:"breast neoplasms""#, #""smith j"[Author] AND "breast neoplasms"[MeSH Terms]"#),
        ("heart year:..1990", #""heart"[All Fields] AND 1000:1990[Date - Publication]"#),
        ("and or not", #"("and"[All Fields] AND "or"[All Fields]) AND "not"[All Fields]"#),
        ("2020[dp]:2021[dp]", "2020:2021[Date - Publication]"),
        ("10.1016/S0140-6736(20)30183-5[aid]", #""10.1016/S0140-6736(20)30183-5"[Article Identifier]"#),
        ("covid(a OR b)", #""covid"[All Fields] AND ("a"[All Fields] OR "b"[All Fields])"#),
    ])
    func translates(query: String, translation: String) throws {
        #expect(try PubMedQuery(parsing: query).translation == translation)
    }

    /// Each bad query names the place: (query, 0-based offset, words the message has).
    @Test(arguments: [
        ("", 0, "empty"),
        ("(cancer OR tumor", 0, "never closed"),
        ("cancer)", 6, "without its ("),
        ("cancer[xyz]", 6, "unknown field tag [xyz]"),
        ("cancer AND", 7, "AND needs a term after it"),
        ("OR cancer", 0, "OR needs a term before it"),
        ("canc* AND can*", 10, "at least 4 characters"),
        (#"cancer AND "open"#, 11, "closing quote"),
        ("cancer[tiab", 6, "closing ]"),
        ("2020/13[dp]", 0, "not a date"),
        ("cancer[ti:noexp]", 6, ":noexp"),
        ("cancer[au:~2]", 6, "proximity"),
        ("cancer[tiab:~2]", 0, "two or more words"),
        // A distance every store can run (9223372036854775807 crashed the PostgreSQL translation).
        (#""gene therapy"[tiab:~100]"#, 14, "at most :~99"),
        (#""gene therapy"[tiab:~9223372036854775807]"#, 14, "at most :~99"),
        (#""a b c d e f g h i j k l"[tiab:~50]"#, 0, "too large to run"),
        // Words are counted as the stores cut them: `_` joins, other marks part.
        (#""a-b-c-d-e-f-g-h-i-j-k-l"[tiab:~50]"#, 0, "12 words within 50 is too large"),
        ("()", 1, "empty parentheses"),
        ("cancer AND #1[ti]", 11, "takes no field tag"),
        ("#0", 0, "names no search history set"),
        (#""2020"[edat] : cancer"#, 13, "same field"),
        ("[tiab]", 0, "follows no term"),
        ("year:20x", 0, "not a year"),
        ("title:", 0, "has no value"),
        ("cancer AND systematic[sb]", 11, "cannot be worked out from the records"),
        ("free full text[sb]", 0, "cannot be worked out from the records"),
        // Bounds that keep the stack safe (20,000 parentheses crashed the parser before).
        (String(repeating: "(", count: 65) + "a" + String(repeating: ")", count: 65), 64, "nested more than 64 deep"),
        // A chain of date ranges counts its depth too.
        (String(repeating: "1000[dp]:(", count: 70) + "1000[dp]" + String(repeating: ")", count: 70), 328, "nested more than 64 deep"),
        (#""last 5000 years"[dp]"#, 0, "not a date"),
        (Array(repeating: "a", count: 10_001).joined(separator: " "), 20_000, "10001 words, operators and tags"),
    ])
    func rejects(query: String, offset: Int, words: String) {
        do {
            _ = try PubMedQuery(parsing: query)
            Issue.record("\(query) parsed")
        } catch {
            #expect(error.offset == offset, "\(query): \(error.description)")
            #expect(error.description.contains(words), "\(query): \(error.description)")
            #expect(error.code.kind == .invalidInput)
        }
    }

    /// A range written from its end (`2020:2015`) is the same dates; a truncated untagged word
    /// is not mapped to MeSH (truncation turns term mapping off in PubMed).
    @Test func reversedRangesAndTruncatedWords() throws {
        let reversed = try PubMedQuery(parsing: "2020:2015[dp] \"2021/06\"[edat]:\"2021/01\"[edat]").root.terms
        #expect(reversed.map(\.dates) == [DateSpan(first: 2015_01_01, last: 2020_12_31, text: "2020:2015"),
                                            DateSpan(first: 2021_01_01, last: 2021_06_31, text: "2021/06:2021/01")])
        #expect(try !PubMedQuery(parsing: "cancer*").usesThesaurus)
        #expect(try !PubMedQuery(parsing: "neoplas*[mh]").usesThesaurus)
    }

    /// The proximity bound is on the words the stores see: `_` joins words in both tokenizers, so a
    /// long `a_a_…` is one word, and PostgreSQL's spelled-out pairs stay small.
    @Test func proximityTranslationsStaySmall() throws {
        let long = "\"" + Array(repeating: "a", count: 2_000).joined(separator: "_") + " b\"[tiab:~99]"
        let query = try PubMedQuery(parsing: long)
        #expect(query.root.terms.first?.words.count == 2)
        let translated = try FTSQuery(query, mesh: nil, dialect: PGDialect())
        #expect(translated.match.utf8.count < PGDialect.maximumNearBytes, "\(translated.match.utf8.count) bytes (2.3 GB before)")
    }

    @Test func deepButBoundedQueriesParse() throws {
        let nested = String(repeating: "(", count: 64) + "a" + String(repeating: ")", count: 64)
        #expect(try PubMedQuery(parsing: nested).translation == #""a"[All Fields]"#)
        #expect(try PubMedQuery(parsing: Array(repeating: "a", count: 10_000).joined(separator: " ")).root.terms.count == 10_000)
    }

    /// A chain of one operator is one group for the index, however long; operators that alternate
    /// nest (left to right), and past 64 groups the query is refused rather than failing in FTS5.
    @Test func chainsStayFlatAndAlternationsAreBounded() throws {
        let synonyms = (1...300).map { "word\($0)" }.joined(separator: " OR ")
        let flat = try FTSQuery(PubMedQuery(parsing: "(\(synonyms))[tiab] AND cancer"), mesh: nil)
        // The AND and the OR: two groups, not 300.
        #expect(flat.match.filter { $0 == "(" }.count == 2, "\(flat.match.prefix(200))")
        // PMIDs side by side are one condition on the codes.
        let pmids = try FTSQuery(PubMedQuery(parsing: "cancer AND (1[uid] OR 2[uid] OR 3[pmid])"), mesh: nil)
        #expect(pmids.match.contains(#"codes : ("pmid_1" OR "pmid_2" OR "pmid_3")"#), "\(pmids.match)")
        let alternating = (1...70).map { "w\($0)" }.enumerated().map { $0.offset == 0 ? $0.element : ($0.offset % 2 == 0 ? "AND " : "OR ") + $0.element }
        let deep = try PubMedQuery(parsing: alternating.joined(separator: " "))
        #expect(throws: QueryError.self) { try FTSQuery(deep, mesh: nil) }
        do {
            _ = try FTSQuery(deep, mesh: nil)
        } catch let error as QueryError {
            #expect(error.description.contains("more than 64 deep"))
        }
        let shallow = try PubMedQuery(parsing: alternating.prefix(60).joined(separator: " "))
        #expect(throws: Never.self) { try FTSQuery(shallow, mesh: nil) }
    }

    @Test func onlyHeadingsAndUntaggedWordsNeedTheThesaurus() throws {
        #expect(try PubMedQuery(parsing: "neoplasms[mh:noexp]").usesThesaurus)
        #expect(try PubMedQuery(parsing: "cancer[tiab] AND heart attack").usesThesaurus)
        #expect(try !PubMedQuery(parsing: "cancer[tiab] AND \"heart attack\" AND 2020[dp]").usesThesaurus)
    }

    @Test func termsKeepTheirFieldsAndOptions() throws {
        let terms = try PubMedQuery(parsing: #"neoplasms[mh:noexp] "cell death"[tiab:~2] smith*[au] 2020/02[dp]"#).root.terms
        #expect(terms.map(\.field) == [.mesh, .titleAbstract, .author, .publicationDate])
        #expect(terms[0].explode == false && terms[1].proximity == 2 && terms[2].truncated && terms[2].text == "smith")
        #expect(terms[3].dates == DateSpan(first: 2020_02_01, last: 2020_02_31, text: "2020/02"))
    }

    /// PubMed's relative dates: from that many days, months or years before today through 3000.
    @Test func relativeDatesCountBackFromToday() throws {
        let today = Date(timeIntervalSince1970: 1_796_558_400)  // 2026-12-06 12:00 UTC
        #expect(DateSpan.parse("last 5 years", today: today) == DateSpan(first: 2021_12_06, last: 3000_12_31, text: "last 5 years"))
        #expect(DateSpan.parse("Last 6  Months", today: today) == DateSpan(first: 2026_06_06, last: 3000_12_31, text: "last 6 months"))
        #expect(DateSpan.parse("last 30 days", today: today) == DateSpan(first: 2026_11_06, last: 3000_12_31, text: "last 30 days"))
        #expect(DateSpan.parse("last 1 day", today: today)?.first == 2026_12_05)
        for bad in ["last five years", "last 5 weeks", "next 5 years", "last 0 days", "last -3 days"] {
            #expect(DateSpan.parse(bad, today: today) == nil, "\(bad)")
        }
        let query = try PubMedQuery(parsing: #"cancer AND "last 5 years"[dp]"#)
        #expect(query.translation == #""cancer"[All Fields] AND last 5 years[Date - Publication]"#)
        #expect(query.root.terms.last?.dates?.last == 3000_12_31)
    }

    /// Every field has a tag, and every tag of the issue's list is known, in any case.
    @Test func everyFieldHasATagAndTagsIgnoreCase() throws {
        let named = Set(QueryField.tags.values)
        #expect(Set(QueryField.allCases).subtracting(named) == [.untagged, .history], "a history set is written #N, not as a tag")
        for tag in ["tiab", "ti", "ab", "tw", "all", "au", "fau", "1au", "lastau", "ir", "cn", "ad", "affl", "auid", "mh", "majr",
                    "sh", "pt", "la", "ta", "jour", "jid", "is", "vi", "ip", "pg", "ot", "nm", "rn", "gr", "pmid", "uid", "aid",
                    "lid", "dp", "pdat", "edat", "crdt", "mhda", "dcom", "lr", "sb"] {
            let field = try #require(QueryField.tags[tag], "[\(tag)]")
            let query = field.kind == .date ? "2020[\(tag.uppercased())]" : field == .subset ? "medline[\(tag.uppercased())]" : "x1[\(tag.uppercased())]"
            #expect(try PubMedQuery(parsing: query).root.terms.first?.field == field, "[\(tag)]")
        }
    }
}

/// A value's code: the same by the quick ASCII way as by folding.
@Suite struct SearchCodeTests {
    @Test(arguments: ["Breast Neoplasms", "Neoplasms, Glandular and Epithelial", "N Engl J Med", "0028-4793", "  Smith  ",
                      "10.1016/S0140-6736(20)30183-5", "In-Data-Review", "", "--", "a_b", "Müller", "Ångström 5", "x\u{301}y"])
    func asciiAndFoldingAgree(value: String) {
        #expect(PubMedIndex.SearchCode.code(value) == PubMedIndex.SearchCode.words(value).joined(separator: "_"))
        #expect(PubMedIndex.SearchCode.subset(value) == PubMedIndex.SearchCode.words(value).joined())
    }
}

/// The fewest code prefixes that cover a span of days, and only it.
@Suite struct DateCoverTests {
    @Test(arguments: [
        (2020_01_01, 2020_12_31, ["2020"]),
        (2015_01_01, 2020_12_31, ["2015", "2016", "2017", "2018", "2019", "2020"]),
        (2020_01_01, 2200_12_31, (2020...2200).map(String.init)),
        (2020_01_01, 3000_12_31, ["202", "203", "204", "205", "206", "207", "208", "209", "21", "22", "23", "24", "25", "26", "27", "28", "29", "3000"]),
        (2020_03_01, 2020_03_31, ["202003"]),
        (2020_02_01, 2020_02_29, ["202002"]),
        (2019_02_01, 2019_02_28, ["201902"]),
        (2020_01_01, 2020_06_30, ["202001", "202002", "202003", "202004", "202005", "202006"]),
        (2020_03_15, 2020_03_15, ["20200315"]),
        (2020_12_30, 2021_01_02, ["20201230", "20201231", "20210101", "20210102"]),
        (2021_01_01, 2020_12_31, [String]()),
    ])
    func covers(first: Int, last: Int, prefixes: [String]) {
        #expect(PubMedIndex.DateCover.prefixes(first: first, last: last) == prefixes)
    }

    @Test func yearsAreExactTokensMonthsPrefixesDaysExact() {
        typealias Code = PubMedIndex.DateCover.Code
        #expect(PubMedIndex.DateCover.codes(first: 2019_12_31, last: 2021_02_14) == [
            Code(text: "2020", prefix: false), Code(text: "20191231", prefix: false), Code(text: "202101", prefix: true),
        ] + (1...14).map { Code(text: String(2021_02_00 + $0), prefix: false) })
        #expect(PubMedIndex.DateCover.codes(first: 2020_01_01, last: 3000_12_31).first == Code(text: "202", prefix: true))
    }
}
