import Foundation
import PubMedListing

/// Where everything lives in the mirror folder, every name in one place. NCBI's layout is kept:
///
/// ```
/// DIR/baseline/pubmed26n0001.xml.gz (+ .md5)   DIR/updatefiles/…
/// DIR/state.sqlite                              the state database
/// DIR/.pubmed-mirror.lock                       the single writer's lock
/// DIR/.publish-HASH.lock                        the lock of publish to one target
/// DIR/index.sqlite                              the index, until a rebuild or rollover replaces it
/// DIR/index.current                             the name of the index in use, once one has been replaced
/// DIR/index-cycleYY.sqlite                      an annual rollover's new index, built beside the old one
/// DIR/index-YYYYMMDDTHHMMSS-PID.sqlite          a rebuilt index
/// DIR/mesh/mesh.sqlite                          the MeSH thesaurus (built by the MeSH stage)
/// DIR/mesh/desc2026.gz                          NLM's descriptor file it was built from
/// ```
public struct MirrorLayout: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// `$XDG_DATA_HOME/pubmed-mirror`, else `~/.local/share/pubmed-mirror`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return URL(fileURLWithPath: data).appendingPathComponent("pubmed-mirror")
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".local/share/pubmed-mirror")
    }

    public var stateDatabase: URL { root.appendingPathComponent("state.sqlite") }
    public var lockFile: URL { root.appendingPathComponent(".pubmed-mirror.lock") }
    /// The lock of `publish` to one target (named by a hash of its URL): two publishes to one
    /// target never overlap, while fetch and publishes to other targets go on.
    public func publishLock(target: String) -> URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, 64 bits
        for byte in target.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return root.appendingPathComponent(".publish-\(String(hash, radix: 16)).lock")
    }
    public func folder(_ folder: MirrorFolder) -> URL { root.appendingPathComponent(folder.rawValue, isDirectory: true) }
    public func file(_ folder: MirrorFolder, _ name: String) -> URL { self.folder(folder).appendingPathComponent(name) }
    public func md5File(_ folder: MirrorFolder, _ name: String) -> URL { file(folder, name + ".md5") }
    public func partial(_ folder: MirrorFolder, _ name: String) -> URL { file(folder, name + ".partial") }

    // MARK: The MeSH thesaurus

    /// The folder of the MeSH thesaurus and the descriptor file it was built from.
    public var meshFolder: URL { root.appendingPathComponent("mesh", isDirectory: true) }
    /// The thesaurus in use, replaced whole by each build.
    public var meshThesaurus: URL { meshFolder.appendingPathComponent("mesh.sqlite") }
    /// A downloaded descriptor file (`name` is a validated file name, such as `desc2026.gz`).
    public func meshFile(_ name: String) -> URL { meshFolder.appendingPathComponent(name) }

    // MARK: The index files

    /// The file that names the index in use once a rebuild or a rollover has replaced the first one.
    public var indexPointer: URL { root.appendingPathComponent("index.current") }
    /// The first index, in use while `index.current` names no other.
    public var firstIndex: URL { root.appendingPathComponent("index.sqlite") }

    /// The index in use: the one `index.current` names, else `index.sqlite`. The pointer is read
    /// once, so a caller that then opens the file never mixes two indexes while a switch happens.
    public func currentIndex() -> URL {
        if let text = try? String(contentsOf: indexPointer, encoding: .utf8) {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty, !name.contains("/") { return root.appendingPathComponent(name) }
        }
        return firstIndex
    }

    /// The index in use when that is known for sure: the one `index.current` names, `index.sqlite`
    /// when there is no pointer; nil when the pointer is there but cannot be read (what deletes
    /// other indexes must then delete nothing).
    public func knownCurrentIndex() -> URL? {
        guard FileManager.default.fileExists(atPath: indexPointer.path) else { return firstIndex }
        guard let text = try? String(contentsOf: indexPointer, encoding: .utf8) else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, !name.contains("/") else { return nil }
        return root.appendingPathComponent(name)
    }

    /// The index of baseline cycle `cycle`, built beside the one in use during an annual rollover.
    public func rolloverIndex(cycle: Int) -> URL {
        root.appendingPathComponent("index-cycle\(cycle).sqlite")
    }

    /// A new name for a rebuilt index: when and by which process it was made.
    public func rebuiltIndex(at date: Date = Date(), pid: Int32 = getpid()) -> URL {
        let stamp = ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        return root.appendingPathComponent("index-\(stamp)-\(pid).sqlite")
    }

    /// The rebuilt indexes in the folder (`index-<time>-<pid>.sqlite`), in use or not.
    public func rebuiltIndexes() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { name in
            guard name.hasPrefix("index-"), name.hasSuffix(".sqlite"), !name.hasPrefix("index-cycle") else { return false }
            let middle = name.dropFirst("index-".count).dropLast(".sqlite".count)
            return middle.split(separator: "-").count == 2 && middle.allSatisfy { $0.isNumber || $0 == "T" || $0 == "-" }
        }.sorted().map { root.appendingPathComponent($0) }
    }

    /// The files SQLite keeps beside a database: the file, its write-ahead log and its shared memory.
    public func databaseFiles(_ database: URL) -> [URL] {
        ["", "-wal", "-shm"].map { URL(fileURLWithPath: database.path + $0) }
    }

    /// Bytes free for an unprivileged writer on the mirror's file system (its nearest existing parent).
    public func freeBytes() -> Int64? {
        var url = root
        while !FileManager.default.fileExists(atPath: url.path), url.path != "/" { url.deleteLastPathComponent() }
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
