import Foundation
import PubMedListing
import PubMedSupport

/// The mirror's files as the state database and the disk know them, without the network.
public struct FileStatus: Sendable {
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
        public var errorCode: String?
        /// Bytes already in `NAME.partial`, which the next fetch resumes.
        public var partialBytes: Int64?
    }

    public var folders: [FolderCounts]
    public var lastRun: FetchRun?
    /// The last run that ended `up-to-date` or `updated`.
    public var lastSuccess: FetchRun?
    public var pending: [Pending]

    public var totalBytes: Int64 { folders.reduce(0) { $0 + $1.bytes } }
    public var totalFiles: Int { folders.reduce(0) { $0 + $1.mirrored } }

    /// Nothing mirrored yet.
    public static let empty = FileStatus(folders: MirrorFolder.allCases.map { FolderCounts(folder: $0) }, pending: [])
}

extension FileMirror {
    /// The files of `records` (in NCBI's order) and the runs of the journal (newest first).
    public func status(records: [MirroredFile], runs: [FetchRun]) -> FileStatus {
        var status = FileStatus.empty
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
                                            errorCode: record.lastErrorCode,
                                            partialBytes: FileSystem.size(of: layout.partial(record.folder, record.name))))
            }
        }
        status.lastRun = runs.first
        status.lastSuccess = runs.first { $0.outcome?.isSuccess == true }
        return status
    }
}
