import Foundation

/// What `status` shows: the mirror as the database and the disk know it, without the network.
public struct MirrorStatus: Sendable {
    public struct FolderCounts: Sendable {
        public var folder: MirrorFolder
        public var mirrored = 0
        public var missing = 0
        public var damaged = 0
        public var gone = 0
        public var bytes: Int64 = 0
        /// Lowest and highest mirrored file, in NCBI's order.
        public var first: String?
        public var last: String?
    }

    public struct Pending: Sendable {
        public var folder: MirrorFolder
        public var name: String
        public var status: MirroredFile.Status
        public var error: String?
        /// Bytes already in `NAME.partial`, which the next fetch resumes.
        public var partialBytes: Int64?
    }

    public var mirrorPath: String
    public var exists: Bool
    public var folders: [FolderCounts]
    public var lastRun: FetchRun?
    /// The last run that ended `up-to-date` or `updated`.
    public var lastSuccess: FetchRun?
    public var pending: [Pending]
    /// The index, when there is one: its counts, and mirrored files it has not applied yet.
    public var index: IndexCounts?
    public var indexPath: String?
    public var notIndexed: [String] = []
    /// Why the index could not be read, when it could not.
    public var indexError: String?
    /// An annual rollover under way: the mirror holds a newer baseline cycle than the index in use.
    public var rollover: RolloverState?

    public var totalBytes: Int64 { folders.reduce(0) { $0 + $1.bytes } }
    public var totalFiles: Int { folders.reduce(0) { $0 + $1.mirrored } }
}

extension Mirror {
    public func status() throws(MirrorError) -> MirrorStatus {
        var status = MirrorStatus(mirrorPath: layout.root.path, exists: false,
                                  folders: MirrorFolder.allCases.map { MirrorStatus.FolderCounts(folder: $0) },
                                  lastRun: nil, lastSuccess: nil, pending: [])
        guard let store = try existingState() else { return status }
        status.exists = true
        let records = try store.files()
        for record in records {
            let index = record.folder == .baseline ? 0 : 1
            switch record.status {
            case .mirrored:
                status.folders[index].mirrored += 1
                status.folders[index].bytes += record.size ?? 0
                status.folders[index].first = status.folders[index].first ?? record.name
                status.folders[index].last = record.name
            case .missing: status.folders[index].missing += 1
            case .damaged: status.folders[index].damaged += 1
            case .gone: status.folders[index].gone += 1
            }
            if record.status == .missing || record.status == .damaged || (record.status == .mirrored && record.lastError != nil) {
                status.pending.append(.init(folder: record.folder, name: record.name, status: record.status, error: record.lastError,
                                            partialBytes: layout.size(of: layout.partial(record.folder, record.name))))
            }
        }
        let runs = try store.runs(limit: 200)
        status.lastRun = runs.first
        status.lastSuccess = runs.first { $0.outcome == FetchReport.Outcome.upToDate.rawValue || $0.outcome == FetchReport.Outcome.updated.rawValue }
        if FileManager.default.fileExists(atPath: indexURL.path) {
            status.indexPath = indexURL.path
            do throws(IndexError) {
                let store = try openIndex()
                status.index = try store.counts()
                let appliedFiles = try store.appliedFiles()
                let applied = Dictionary(appliedFiles.map { ($0.name, $0.md5) }, uniquingKeysWith: { $1 })
                let newest = records.filter { $0.status == .mirrored && $0.folder == .baseline }.map(\.cycle).max()
                status.notIndexed = records
                    .filter { $0.status == .mirrored && $0.cycle == newest && applied[$0.name] != $0.md5 }
                    .map { "\($0.folder.rawValue)/\($0.name)" }
                let live = appliedFiles.compactMap(\.cycle).max()
                let listedNewest = records.filter { $0.folder == .baseline && $0.status != .gone }.map(\.cycle).max()
                if let live, let next = listedNewest, next > live {
                    let listed = records.filter { $0.folder == .baseline && $0.cycle == next && $0.status != .gone }
                    let building = layout.root.appendingPathComponent("index-cycle\(next).sqlite")
                    var indexed = 0
                    if FileManager.default.fileExists(atPath: building.path) {
                        indexed = try SQLiteRecordStore(path: building.path, readOnly: true).counts().files
                    }
                    status.rollover = RolloverState(fromCycle: live, toCycle: next, baselineListed: listed.count,
                                                    baselineMirrored: listed.filter { $0.status == .mirrored }.count,
                                                    filesIndexed: indexed, switched: false, filesPruned: 0)
                    status.notIndexed = []
                }
            } catch {
                status.indexError = error.description
            }
        }
        return status
    }
}
