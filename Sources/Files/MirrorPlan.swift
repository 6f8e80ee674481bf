import PubMedListing

/// What a fetch has to do, file by file: the remote listing compared with the state database and
/// the files on disk. Pure: it reads nothing and changes nothing.
public struct MirrorPlan: Sendable {
    public enum Reason: String, Sendable, Equatable {
        case new
        /// The listing's size changed: NCBI published the file again.
        case republished
        /// The database has it but the local file is gone.
        case missingLocally = "missing-locally"
        /// The local copy has the wrong size, or `verify` found it damaged.
        case damaged
        /// An earlier run failed to fetch it.
        case retry
    }

    public enum Action: Sendable, Equatable {
        case download(Reason)
        /// The listing's time, or the `.md5`'s row, changed but not the size: fetch the `.md5` and
        /// download only if the published MD5 changed.
        case check
        case unchanged
        /// The database has it, the server no longer lists it. The local copy is kept.
        case gone
        /// It needs downloading but the server publishes no `.md5`, so it cannot be verified.
        case unverifiable
        /// A file of an older cycle than the newest baseline the server lists: a new baseline replaces
        /// everything before it, so it is never downloaded (a copy already mirrored is kept until the
        /// rollover prunes it).
        case obsolete
    }

    public struct Item: Sendable, Equatable {
        public var folder: MirrorFolder
        public var file: PubMedFileName
        public var action: Action
        public var remote: RemoteFile?
        public var record: MirroredFile?

        /// Bytes this item may download (the listed size; 0 when nothing is to be fetched).
        public var estimatedBytes: Int64 {
            switch action {
            case .download: remote?.data.size?.estimate ?? 0
            case .check, .unchanged, .gone, .unverifiable, .obsolete: 0
            }
        }
    }

    public var items: [Item]

    /// Items that need requests: downloads and checks, in NCBI's order.
    public var work: [Item] {
        items.filter {
            switch $0.action {
            case .download, .check: true
            default: false
            }
        }
    }

    public var downloads: [Item] { items.filter { if case .download = $0.action { true } else { false } } }
    public var bytesToDownload: Int64 { items.reduce(0) { $0 + $1.estimatedBytes } }
    public func count(_ action: Action) -> Int { items.filter { $0.action == action }.count }
    public var downloadCount: Int { downloads.count }

    /// Compares the listing with the database. `localSize` tells the size of a local file, or nil
    /// when it does not exist.
    public static func make(remote: [RemoteFile], records: [MirroredFile],
                            localSize: (MirrorFolder, String) -> Int64?) -> MirrorPlan {
        var known: [String: MirroredFile] = [:]
        for record in records { known[record.folder.rawValue + "/" + record.name] = record }
        var items: [Item] = []
        var listed = Set<String>()
        let newestBaseline = remote.filter { $0.folder == .baseline }.map(\.file.cycle).max()
        for file in remote {
            let key = file.folder.rawValue + "/" + file.file.name
            listed.insert(key)
            let record = known[key]
            if let newestBaseline, file.file.cycle < newestBaseline {
                items.append(Item(folder: file.folder, file: file.file, action: .obsolete, remote: file, record: record))
                continue
            }
            var action = decide(file, record, localSize(file.folder, file.file.name))
            if case .download = action, file.md5 == nil { action = .unverifiable }
            if action == .check, file.md5 == nil { action = .unchanged }
            items.append(Item(folder: file.folder, file: file.file, action: action, remote: file, record: record))
        }
        for record in records where !listed.contains(record.folder.rawValue + "/" + record.name) && record.status != .gone {
            items.append(Item(folder: record.folder, file: record.fileName, action: .gone, remote: nil, record: record))
        }
        items.sort { ($0.folder, $0.file) < ($1.folder, $1.file) }
        return MirrorPlan(items: items)
    }

    private static func decide(_ remote: RemoteFile, _ record: MirroredFile?, _ local: Int64?) -> Action {
        guard let record else { return .download(.new) }
        switch record.status {
        case .missing: return .download(record.lastError == nil ? .new : .retry)
        case .damaged: return .download(.damaged)
        case .mirrored, .gone: break
        }
        guard let local else { return .download(.missingLocally) }
        guard let size = record.size, local == size else { return .download(.damaged) }
        if let listed = remote.data.size, !listed.admits(size) { return .download(.republished) }
        if changed(remote.data.modified, record.listedStamp) { return .check }
        if let md5 = remote.md5 {
            if changed(md5.modified, record.md5ListedStamp) { return .check }
            if let listedSize = md5.size?.exactBytes, let known = record.md5ListedSize, listedSize != known { return .check }
        }
        // Listed again after a listing left it out: its `.md5` is read again, and the file is
        // mirrored once more when that matches (an unchanged file is not saved, so it would stay
        // gone: left out of verify, the index plan and publish).
        if record.status == .gone { return .check }
        return .unchanged
    }

    private static func changed(_ now: RemoteTimestamp?, _ before: RemoteTimestamp?) -> Bool {
        guard let now else { return false }
        guard let before else { return true }
        return !now.matches(before)
    }
}
