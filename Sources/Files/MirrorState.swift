import PubMedSupport

/// The mirror's state (the seed's "metadata"): the ledger of files, with the size, MD5 and listing
/// of each, the journal of fetch runs, and what each publish target holds. Kept in the mirror
/// folder's `state.sqlite` (`SQLiteStateStore`), or, with `--database`, in the PostgreSQL server
/// beside the shared index, so that any machine with the URL can read it.
///
/// One writer at a time: a writable state holds its store's lock (the folder's file lock, or the
/// database's ledger lock) for as long as it is open. Its methods may be called from several
/// threads (parallel downloads record their files as they finish).
public protocol MirrorState: AnyObject, Sendable {
    /// Where the state is kept, for messages: a path, or the database's URL (never a password).
    var location: String { get }

    /// Every file the ledger knows, in NCBI's order.
    func files() throws(MirrorError) -> [MirroredFile]
    func save(_ file: MirroredFile) throws(MirrorError)
    /// Saves `files` in one transaction.
    func save(_ files: [MirroredFile]) throws(MirrorError)
    /// Removes files from the ledger (after a rollover pruned them).
    func forget(_ files: [MirroredFile]) throws(MirrorError)

    /// Records the start of a fetch run and returns it with its id.
    func startRun(source: String) throws(MirrorError) -> FetchRun
    func finish(_ run: FetchRun) throws(MirrorError)
    /// The most recent runs, newest first.
    func runs(limit: Int) throws(MirrorError) -> [FetchRun]

    /// What the ledger knows of one target's files.
    func publishedFiles(target: String) throws(MirrorError) -> [PublishedFile]
    func save(_ file: PublishedFile) throws(MirrorError)
    /// Forgets files deleted from a target.
    func forget(_ files: [PublishedFile]) throws(MirrorError)
    func startPublishRun(target: String) throws(MirrorError) -> PublishRun
    func finish(_ run: PublishRun) throws(MirrorError)
    /// Every target published to, with its file count and bytes and its newest run, by target.
    func publishTargets() throws(MirrorError) -> [PublishedTarget]

    /// Holds, for as long as the state is open, the lock of publishing this mirror to `key` (a
    /// target's URL), so that no other machine publishes to it at once. A folder's state needs none:
    /// the folder's own publish lock already keeps its runs apart (the default); the database's
    /// state, which several machines share, takes one in the server.
    func lockTarget(_ key: String) throws(MirrorError)
}

extension MirrorState {
    public func lockTarget(_ key: String) throws(MirrorError) {}

    /// Whether no fetch has recorded anything yet.
    public func isEmpty() throws(MirrorError) -> Bool {
        guard try runs(limit: 1).isEmpty else { return false }
        return try files().isEmpty
    }
}

/// Everything a state holds: what moves when a mirror's state moves to another store (a folder's
/// `state.sqlite` into the database, the first time `--database` is given).
public struct StateContents: Sendable, Equatable {
    public var files: [MirroredFile] = []
    /// Oldest first.
    public var runs: [FetchRun] = []
    public var publishedFiles: [PublishedFile] = []
    /// Oldest first.
    public var publishRuns: [PublishRun] = []

    public init() {}

    public var isEmpty: Bool { files.isEmpty && runs.isEmpty && publishedFiles.isEmpty && publishRuns.isEmpty }
}
