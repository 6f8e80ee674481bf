import PubMedFiles
import PubMedListing

/// What `publish` will do to one target, decided from three things alone: the mirror's verified
/// files, what the state database says was put on that target, and the target's own listing.
/// Pure, so that every case is a unit test.
public struct PublishPlan: Sendable {
    public enum Reason: String, Sendable, Codable {
        /// Never published to this target.
        case new
        /// NCBI republished it: the mirror holds other bytes than those sent.
        case republished
        /// Published once, but the target no longer lists it.
        case missing
        /// The target lists it at another size than the mirror's.
        case wrongSize = "wrong-size"
        /// The target lists it at the right size, but this target's record does not say which
        /// bytes it holds, and the target's `.md5` does not show them to be the mirror's.
        case unconfirmed
    }

    public enum Action: Sendable, Equatable {
        /// Send the file (to a temporary name, then renamed), then its `.md5`.
        case upload(Reason)
        /// The file is in place; only its `.md5` is missing from the target.
        case sendMD5
        /// The right size is there but the record does not say so: read the target's `.md5`, and
        /// send the file only if it does not name the mirror's MD5.
        case confirm
        case inPlace
    }

    public struct Item: Sendable {
        public var folder: MirrorFolder
        public var file: PubMedFileName
        public var size: Int64
        public var md5: String
        public var action: Action
        /// This target's record of the file, if there is one.
        public var record: PublishedFile?
    }

    /// Every verified file of the mirror, in NCBI's order.
    public var items: [Item]
    /// Names to delete from the target (with `--delete`), in each folder's order: a file before its `.md5`.
    public var deletions: [Deletion]

    public struct Deletion: Sendable, Equatable {
        public var folder: MirrorFolder
        public var name: String
    }

    /// Hidden temporary files of earlier runs that this plan does not resume (`FileUpload`): an
    /// upload cut short of a file the mirror no longer holds, or of bytes it no longer has, or a
    /// `.md5` whose rename failed. Ours and never published, so removed whatever `--delete` says.
    public var leftovers: [Deletion] = []

    /// A new baseline cycle not yet whole in the mirror (an annual rollover part way): its files
    /// are not published, and nothing is deleted, until every baseline file of it listed by NCBI
    /// is mirrored. A mirror fetching from the target would otherwise take the part it sees for the
    /// whole new baseline, switch to it and prune the old one.
    public var heldBack: HeldCycle?

    public struct HeldCycle: Sendable, Equatable {
        public var cycle: Int
        /// Its baseline files mirrored, and those NCBI lists.
        public var mirrored: Int
        public var listed: Int
    }

    /// Items that send something (a file or a `.md5`) or read the target's `.md5`.
    public var work: [Item] { items.filter { $0.action != .inPlace } }
    public var uploads: [Item] { items.filter { if case .upload = $0.action { true } else { false } } }
    public var bytesToUpload: Int64 { uploads.reduce(0) { $0 + $1.size } }

    public func count(_ action: Action) -> Int { items.filter { $0.action == action }.count }

    /// The plan for one target.
    ///
    /// - `local`: the state database's files; only `.mirrored` ones with a size and an MD5 are published.
    /// - `records`: this target's records.
    /// - `listing`: the target's folders as listed (a folder that does not exist yet lists as empty).
    /// - `delete`: plan deletions: every PubMed file name (or its `.md5`) on the target whose file the
    ///   mirror does not hold (gone from NCBI, or pruned by an annual rollover). Names that are not
    ///   PubMed files' are never touched.
    public static func make(local: [MirroredFile], records: [PublishedFile], listing: [MirrorFolder: [ListingEntry]],
                            delete: Bool) -> PublishPlan {
        var recordsByKey: [String: PublishedFile] = [:]
        for record in records { recordsByKey[record.folder.rawValue + "/" + record.name] = record }
        var listed: [String: ListingEntry] = [:]
        for (folder, entries) in listing {
            for entry in entries where !entry.isDirectory { listed[folder.rawValue + "/" + entry.name] = entry }
        }
        let heldBack = Self.unfinishedCycle(local)
        var items: [Item] = []
        for file in local.sorted(by: { ($0.folder, $0.fileName) < ($1.folder, $1.fileName) }) {
            guard file.status == .mirrored, let size = file.size, let md5 = file.md5, file.cycle != heldBack?.cycle else { continue }
            let key = file.folder.rawValue + "/" + file.name
            let record = recordsByKey[key]
            let action = decide(size: size, md5: md5, record: record, entry: listed[key], md5Listed: listed[key + ".md5"] != nil)
            items.append(Item(folder: file.folder, file: file.fileName, size: size, md5: md5, action: action, record: record))
        }
        let deletions = delete && heldBack == nil ? Self.deletions(local: local, listing: listing) : []
        return PublishPlan(items: items, deletions: deletions, leftovers: Self.leftovers(local: local, items: items, listing: listing),
                           heldBack: heldBack)
    }

    /// The hidden temporary files of the listing that nothing resumes. An upload's is kept while
    /// the mirror holds those bytes of the file and the target does not have them in place yet
    /// (this run resumes it, or a later one: a held-back cycle's file). A `.md5`'s is sent in one
    /// request, so one that is listed was left by a rename that failed.
    static func leftovers(local: [MirroredFile], items: [Item], listing: [MirrorFolder: [ListingEntry]]) -> [Deletion] {
        var inPlace = Set<String>()
        for item in items where item.action == .inPlace || item.action == .sendMD5 { inPlace.insert(item.folder.rawValue + "/" + item.file.name) }
        var resumable = Set<String>()
        for file in local where file.status == .mirrored {
            guard let md5 = file.md5, !inPlace.contains(file.folder.rawValue + "/" + file.name) else { continue }
            resumable.insert(file.folder.rawValue + "/" + FileUpload.temporaryName(file.name, md5: md5))
        }
        var leftovers: [Deletion] = []
        for folder in MirrorFolder.allCases {
            for entry in (listing[folder] ?? []).sorted(by: { $0.name < $1.name }) where !entry.isDirectory {
                guard let kind = FileUpload.temporaryKind(entry.name) else { continue }
                if kind == .md5 || !resumable.contains(folder.rawValue + "/" + entry.name) {
                    leftovers.append(Deletion(folder: folder, name: entry.name))
                }
            }
        }
        return leftovers
    }

    /// The newest baseline cycle of the mirror, when it is not whole yet (a baseline file of it is
    /// listed and not mirrored) and an older cycle's files are mirrored: what a rollover looks like
    /// part way. (On a new mirror there is nothing older to keep, and what is whole is published.)
    static func unfinishedCycle(_ local: [MirroredFile]) -> HeldCycle? {
        let baselines = local.filter { $0.folder == .baseline && $0.status != .gone }
        guard let newest = baselines.map(\.cycle).max(),
              local.contains(where: { $0.cycle < newest && ($0.status == .mirrored || $0.status == .gone) }) else { return nil }
        let listed = baselines.filter { $0.cycle == newest }
        let mirrored = listed.filter { $0.status == .mirrored }.count
        return mirrored < listed.count ? HeldCycle(cycle: newest, mirrored: mirrored, listed: listed.count) : nil
    }

    private static func decide(size: Int64, md5: String, record: PublishedFile?, entry: ListingEntry?, md5Listed: Bool) -> Action {
        guard let entry else {
            return .upload(record?.md5 == nil ? .new : (record?.md5 == md5 ? .missing : .republished))
        }
        if let published = record?.md5, published != md5 { return .upload(.republished) }
        // A listing without sizes (none of the target schemes gives one) cannot show the file whole.
        guard let listedSize = entry.size?.exactBytes, listedSize == size else { return .upload(.wrongSize) }
        if record?.md5 == md5 { return md5Listed ? .inPlace : .sendMD5 }
        return md5Listed ? .confirm : .upload(.unconfirmed)
    }

    /// PubMed names on the target whose file the mirror does not hold.
    private static func deletions(local: [MirroredFile], listing: [MirrorFolder: [ListingEntry]]) -> [Deletion] {
        var held = Set<String>()
        for file in local where file.status != .gone { held.insert(file.folder.rawValue + "/" + file.name) }
        var deletions: [Deletion] = []
        for folder in MirrorFolder.allCases {
            var doomed: [PubMedFileName: (data: Bool, md5: Bool)] = [:]
            for entry in listing[folder] ?? [] where !entry.isDirectory {
                if let file = PubMedFileName(entry.name), file.name == entry.name {
                    doomed[file, default: (false, false)].data = true
                } else if let file = PubMedFileName(md5Name: entry.name), file.md5Name == entry.name {
                    doomed[file, default: (false, false)].md5 = true
                }
            }
            for (file, present) in doomed.sorted(by: { $0.key < $1.key }) where !held.contains(folder.rawValue + "/" + file.name) {
                if present.data { deletions.append(Deletion(folder: folder, name: file.name)) }
                if present.md5 { deletions.append(Deletion(folder: folder, name: file.md5Name)) }
            }
        }
        return deletions
    }
}
