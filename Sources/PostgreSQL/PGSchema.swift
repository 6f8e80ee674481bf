import PubMedIndex
import PubMedSupport

/// The store's tables in one PostgreSQL schema (README, "The PostgreSQL store"): one `article` row
/// per (PMID, version) with the fields researchers filter on, the record as JSON and its original
/// XML; child tables keyed by (PMID, version) for what a record has many of; the deletion log, the
/// files applied and the high-water mark. Search reads three stored `tsvector`s made by the
/// client (`SearchVectors`) under GIN indexes; the child tables' btree indexes (`childIndexes`)
/// serve SQL users.
///
/// A schema holds one index; `pubmed_mirror.index_schema` says which one answers, and the views
/// in schema `pubmed` show it (`PGCatalog`), so a rebuild or a new cycle is built beside the live
/// one and switched to in one transaction.
enum PGSchema {
    /// The version this pubmed-mirror writes; `meta.schema_version` holds the database's.
    /// Version 2 keeps the first and last authors as weights of the author's code and no PMID
    /// codes (`SearchVectors.codePlace`), where a pubmed-mirror that reads version 1 alone would
    /// not find them: it refuses the schema instead, as made by a newer pubmed-mirror.
    static let version = 2
    /// The versions this pubmed-mirror reads. A version-1 schema's rows keep their codes, which
    /// searches look for too, and its next writer makes it version 2 before writing rows of its own.
    static let readable = 1...version

    /// The record counts `meta` keeps (`current_records`, `versions`), changed by each file's
    /// transaction (`PGWriter`), so that `status` does not count the rows: a count reads the whole
    /// table (3.5 GB at 1.2 million records) unless a VACUUM has just marked its pages visible to all.
    /// `counts_seq` is the high-water mark they were kept to: a writer that does not keep them (an
    /// earlier pubmed-mirror, which wrote version 1 too) moves `last_seq` and leaves it
    /// behind, and then readers count the rows and the next writer counts them anew.
    static let counts = ["current_records", "versions", "counts_seq"]

    /// Whether the kept counts are those of the records as they are: SQL over `meta` of `schema`.
    static func countsKept(_ schema: String) -> String {
        let s = PGCatalog.quote(schema)
        return "(SELECT value FROM \(s).meta WHERE key = 'counts_seq') IS NOT DISTINCT FROM (SELECT value FROM \(s).meta WHERE key = 'last_seq')"
    }

    /// The tables every index schema has, in the order views are made for them.
    static let tables = [
        "article", "author", "mesh_heading", "mesh_qualifier", "publication_type", "keyword", "chemical",
        "article_grant", "article_id", "comment_correction", "deletion", "applied_file", "meta",
    ]

    /// Creates the tables of `schema` (which must not hold them yet).
    static func create(_ schema: String) -> String {
        let s = PGCatalog.quote(schema)
        return """
        CREATE SCHEMA IF NOT EXISTS \(s);
        CREATE TABLE \(s).meta (key text PRIMARY KEY, value text NOT NULL);
        INSERT INTO \(s).meta VALUES ('schema_version', '\(version)'), ('last_seq', '0'), \(counts.map { "('\($0)', '0')" }.joined(separator: ", "));
        CREATE TABLE \(s).article (
            pmid integer NOT NULL,
            version integer NOT NULL,
            is_current boolean NOT NULL,
            seq bigint NOT NULL,
            kind text NOT NULL,
            status text,
            year integer,
            pub_date integer,
            title text NOT NULL,
            abstract text,
            journal text,
            journal_title text,
            nlm_unique_id text,
            issn text,
            volume text,
            issue text,
            pages text,
            doi text,
            pmcid text,
            languages text[] NOT NULL,
            first_author text,
            date_completed date,
            date_revised date,
            source_file text NOT NULL,
            record json NOT NULL,
            xml text NOT NULL,
            text_words tsvector NOT NULL,
            people_words tsvector NOT NULL,
            codes tsvector NOT NULL,
            PRIMARY KEY (pmid, version)
        );
        ALTER TABLE \(s).article ALTER COLUMN record SET COMPRESSION lz4, ALTER COLUMN xml SET COMPRESSION lz4,
            ALTER COLUMN abstract SET COMPRESSION lz4, ALTER COLUMN text_words SET COMPRESSION lz4,
            ALTER COLUMN people_words SET COMPRESSION lz4, ALTER COLUMN codes SET COMPRESSION lz4;
        \(vectorsInline(schema));
        CREATE UNIQUE INDEX article_current ON \(s).article (pmid) WHERE is_current;
        CREATE INDEX article_seq ON \(s).article (seq);
        CREATE INDEX article_year ON \(s).article (year);
        CREATE INDEX article_journal ON \(s).article (journal);
        CREATE INDEX article_doi ON \(s).article (lower(doi)) WHERE doi IS NOT NULL;
        CREATE INDEX article_pmcid ON \(s).article (pmcid) WHERE pmcid IS NOT NULL;
        \(orderIndexes.map { createOrderIndex(schema, $0) }.joined(separator: ";\n"));
        CREATE TABLE \(s).author (
            pmid integer NOT NULL, version integer NOT NULL, role text NOT NULL, position integer NOT NULL,
            last_name text, fore_name text, initials text, suffix text, collective_name text, orcid text,
            affiliations text[] NOT NULL,
            PRIMARY KEY (pmid, version, role, position)
        );
        CREATE TABLE \(s).mesh_heading (
            pmid integer NOT NULL, version integer NOT NULL, position integer NOT NULL,
            descriptor text NOT NULL, descriptor_ui text, major_topic boolean NOT NULL,
            PRIMARY KEY (pmid, version, position)
        );
        CREATE TABLE \(s).mesh_qualifier (
            pmid integer NOT NULL, version integer NOT NULL, heading integer NOT NULL, position integer NOT NULL,
            name text NOT NULL, ui text, major_topic boolean NOT NULL,
            PRIMARY KEY (pmid, version, heading, position)
        );
        CREATE TABLE \(s).publication_type (
            pmid integer NOT NULL, version integer NOT NULL, position integer NOT NULL, name text NOT NULL, ui text,
            PRIMARY KEY (pmid, version, position)
        );
        CREATE TABLE \(s).keyword (
            pmid integer NOT NULL, version integer NOT NULL, position integer NOT NULL, keyword text NOT NULL,
            PRIMARY KEY (pmid, version, position)
        );
        CREATE TABLE \(s).chemical (
            pmid integer NOT NULL, version integer NOT NULL, position integer NOT NULL,
            name text NOT NULL, registry_number text, ui text,
            PRIMARY KEY (pmid, version, position)
        );
        CREATE TABLE \(s).article_grant (
            pmid integer NOT NULL, version integer NOT NULL, position integer NOT NULL,
            grant_id text, acronym text, agency text, country text,
            PRIMARY KEY (pmid, version, position)
        );
        CREATE TABLE \(s).article_id (
            pmid integer NOT NULL, version integer NOT NULL, position integer NOT NULL, id_type text NOT NULL, value text NOT NULL,
            PRIMARY KEY (pmid, version, position)
        );
        CREATE TABLE \(s).comment_correction (
            pmid integer NOT NULL, version integer NOT NULL, position integer NOT NULL,
            ref_type text NOT NULL, ref_source text, ref_pmid integer,
            PRIMARY KEY (pmid, version, position)
        );
        CREATE TABLE \(s).deletion (
            seq bigint PRIMARY KEY, pmid integer NOT NULL, version integer NOT NULL, source_file text NOT NULL
        );
        CREATE TABLE \(s).applied_file (
            name text PRIMARY KEY, folder text NOT NULL, cycle integer, number integer, md5 text NOT NULL,
            applied_at timestamptz NOT NULL, records integer NOT NULL, inserted integer NOT NULL, replaced integer NOT NULL,
            deleted integer NOT NULL, deletions_absent integer NOT NULL, first_seq bigint, last_seq bigint,
            seconds double precision NOT NULL, position integer NOT NULL
        );
        """
    }

    /// Keeps the three word vectors in the article row, compressed, rather than in the TOAST table
    /// (PostgreSQL moves them out only if a row would not fit in a page); the record and its XML still go
    /// there. A search tests or ranks the vectors of every hit, and a vector out of line costs a TOAST
    /// index lookup and more pages each time it is read (twice for a ranked tagged word: the weights'
    /// recheck, then `ts_rank`). Measured on 240,000 records: `cancer[tiab]`'s statement 51–87 ms
    /// against 24 ms inline, the MeSH heading with years 21–33 against 10–13 ms; the table's heap
    /// twice the size, the whole database 2 % smaller. A schema made before this keeps its settings
    /// until a writer opens it (`PostgreSQLRecordStore`); rows written before stay out of line until
    /// rewritten (`VACUUM FULL`, or `index --rebuild`).
    static func vectorsInline(_ schema: String) -> String {
        "ALTER TABLE \(PGCatalog.quote(schema)).article " + inlineVectors.map { "ALTER COLUMN \($0) SET STORAGE MAIN" }.joined(separator: ", ")
    }

    static let inlineVectors = ["text_words", "people_words", "codes"]

    /// The full-text indexes, made once a bulk load is done (`PostgreSQLRecordStore.finishRun`):
    /// built whole they cost about half what keeping them up row by row costs (measured on a
    /// 30,000-record baseline file: 4.7 s against 8.5 s of COPY), and every file applied after
    /// that goes into GIN's pending list (`fastupdate`), which holds 64 MB rather than 4 so that a
    /// daily file fits, and which the writer merges after each file.
    /// The longest build first (on 30,000 records `codes` 1.9 s, 2.4 s before its first and last
    /// authors became weights, `text_words` 1.1-1.5 s, `people_words` 0.35 s), since the run's end
    /// does them at once in a few sessions.
    static let searchIndexes = [("article_codes", "codes"), ("article_text_words", "text_words"), ("article_people_words", "people_words")]

    static func createSearchIndex(_ schema: String, name: String, column: String) -> String {
        "CREATE INDEX IF NOT EXISTS \(name) ON \(PGCatalog.quote(schema)).article USING gin (\(column)) WITH (fastupdate = on, gin_pending_list_limit = 65536)"
    }

    /// The current records in the orders a search sorts by (besides PMID, which `article_current`
    /// gives), for sorted searches to walk (`PGOrderedPage`); each key ends with the PMID, as the
    /// sort does. A schema made before them gets them from its next writer
    /// (`PostgreSQLRecordStore`); until then its sorted searches sort every hit. The first author
    /// is sorted by its first 250 characters (at most 1,000 bytes): rows written before it was kept
    /// to a btree's size (`CopyText.key`) may hold a longer one, which would fail the index's build.
    static let orderIndexes: [OrderIndex] = [
        OrderIndex(sort: .pubDate, name: "article_current_date", key: "pub_date DESC NULLS LAST, pmid DESC"),
        OrderIndex(sort: .firstAuthor, name: "article_current_author", key: "left(lower(first_author), 250) COLLATE \"C\" NULLS FIRST, pmid DESC"),
        OrderIndex(sort: .journal, name: "article_current_journal", key: "lower(journal) COLLATE \"C\" NULLS FIRST, pmid DESC"),
    ]

    /// An index of the current records in the order of `sort`, its key that order's `ORDER BY`.
    struct OrderIndex: Sendable {
        var sort: SearchSort
        var name: String
        var key: String
    }

    static func orderIndex(for sort: SearchSort) -> OrderIndex? { orderIndexes.first { $0.sort == sort } }

    static func createOrderIndex(_ schema: String, _ index: OrderIndex) -> String {
        "CREATE INDEX IF NOT EXISTS \(index.name) ON \(PGCatalog.quote(schema)).article (\(index.key)) WHERE is_current"
    }

    /// The child tables' indexes by value. They serve SQL users (a search reads `article` alone),
    /// and are made, like the full-text indexes, once a bulk load is done
    /// (`PostgreSQLRecordStore.finishRun`): built whole they cost a third of what keeping them up
    /// row by row costs (the 288,334 MeSH headings of a 30,000-record file: 0.16 s against 0.43 s
    /// of a COPY that took 0.76 s in all), and the load's COPYs are the run's one stream. Each run's
    /// end builds those missing (one dropped by hand comes back). Their values are cut to
    /// `CopyText.maximumKeyBytes`, so that no entry outgrows a btree page (two of them, in
    /// `author_name`, stay under its 2,704 bytes).
    static let childIndexes: [ChildIndex] = [
        ChildIndex(name: "author_name", table: "author", key: "lower(last_name), initials"),
        ChildIndex(name: "author_orcid", table: "author", key: "orcid", predicate: "orcid IS NOT NULL"),
        ChildIndex(name: "mesh_heading_descriptor", table: "mesh_heading", key: "descriptor"),
        ChildIndex(name: "mesh_qualifier_name", table: "mesh_qualifier", key: "name"),
        ChildIndex(name: "publication_type_name", table: "publication_type", key: "name"),
        ChildIndex(name: "keyword_keyword", table: "keyword", key: "lower(keyword)"),
        ChildIndex(name: "chemical_name", table: "chemical", key: "name"),
        ChildIndex(name: "article_grant_agency", table: "article_grant", key: "agency"),
        ChildIndex(name: "article_id_value", table: "article_id", key: "value"),
        ChildIndex(name: "comment_correction_ref", table: "comment_correction", key: "ref_pmid", predicate: "ref_pmid IS NOT NULL"),
    ]

    struct ChildIndex: Sendable {
        var name: String
        var table: String
        var key: String
        var predicate: String?
    }

    static func createChildIndex(_ schema: String, _ index: ChildIndex) -> String {
        "CREATE INDEX IF NOT EXISTS \(index.name) ON \(PGCatalog.quote(schema)).\(index.table) (\(index.key))"
            + (index.predicate.map { " WHERE \($0)" } ?? "")
    }

    /// The columns of `article` whose statistics a bulk load's end gathers (`ANALYZE` with a column
    /// list), those searches filter and sort on: the planner's estimate of a search's hits (which
    /// `PostgreSQLRecordStore.cutsRanking` reads) comes from the vectors' and `is_current`'s. The
    /// others' (titles, abstracts, the record and its XML, a dozen text fields) are for SQL users,
    /// and gathering them doubled the time (1.2-1.7 s against 0.6-0.9 s on 30,000 records), at the
    /// run's end, with one core idle: autovacuum gathers them soon after, since an `ANALYZE` of some
    /// columns leaves the table's count of changed rows as it was.
    static let searchedColumns = ["pmid", "version", "is_current", "seq", "year", "pub_date", "journal", "first_author",
                                  "text_words", "people_words", "codes"]

    /// The child tables, whose rows go with their (PMID, version).
    static let childTables = ["author", "mesh_heading", "mesh_qualifier", "publication_type", "keyword", "chemical",
                              "article_grant", "article_id", "comment_correction"]
}
