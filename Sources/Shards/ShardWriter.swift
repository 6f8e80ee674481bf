internal import CLinux
import Crypto
import Foundation
import PubMedGzip
import PubMedIndex
import PubMedSupport

/// How `export --shards` cuts the records.
public struct ShardOptions: Sendable {
    /// Records (and deletions) a part. 100,000 records of PubMed are about 800 MB of JSON and
    /// 110 MB compressed: a part a Spark task reads comfortably.
    public var recordsPerPart = 100_000
    /// Only what changed after this sequence number (a change set), instead of every current record.
    public var since: Int64?
    /// zlib's level for the parts.
    public var compressionLevel: Int32 = 6

    public init() {}
}

/// Why a shard set could not be written. Whatever was at the destination is left as it was.
public enum ShardError: CodedError {
    case index(IndexError)
    case local(FileSystemError)
    /// The destination exists and is not a shard set (nor empty): it is not replaced.
    case notAShardSet(path: String)

    public var code: ErrorCode {
        switch self {
        case .index(let error): error.code
        case .local(let error): error.code
        case .notAShardSet: .notAShardSet
        }
    }

    public var advice: [Advice] {
        switch self {
        case .index(let error): error.advice
        case .local(let error): error.advice
        case .notAShardSet: [.chooseShardFolder]
        }
    }

    public var cause: (any Error)? {
        switch self {
        case .index(let error): error
        case .local(let error): error
        case .notAShardSet: nil
        }
    }

    public var description: String {
        switch self {
        case .index(let error): error.description
        case .local(let error): error.description
        case .notAShardSet(let path): "\(path) exists and is not a shard set (no manifest.json of one): it is not replaced"
        }
    }
}

extension ErrorCode {
    public static let notAShardSet = ErrorCode("shards.not-a-shard-set", .invalidInput)
}

extension Advice {
    public static let chooseShardFolder = Advice("choose-shard-folder", "give a folder that does not exist yet, or one an earlier export of shards made")
}

/// Writes the index's current records (or a change set) as gzip-compressed NDJSON parts and a
/// manifest, for engines that load such files as they are: DuckDB (`read_json`), Spark
/// (`spark.read.json`), BigQuery (an NDJSON load). The set is written in a hidden folder beside
/// the destination and swapped into place whole, so a reader sees the old set or the new one.
/// The same index gives the same bytes: the parts' order is the export's (PMID, or for changes the
/// change sequence), gzip headers carry no time, and the manifest no time or path.
public enum ShardWriter {
    public static func write(from store: some RecordStore, to destination: URL, options: ShardOptions) throws(ShardError) -> ShardManifest {
        let destination = destination.standardizedFileURL
        try checkReplaceable(destination)
        let parent = destination.deletingLastPathComponent()
        // The destination may be one run's own folder (`--shards /data/pubmed-shards/2026-12-07`),
        // whose parent the first such run makes.
        do throws(FileSystemError) { try FileSystem.createDirectory(parent) } catch { throw .local(error) }
        removeStaleStaging(of: destination)
        let staging = parent.appendingPathComponent(".\(destination.lastPathComponent).partial-\(getpid())", isDirectory: true)
        // Held while the set is written: another export's clean-up never takes a folder in use
        // (even on a file system shared between machines, where a process id says nothing).
        let lock: FileLock
        do throws(LockError) { lock = try FileLock(path: staging.path + ".lock") } catch {
            switch error {
            case .failed(let failure): throw .local(failure)
            case .held: throw .local(FileSystemError(path: staging.path, operation: "lock", errno: EBUSY))
            }
        }
        defer {
            unlink(lock.path)
            withExtendedLifetime(lock) {}
        }
        try? FileManager.default.removeItem(at: staging)
        do throws(FileSystemError) { try FileSystem.createDirectory(staging) } catch { throw .local(error) }
        do throws(ShardError) {
            let manifest = try writeParts(from: store, into: staging, options: options)
            try writeManifest(manifest, into: staging)
            try swap(staging, into: destination)
            return manifest
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw error
        }
    }

    /// The parts, cut every `recordsPerPart` lines, then the manifest that describes them.
    private static func writeParts(from store: some RecordStore, into folder: URL, options: ShardOptions) throws(ShardError) -> ShardManifest {
        let kind: ShardManifest.Kind = options.since == nil ? .snapshot : .changes
        var parts: [ShardManifest.Part] = []
        var part: PartFile?
        var failure: ShardError?
        let highWaterMark: Int64
        do {
            highWaterMark = try store.export(since: options.since) { item in
                do throws(FileSystemError) {
                    let current: PartFile
                    if let part {
                        current = part
                    } else {
                        let name = "\(kind == .snapshot ? "part" : "changes")-\(String(format: "%05d", parts.count)).ndjson.gz"
                        current = try PartFile(url: folder.appendingPathComponent(name), level: options.compressionLevel)
                        part = current
                    }
                    try current.append(item)
                    if current.lines >= options.recordsPerPart {
                        parts.append(try current.close())
                        part = nil
                    }
                } catch {
                    failure = .local(error)
                    throw error
                }
            }
            if let last = part { parts.append(try last.close()) }
            // Nothing changed (or nothing is indexed): one empty part all the same, so that a
            // loader's `changes-*.ndjson.gz` finds a file and reads no row, where a pattern that
            // matches nothing is an error to DuckDB and Spark.
            if parts.isEmpty {
                let name = "\(kind == .snapshot ? "part" : "changes")-00000.ndjson.gz"
                parts.append(try PartFile(url: folder.appendingPathComponent(name), level: options.compressionLevel).close())
            }
        } catch {
            if let failure { throw failure }
            if let error = error as? IndexError { throw .index(error) }
            if let error = error as? FileSystemError { throw .local(error) }
            throw .index(.inconsistency("export failed: \(error)"))
        }
        return ShardManifest(kind: kind, since: options.since, highWaterMark: highWaterMark,
                             records: parts.reduce(0) { $0 + $1.records }, deletions: parts.reduce(0) { $0 + $1.deletions }, parts: parts)
    }

    private static func writeManifest(_ manifest: ShardManifest, into folder: URL) throws(ShardError) {
        let bytes: [UInt8]
        do { bytes = try manifest.encoded() } catch { throw .index(.inconsistency("the manifest could not be encoded: \(error)")) }
        do throws(FileSystemError) {
            try FileSystem.writeAtomically(bytes, to: folder.appendingPathComponent("manifest.json"))
        } catch { throw .local(error) }
        FileSystem.syncDirectory(folder)
    }

    /// A destination may be replaced when it does not exist, is an empty folder, or holds a shard set.
    private static func checkReplaceable(_ destination: URL) throws(ShardError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: destination.path, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue else { throw .notAShardSet(path: destination.path) }
        let manifest = destination.appendingPathComponent("manifest.json")
        if let bytes = FileSystem.contents(manifest), (try? JSONDecoder().decode(ShardManifest.self, from: Data(bytes)))?.format == "pubmed-mirror-shards" {
            return
        }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: destination.path)) ?? ["?"]
        guard contents.isEmpty else { throw .notAShardSet(path: destination.path) }
    }

    /// The new set takes the destination's place in one step (an exchange of the two names, then
    /// the old set removed); where the file system cannot exchange, the old set is moved aside first.
    private static func swap(_ staging: URL, into destination: URL) throws(ShardError) {
        guard FileManager.default.fileExists(atPath: destination.path) else {
            do throws(FileSystemError) { try FileSystem.rename(staging, to: destination) } catch { throw .local(error) }
            return
        }
        if csystem_rename_exchange(staging.path, destination.path) != 0 {
            guard errno == EINVAL || errno == ENOSYS else {
                throw .local(FileSystemError(path: destination.path, operation: "replace", errno: errno))
            }
            // Aside under a name the stale-staging cleanup does not take, and back if the new set
            // cannot take its place.
            let aside = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).old-\(getpid())")
            do throws(FileSystemError) { try FileSystem.rename(destination, to: aside) } catch { throw .local(error) }
            do throws(FileSystemError) { try FileSystem.rename(staging, to: destination) } catch {
                try? FileSystem.rename(aside, to: destination)
                throw .local(error)
            }
            try? FileManager.default.removeItem(at: aside)
            return
        }
        FileSystem.syncDirectory(destination.deletingLastPathComponent())
        // `staging` now holds the old set.
        try? FileManager.default.removeItem(at: staging)
    }

    /// Hidden staging folders of runs that were killed: those whose lock no one holds.
    private static func removeStaleStaging(of destination: URL) {
        let parent = destination.deletingLastPathComponent()
        let prefix = ".\(destination.lastPathComponent).partial-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        where name.hasPrefix(prefix) && !name.hasSuffix(".lock") {
            let folder = parent.appendingPathComponent(name)
            guard let lock = try? FileLock(path: folder.path + ".lock") else { continue }
            try? FileManager.default.removeItem(at: folder)
            unlink(lock.path)
        }
    }
}

/// One part being written: lines gathered into about 1 MB, compressed (on every core, a batch of
/// blocks at a time), written and hashed.
private final class PartFile {
    let url: URL
    private let descriptor: Int32
    private let encoder: BlockGzipEncoder
    private var hasher = Insecure.MD5()
    private var pending: [UInt8] = []
    private var bytes: Int64 = 0
    private(set) var lines = 0
    private var records = 0
    private var deletions = 0
    private var lowest = Int.max
    private var highest = Int.min

    init(url: URL, level: Int32) throws(FileSystemError) {
        self.url = url
        descriptor = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileSystemError(path: url.path, operation: "create", errno: errno) }
        encoder = BlockGzipEncoder(level: level)
        pending.reserveCapacity(1 << 20 + 64 << 10)
    }

    deinit { Glibc.close(descriptor) }

    func append(_ item: ExportItem) throws(FileSystemError) {
        pending.append(contentsOf: item.jsonLine)
        pending.append(UInt8(ascii: "\n"))
        lines += 1
        let pmid: Int
        switch item {
        case .record(_, let id, _): records += 1; pmid = id
        case .deletion(let id, _): deletions += 1; pmid = id
        }
        lowest = min(lowest, pmid)
        highest = max(highest, pmid)
        if pending.count >= 1 << 20 { try flush(finish: false) }
    }

    /// The rest compressed and written, the file flushed to the disk; its line in the manifest.
    func close() throws(FileSystemError) -> ShardManifest.Part {
        try flush(finish: true)
        try FileSystem.sync(descriptor: descriptor, path: url.path)
        return ShardManifest.Part(name: url.lastPathComponent, records: records, deletions: deletions, bytes: bytes,
                                  md5: hasher.finalize().hex, firstPMID: lowest, lastPMID: highest)
    }

    private func flush(finish: Bool) throws(FileSystemError) {
        var compressed = encoder.encode(pending)
        if finish { compressed += encoder.finish() }
        pending.removeAll(keepingCapacity: true)
        hasher.update(data: compressed)
        if let failed = FileSystem.writeAll(compressed, to: descriptor) {
            throw FileSystemError(path: url.path, operation: "write", errno: failed)
        }
        bytes += Int64(compressed.count)
    }
}
