/// The text of one record, column by column, as the full-text index holds it.
struct SearchText: Sendable, Equatable {
    var title: String
    var abstract: String
    var keywords: String
    var mesh: String
    var authors: String
    var journal: String
    var types: String

    init(_ record: PubMedRecord) {
        title = [record.title, record.vernacularTitle].compactMap { $0 }.joined(separator: " ")
        abstract = ([record.abstract] + record.otherAbstracts.map(\.text)).compactMap { $0 }.joined(separator: "\n")
        keywords = record.keywords.joined(separator: "; ")
        mesh = record.meshHeadings.flatMap { [$0.descriptor] + $0.qualifiers.map(\.name) }.joined(separator: "; ")
        authors = record.authors.map { author in
            author.collectiveName ?? [author.lastName, author.foreName, author.initials].compactMap { $0 }.joined(separator: " ")
        }.joined(separator: "; ")
        journal = [record.journal?.title, record.journal?.isoAbbreviation, record.journal?.medlineTA]
            .compactMap { $0 }.joined(separator: "; ")
        types = record.publicationTypes.joined(separator: "; ")
    }
}
