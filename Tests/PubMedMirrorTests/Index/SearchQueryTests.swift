import Testing
@testable import PubMedFiles
@testable import PubMedGzip
@testable import PubMedIndex
@testable import PubMedListing
@testable import PubMedMirror
@testable import PubMedRecords
@testable import PubMedSupport
@testable import PubMedTransfer

@Suite struct SearchQueryTests {
    @Test(arguments: [
        ("heart", "\"heart\"", nil as ClosedRange<Int>?),
        ("heart failure", "\"heart\" \"failure\"", nil),
        ("\"heart failure\"", "\"heart failure\"", nil),
        ("cardio*", "\"cardio\"*", nil),
        ("title:aspirin", "title : \"aspirin\"", nil),
        ("author:\"smith j\"", "authors : \"smith j\"", nil),
        ("mesh:\"Breast Neoplasms\" year:2015..2020", "mesh : \"Breast Neoplasms\"", 2015...2020),
        ("type:review year:2019", "types : \"review\"", 2019...2019),
        ("journal:lancet OR journal:bmj", "journal : \"lancet\" OR journal : \"bmj\"", nil),
        ("cancer NOT mouse", "\"cancer\" NOT \"mouse\"", nil),
        ("c-reactive", "\"c-reactive\"", nil),
        ("say \"\"\"", nil, nil),
    ] as [(String, String?, ClosedRange<Int>?)])
    func parses(text: String, match: String?, years: ClosedRange<Int>?) throws {
        guard let match else {
            #expect(throws: IndexError.self) { try SearchQuery(parsing: text) }
            return
        }
        let query = try SearchQuery(parsing: text)
        #expect(query.match == match)
        #expect(query.years == years)
    }

    @Test func yearOnlyAndOpenRanges() throws {
        #expect(try SearchQuery(parsing: "year:..1990") == SearchQuery(match: nil, years: 0...1990))
        #expect(try SearchQuery(parsing: "year:2020..") == SearchQuery(match: nil, years: 2020...9999))
    }

    @Test(arguments: ["", "   ", "year:20x", "year:2020..2010", "colour:red", "OR cancer", "cancer NOT", "\"open", "*", "title:"])
    func rejects(text: String) {
        #expect(throws: IndexError.self) { try SearchQuery(parsing: text) }
    }

    @Test func quotesInsideTermsCannotEscape() throws {
        let query = try SearchQuery(parsing: "title:\"a\"\"b\"")
        // The phrase ends at the second quote; the rest is a separate term, itself quoted.
        #expect(query.match?.hasPrefix("title : \"a\"") == true)
    }
}
