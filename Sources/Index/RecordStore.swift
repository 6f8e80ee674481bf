import Foundation
import PubMedQuery
import PubMedRecords
import PubMedSupport

/// Where parsed records live: the semantics of applying NCBI's files (NCBI.md) behind one interface.
/// The SQLite store implements it today; a PostgreSQL store can follow without touching the parser,
/// the indexer or the commands.
public protocol RecordStore: AnyObject, Sendable {
    /// Which index this is, for messages and to tell one index from the next after a switch: the
    /// SQLite file's path, or the PostgreSQL database and schema.
    var location: String { get }

    /// Files applied so far, in the order they were applied.
    func appliedFiles() throws(IndexError) -> [AppliedFile]

    /// Applies one file in one transaction: all of its records and deletions, or nothing. `produce`
    /// runs (on a thread of its own) while the transaction is open and hands every item of the file
    /// to the sink it is given.
    func apply(_ file: FileIdentity,
               produce: @escaping @Sendable (_ sink: (ArticleFileItem) throws -> Void) throws -> Void) throws(IndexError) -> AppliedFile

    /// Reads a PubMed file (`.xml.gz` or `.xml`) and applies it in one transaction, as
    /// `apply(_:produce:)`. An empty `file.md5` asks for the file's MD5 to be computed as it is read
    /// (and recorded). A set `cancellation` stops the file at the next batch, rolled back.
    func apply(_ file: FileIdentity, contentsOf url: URL, cancellation: CancellationFlag) throws(IndexError) -> AppliedFile

    /// A page of the current records that match, in the order asked for; each hit's JSON only when
    /// `withJSON` (it is read from the stored blocks, which a list of titles does not need).
    func search(_ request: SearchRequest, withJSON: Bool) throws(IndexError) -> SearchResult

    /// How many current records match.
    func count(_ query: PubMedQuery, mesh: (any MeshVocabulary)?) throws(IndexError) -> Int

    /// One record: the current version, or the given one; its original XML only when `withXML`
    /// (it is inflated from the file's stream, which the other formats do not need).
    func record(pmid: Int, version: Int?, withXML: Bool) throws(IndexError) -> StoredRecord?

    /// The current records of `pmids`, in that order (nil for a PMID not in the index), in one
    /// consistent read: what a page of search hits or `show` of several PMIDs needs.
    func records(_ pmids: [Int], withXML: Bool) throws(IndexError) -> [StoredRecord?]

    /// Stops the read running on this store from another thread (it throws
    /// `IndexError.interrupted`); nothing when none runs. A server's time limit per query.
    func interrupt()

    /// Every current record (`since` nil), or every change after `since`; returns the high-water
    /// mark. Throws an `IndexError`, or what `body` threw, unchanged (a destination that cannot be
    /// written stops the export with its own error).
    func export(since: Int64?, _ body: (ExportItem) throws -> Void) throws -> Int64

    /// Counts for `status`.
    func counts() throws(IndexError) -> IndexCounts

    /// For an index built to replace one whose high-water mark is `mark` (an annual rollover, a
    /// rebuild): its changes are numbered after that index's, and an export since a number up to
    /// `mark` is refused (`IndexError.sinceEarlierIndex`), since such a number counts the changes of
    /// the index replaced, and what differs between the two (the records a new baseline left out)
    /// is in no change set. Kept when called again with a mark no higher.
    func continueNumbering(after mark: Int64) throws(IndexError)

    /// Once a run has applied its files: what the store does after them (the PostgreSQL store
    /// builds its full-text indexes after a bulk load, and otherwise merges what is still in
    /// their pending lists; the SQLite store merges its full-text index into one segment once most
    /// of its baseline came since the last merge). Returns a warning for the log when something
    /// that the applied files do not depend on failed or was stopped by `cancellation`.
    @discardableResult
    func finishRun(cancellation: CancellationFlag) throws(IndexError) -> String?
}

extension RecordStore {
    /// `finishRun` that nothing interrupts.
    @discardableResult
    public func finishRun() throws(IndexError) -> String? {
        try finishRun(cancellation: CancellationFlag())
    }

    /// Refuses an export since a number this index did not give (`IndexError.sinceAhead`,
    /// `.sinceEarlierIndex`); 0 asks for every change and is always taken.
    public static func checkSince(_ since: Int64, mark: Int64, replacedMark: Int64) throws(IndexError) {
        if since > mark { throw .sinceAhead(since: since, mark: mark) }
        if since > 0, since <= replacedMark { throw .sinceEarlierIndex(since: since, replacedMark: replacedMark) }
    }

    /// One record with its original XML.
    public func record(pmid: Int, version: Int?) throws(IndexError) -> StoredRecord? {
        try record(pmid: pmid, version: version, withXML: true)
    }

    public func apply(_ file: FileIdentity, contentsOf url: URL) throws(IndexError) -> AppliedFile {
        try apply(file, contentsOf: url, cancellation: CancellationFlag())
    }
}

/// The file a batch of records came from.
public struct FileIdentity: Sendable, Equatable {
    /// `pubmed26n0001.xml.gz`, or the base name of a file given with `index --file`.
    public var name: String
    /// `baseline`, `updatefiles`, or `local` for `index --file`.
    public var folder: String
    public var cycle: Int?
    public var number: Int?
    /// MD5 of the compressed file, so that a republished file is applied again.
    public var md5: String

    public init(name: String, folder: String, cycle: Int?, number: Int?, md5: String) {
        self.name = name
        self.folder = folder
        self.cycle = cycle
        self.number = number
        self.md5 = md5
    }
}

/// A file the store has applied, with what it did.
public struct AppliedFile: Sendable, Equatable, Codable {
    public var name: String
    public var folder: String
    public var cycle: Int?
    public var number: Int?
    public var md5: String
    public var appliedAt: Date
    /// Records in the file (articles and books).
    public var records: Int
    /// Of those, (PMID, version)s new to the store, and ones that replaced a stored copy.
    public var inserted: Int
    public var replaced: Int
    /// Deletions that removed a stored record, and deletions of records the store did not have.
    public var deleted: Int
    public var deletionsAbsent: Int
    /// The change sequence numbers this file used.
    public var firstSeq: Int64?
    public var lastSeq: Int64?
    public var seconds: Double

    public init(name: String, folder: String, cycle: Int?, number: Int?, md5: String, appliedAt: Date, records: Int, inserted: Int,
                replaced: Int, deleted: Int, deletionsAbsent: Int, firstSeq: Int64?, lastSeq: Int64?, seconds: Double) {
        self.name = name
        self.folder = folder
        self.cycle = cycle
        self.number = number
        self.md5 = md5
        self.appliedAt = appliedAt
        self.records = records
        self.inserted = inserted
        self.replaced = replaced
        self.deleted = deleted
        self.deletionsAbsent = deletionsAbsent
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.seconds = seconds
    }
}

/// One search result.
public struct SearchHit: Sendable {
    public var pmid: Int
    public var version: Int
    public var year: Int?
    public var title: String
    public var journal: String?
    /// bm25 score: lower is better.
    public var rank: Double
    /// The record as JSON (the shape `show` and `export` print); empty when not asked for.
    public var json: [UInt8]

    public init(pmid: Int, version: Int, year: Int?, title: String, journal: String?, rank: Double, json: [UInt8]) {
        self.pmid = pmid
        self.version = version
        self.year = year
        self.title = title
        self.journal = journal
        self.rank = rank
        self.json = json
    }
}

/// One stored record: the parsed record and the original XML, exactly as in the file.
public struct StoredRecord: Sendable {
    /// The record, decoded from its JSON (only when asked for: `show --format json` and `xml` print
    /// the stored bytes as they are).
    public var record: PubMedRecord {
        get throws { try JSONDecoder().decode(PubMedRecord.self, from: Data(json)) }
    }
    public var json: [UInt8]
    /// Empty when not asked for.
    public var xml: [UInt8]
    public var isCurrent: Bool
    /// Every version of this PMID the store holds.
    public var versions: [Int]

    public init(json: [UInt8], xml: [UInt8], isCurrent: Bool, versions: [Int]) {
        self.json = json
        self.xml = xml
        self.isCurrent = isCurrent
        self.versions = versions
    }
}

public enum ExportItem: Sendable {
    /// A current record, as JSON.
    case record(json: [UInt8], pmid: Int, version: Int)
    /// A (PMID, version) that a DeleteCitation removed.
    case deletion(pmid: Int, version: Int)

    /// The item as one line of `export`'s JSON lines, without the newline: the record's JSON (the
    /// shape of `RecordJSONWriter`), or `{"deleted":true,"pmid":…,"version":…}`. The one place the
    /// deletion's shape is written, beside the record's.
    public var jsonLine: [UInt8] {
        switch self {
        case .record(let json, _, _): json
        case .deletion(let pmid, let version): Array("{\"deleted\":true,\"pmid\":\(pmid),\"version\":\(version)}".utf8)
        }
    }
}

public struct IndexCounts: Sendable, Codable {
    /// Current records (one per PMID).
    public var current: Int
    /// All stored versions.
    public var versions: Int
    public var files: Int
    public var highWaterMark: Int64

    public init(current: Int, versions: Int, files: Int, highWaterMark: Int64) {
        self.current = current
        self.versions = versions
        self.files = files
        self.highWaterMark = highWaterMark
    }
}
