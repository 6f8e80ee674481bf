import Foundation

/// Where everything lives in the mirror folder. NCBI's layout is kept:
/// `DIR/baseline/pubmed26n0001.xml.gz` (+ `.md5`), `DIR/updatefiles/…`, beside `DIR/state.sqlite`.
public struct MirrorLayout: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root.standardizedFileURL }

    /// `$PUBMED_MIRROR_DIR`, else `$XDG_DATA_HOME/pubmed-mirror`, else `~/.local/share/pubmed-mirror`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["PUBMED_MIRROR_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return URL(fileURLWithPath: data).appendingPathComponent("pubmed-mirror")
        }
        let home = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".local/share/pubmed-mirror")
    }

    public var stateDatabase: URL { root.appendingPathComponent("state.sqlite") }
    public var lockFile: URL { root.appendingPathComponent(".pubmed-mirror.lock") }
    public func folder(_ folder: MirrorFolder) -> URL { root.appendingPathComponent(folder.rawValue, isDirectory: true) }
    public func file(_ folder: MirrorFolder, _ name: String) -> URL { self.folder(folder).appendingPathComponent(name) }
    public func md5File(_ folder: MirrorFolder, _ name: String) -> URL { file(folder, name + ".md5") }
    public func partial(_ folder: MirrorFolder, _ name: String) -> URL { file(folder, name + ".partial") }

    /// The size of a local file, or nil when there is none.
    public func size(of url: URL) -> Int64? {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
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
