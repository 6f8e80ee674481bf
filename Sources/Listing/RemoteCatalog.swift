/// A PubMed data file on the server, with the listing rows of it and of its `.md5`.
public struct RemoteFile: Sendable, Equatable {
    public var folder: MirrorFolder
    public var file: PubMedFileName
    public var data: ListingEntry
    /// The `.md5` companion's row; nil when the server lists none.
    public var md5: ListingEntry?
}

/// A listing row that was not taken, and why.
public struct IgnoredName: Sendable, Equatable {
    public enum Reason: String, Sendable {
        /// NCBI's own companions (README.txt, `_stats.html`): expected, not mirrored.
        case companion
        /// A name that could escape the mirror folder or corrupt a terminal: `/`, `..`, control
        /// characters, or absurd length.
        case unsafe
        /// Any other name.
        case unexpected
        /// A `.md5` with no data file beside it.
        case orphanMD5
        case directory
    }
    public var folder: MirrorFolder
    /// The name as listed, with control characters escaped so that it is safe to print.
    public var printableName: String
    public var reason: Reason
}

/// Turns the rows of one folder's listing into PubMed files, ignoring every other name.
public enum RemoteCatalog {
    public static func files(in folder: MirrorFolder, from entries: [ListingEntry]) -> (files: [RemoteFile], ignored: [IgnoredName]) {
        var data: [PubMedFileName: ListingEntry] = [:]
        var md5: [PubMedFileName: ListingEntry] = [:]
        var ignored: [IgnoredName] = []
        for entry in entries {
            let name = entry.name
            if name == "." || name == ".." { continue }
            if entry.isDirectory {
                ignored.append(IgnoredName(folder: folder, printableName: printable(name), reason: .directory))
            } else if let file = PubMedFileName(name) {
                if data[file] == nil { data[file] = entry }
            } else if let file = PubMedFileName(md5Name: name) {
                if md5[file] == nil { md5[file] = entry }
            } else {
                ignored.append(IgnoredName(folder: folder, printableName: printable(name), reason: reason(for: name)))
            }
        }
        for file in md5.keys where data[file] == nil {
            ignored.append(IgnoredName(folder: folder, printableName: file.md5Name, reason: .orphanMD5))
        }
        let files = data.keys.sorted().map { RemoteFile(folder: folder, file: $0, data: data[$0]!, md5: md5[$0]) }
        return (files, ignored)
    }

    static func reason(for name: String) -> IgnoredName.Reason {
        if name.utf8.count > 255 || name.contains("/") || name.contains("\\") || name.contains("..")
            || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return .unsafe
        }
        if name == "README.txt" || isStatsPage(name) { return .companion }
        return .unexpected
    }

    /// `pubmedYYnNNNN_stats.html`
    private static func isStatsPage(_ name: String) -> Bool {
        guard name.hasSuffix("_stats.html") else { return false }
        return PubMedFileName(String(name.dropLast("_stats.html".count)) + ".xml.gz") != nil
    }

    /// The name with control characters escaped and its length bounded, for logs and terminals.
    public static func printable(_ name: String) -> String {
        var text = ""
        for scalar in name.unicodeScalars.prefix(120) {
            if scalar.properties.generalCategory == .control {
                text += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        if name.unicodeScalars.count > 120 { text += "…(\(name.utf8.count) bytes)" }
        return text
    }
}
