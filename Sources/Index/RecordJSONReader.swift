import PubMedRecords

/// Reads back, from a stored record's JSON (the shape `RecordJSONWriter` writes), the fields its
/// search document is made of, without Foundation's JSONDecoder: the writer needs the document of
/// every stored record an update file replaces (FTS5 is told to remove exactly what it indexed),
/// and JSONDecoder took about 70 µs a record there, which doubled the time of a file replacing all
/// its records. A test holds the two equal on every record of the real files.
enum RecordJSONReader {
    /// The record's searched fields, or nil when the bytes are not such a record.
    static func record(_ json: [UInt8]) -> PubMedRecord? {
        json.withUnsafeBufferPointer { buffer -> PubMedRecord? in
            var reader = JSONReader(buffer)
            var record = PubMedRecord(pmid: 0)
            var sawTitle = false, sawPMID = false
            do {
                try reader.object { reader, key in
                    if key == "title" { sawTitle = true }
                    if key == "pmid" { sawPMID = true }
                    try read(key, into: &record, &reader)
                }
            } catch {
                return nil
            }
            return sawTitle && sawPMID ? record : nil
        }
    }

    private static func read(_ key: String, into record: inout PubMedRecord, _ reader: inout JSONReader) throws {
        switch key {
        case "pmid": record.pmid = try reader.int()
        case "version": record.version = try reader.int()
        case "kind": record.kind = try reader.string() == "book" ? .book : .article
        case "status": record.status = try reader.string()
        case "title": record.title = try reader.string()
        case "abstract": record.abstract = try reader.string()
        case "abstractSections": try reader.array { reader in record.abstractSections.append(.init(text: try text(&reader))) }
        case "otherAbstracts": try reader.array { reader in record.otherAbstracts.append(.init(text: try text(&reader))) }
        case "keywords": record.keywords = try strings(&reader)
        case "publicationTypes": record.publicationTypes = try strings(&reader)
        case "languages": record.languages = try strings(&reader)
        case "citationSubsets": record.citationSubsets = try strings(&reader)
        case "pages": record.pages = try reader.string()
        case "year": record.year = try reader.int()
        case "pmcid": record.pmcid = try reader.string()
        default: try readLists(key, into: &record, &reader)
        }
    }

    private static func readLists(_ key: String, into record: inout PubMedRecord, _ reader: inout JSONReader) throws {
        switch key {
        case "authors": try reader.array { reader in record.authors.append(try person(&reader)) }
        case "investigators": try reader.array { reader in record.investigators.append(try person(&reader)) }
        case "meshHeadings": try reader.array { reader in record.meshHeadings.append(try heading(&reader)) }
        case "chemicals":
            try reader.array { reader in
                var chemical = PubMedRecord.Chemical(name: "")
                try reader.object { reader, key in
                    switch key {
                    case "name": chemical.name = try reader.string()
                    case "registryNumber": chemical.registryNumber = try reader.string()
                    default: try reader.skip()
                    }
                }
                record.chemicals.append(chemical)
            }
        case "grants":
            try reader.array { reader in
                var grant = PubMedRecord.Grant()
                try reader.object { reader, key in
                    switch key {
                    case "grantID": grant.grantID = try reader.string()
                    case "acronym": grant.acronym = try reader.string()
                    case "agency": grant.agency = try reader.string()
                    default: try reader.skip()
                    }
                }
                record.grants.append(grant)
            }
        case "articleIds": try reader.array { reader in record.articleIds.append(try identifier(&reader)) }
        case "elocationIds":
            try reader.array { reader in
                let id = try identifier(&reader)
                record.elocationIds.append(.init(type: id.type, value: id.value))
            }
        default: try readDates(key, into: &record, &reader)
        }
    }

    private static func readDates(_ key: String, into record: inout PubMedRecord, _ reader: inout JSONReader) throws {
        switch key {
        case "journal": record.journal = try journal(&reader)
        case "pubDate":
            var date = PubMedRecord.PubDate()
            try reader.object { reader, key in
                switch key {
                case "year": date.year = try reader.int()
                case "month": date.month = try reader.int()
                case "day": date.day = try reader.int()
                case "medlineDate": date.medlineDate = try reader.string()
                case "season": date.season = try reader.string()
                default: try reader.skip()
                }
            }
            record.pubDate = date
        case "articleDates":
            try reader.array { reader in
                let (year, month, day, _) = try parts(&reader)
                record.articleDates.append(.init(year: year, month: month, day: day))
            }
        case "history":
            try reader.array { reader in
                let (year, month, day, status) = try parts(&reader)
                if let year, let status { record.history.append(.init(status: status, year: year, month: month, day: day)) }
            }
        case "dateCompleted", "dateRevised":
            let (year, month, day, _) = try parts(&reader)
            let date = year.map { PubMedRecord.SimpleDate(year: $0, month: month, day: day) }
            if key == "dateCompleted" { record.dateCompleted = date } else { record.dateRevised = date }
        default:
            try reader.skip()
        }
    }

    // MARK: - Parts

    private static func strings(_ reader: inout JSONReader) throws -> [String] {
        var values: [String] = []
        try reader.array { reader in values.append(try reader.string()) }
        return values
    }

    /// The `text` of an abstract section or another abstract.
    private static func text(_ reader: inout JSONReader) throws -> String {
        var text = ""
        try reader.object { reader, key in if key == "text" { text = try reader.string() } else { try reader.skip() } }
        return text
    }

    private static func person(_ reader: inout JSONReader) throws -> PubMedRecord.Author {
        var person = PubMedRecord.Author()
        try reader.object { reader, key in
            switch key {
            case "lastName": person.lastName = try reader.string()
            case "foreName": person.foreName = try reader.string()
            case "initials": person.initials = try reader.string()
            case "collectiveName": person.collectiveName = try reader.string()
            case "orcid": person.orcid = try reader.string()
            case "affiliations": person.affiliations = try strings(&reader)
            default: try reader.skip()
            }
        }
        return person
    }

    private static func heading(_ reader: inout JSONReader) throws -> PubMedRecord.MeshHeading {
        var heading = PubMedRecord.MeshHeading(descriptor: "")
        try reader.object { reader, key in
            switch key {
            case "descriptor": heading.descriptor = try reader.string()
            case "majorTopic": heading.majorTopic = try reader.bool()
            case "qualifiers":
                try reader.array { reader in
                    var qualifier = PubMedRecord.MeshQualifier(name: "")
                    try reader.object { reader, key in
                        switch key {
                        case "name": qualifier.name = try reader.string()
                        case "majorTopic": qualifier.majorTopic = try reader.bool()
                        default: try reader.skip()
                        }
                    }
                    heading.qualifiers.append(qualifier)
                }
            default: try reader.skip()
            }
        }
        return heading
    }

    private static func identifier(_ reader: inout JSONReader) throws -> PubMedRecord.ArticleID {
        var id = PubMedRecord.ArticleID(type: "", value: "")
        try reader.object { reader, key in
            switch key {
            case "type": id.type = try reader.string()
            case "value": id.value = try reader.string()
            default: try reader.skip()
            }
        }
        return id
    }

    private static func journal(_ reader: inout JSONReader) throws -> PubMedRecord.Journal {
        var journal = PubMedRecord.Journal()
        try reader.object { reader, key in
            switch key {
            case "title": journal.title = try reader.string()
            case "isoAbbreviation": journal.isoAbbreviation = try reader.string()
            case "medlineTA": journal.medlineTA = try reader.string()
            case "nlmUniqueID": journal.nlmUniqueID = try reader.string()
            case "issn": journal.issn = try reader.string()
            case "issnLinking": journal.issnLinking = try reader.string()
            case "volume": journal.volume = try reader.string()
            case "issue": journal.issue = try reader.string()
            default: try reader.skip()
            }
        }
        return journal
    }

    /// Year, month and day of a date object, and its `status` (history dates).
    private static func parts(_ reader: inout JSONReader) throws -> (Int?, Int?, Int?, String?) {
        var year: Int?, month: Int?, day: Int?, status: String?
        try reader.object { reader, key in
            switch key {
            case "year": year = try reader.int()
            case "month": month = try reader.int()
            case "day": day = try reader.int()
            case "status": status = try reader.string()
            default: try reader.skip()
            }
        }
        return (year, month, day, status)
    }
}
