import Foundation
import PubMedIndex
import PubMedRecords

/// A file's items made ready for `PGWriter` on the pipeline's preparer thread: each record as its
/// `article` row (all but the four columns the writer decides: PMID, version, whether current,
/// sequence number) in COPY's binary format, and its child tables' lines in COPY's text format.
enum PGPrepared: Sendable {
    case record(PGRecordRows)
    case deletion(pmid: Int, version: Int)
}

struct PGRecordRows: Sendable {
    var pmid: Int
    var version: Int
    /// The `article` columns after `seq`, as binary COPY fields (`CopyBinary`), and how many.
    var article: [UInt8]
    var articleFields: Int
    /// Whole lines for each of `PGSchema.childTables`, in that order.
    var children: [[UInt8]]
}

final class PGPreparer: FileItemPreparer {
    private let sourceFile: String

    init(sourceFile: String) { self.sourceFile = sourceFile }

    func prepare(_ item: FileItem, search: SearchDocument?, into ready: inout [PGPrepared]) throws {
        switch item {
        case .deletion(let pmid, let version):
            ready.append(.deletion(pmid: pmid, version: version))
        case .chunks:
            // The PostgreSQL store keeps each record's XML as text, not the file's stream.
            throw PGStoreError.inconsistent("\(sourceFile): the file's stream was kept for a store that does not use it")
        case .record(var record, let xml):
            guard case .bytes(let bytes) = xml else {
                throw PGStoreError.inconsistent("\(sourceFile): a record came without its XML")
            }
            record.sourceFile = sourceFile
            ready.append(.record(Self.rows(record, xml: bytes, search: search ?? SearchDocument(record))))
        }
    }

    func finish(into ready: inout [PGPrepared]) {}

    static func rows(_ record: PubMedRecord, xml: [UInt8], search: SearchDocument) -> PGRecordRows {
        var fields = CopyBinary(capacity: 4096 + xml.count * 2)
        fields.text(record.kind.rawValue)
        fields.text(record.status)
        fields.int32(record.year)
        fields.int32(ArticleFields.sortDate(record))
        fields.text(record.title)
        fields.text(record.abstract)
        fields.key(ArticleFields.journal(record))
        fields.text(record.journal?.title)
        fields.text(record.journal?.nlmUniqueID)
        fields.text(record.journal?.issn)
        fields.text(record.journal?.volume)
        fields.text(record.journal?.issue)
        fields.text(record.pages)
        fields.key(record.doi)
        fields.key(record.pmcid)
        fields.textArray(record.languages)
        fields.key(ArticleFields.firstAuthor(record))
        fields.date(year: record.dateCompleted?.year, month: record.dateCompleted?.month, day: record.dateCompleted?.day)
        fields.date(year: record.dateRevised?.year, month: record.dateRevised?.month, day: record.dateRevised?.day)
        fields.text(record.sourceFile)
        fields.raw(RecordJSONWriter.encode(record))
        fields.raw(xml)
        let vectors = SearchVectors(search)
        fields.binary(vectors.textWords)
        fields.binary(vectors.peopleWords)
        fields.binary(vectors.codes)
        return PGRecordRows(pmid: record.pmid, version: record.version, article: fields.bytes, articleFields: fields.fields,
                            children: children(record))
    }

    /// The lines of each child table, in `PGSchema.childTables` order.
    static func children(_ record: PubMedRecord) -> [[UInt8]] {
        func lines(_ count: Int, _ body: (inout CopyText, Int) -> Void) -> [UInt8] {
            var copy = CopyText()
            for index in 0..<count {
                copy.int(record.pmid)
                copy.int(record.version)
                body(&copy, index)
                copy.end()
            }
            return copy.bytes
        }
        var authors = CopyText()
        for (role, people) in [("author", record.authors), ("investigator", record.investigators)] {
            for (index, person) in people.enumerated() {
                authors.int(record.pmid); authors.int(record.version); authors.text(role); authors.int(index + 1)
                authors.key(person.lastName); authors.text(person.foreName); authors.key(person.initials)
                authors.text(person.suffix); authors.text(person.collectiveName); authors.key(person.orcid)
                authors.array(person.affiliations)
                authors.end()
            }
        }
        var qualifiers = CopyText()
        for (heading, mesh) in record.meshHeadings.enumerated() {
            for (index, qualifier) in mesh.qualifiers.enumerated() {
                qualifiers.int(record.pmid); qualifiers.int(record.version); qualifiers.int(heading + 1); qualifiers.int(index + 1)
                qualifiers.key(qualifier.name); qualifiers.text(qualifier.ui); qualifiers.bool(qualifier.majorTopic)
                qualifiers.end()
            }
        }
        return [
            authors.bytes,
            lines(record.meshHeadings.count) { copy, index in
                let heading = record.meshHeadings[index]
                copy.int(index + 1); copy.key(heading.descriptor); copy.text(heading.descriptorUI); copy.bool(heading.majorTopic)
            },
            qualifiers.bytes,
            lines(record.publicationTypes.count) { copy, index in
                copy.int(index + 1); copy.key(record.publicationTypes[index])
                copy.text(index < record.publicationTypeUIs.count ? record.publicationTypeUIs[index] : nil)
            },
            lines(record.keywords.count) { copy, index in copy.int(index + 1); copy.key(record.keywords[index]) },
            lines(record.chemicals.count) { copy, index in
                let chemical = record.chemicals[index]
                copy.int(index + 1); copy.key(chemical.name); copy.text(chemical.registryNumber); copy.text(chemical.ui)
            },
            lines(record.grants.count) { copy, index in
                let grant = record.grants[index]
                copy.int(index + 1); copy.text(grant.grantID); copy.text(grant.acronym); copy.key(grant.agency); copy.text(grant.country)
            },
            lines(record.articleIds.count) { copy, index in
                copy.int(index + 1); copy.text(record.articleIds[index].type); copy.key(record.articleIds[index].value)
            },
            lines(record.commentsCorrections.count) { copy, index in
                let comment = record.commentsCorrections[index]
                copy.int(index + 1); copy.text(comment.refType); copy.text(comment.refSource); copy.int(comment.pmid)
            },
        ]
    }
}

/// What the PostgreSQL store itself found wrong (the server's own failures are `ServerDatabaseFailure`s).
enum PGStoreError: Error {
    case inconsistent(String)
}
