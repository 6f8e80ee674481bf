import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A copy of NCBI's `pubmed/` tree built from the shared sample files.
enum ServedTree {
    /// Builds `root/pubmed/baseline/` and `root/pubmed/updatefiles/` from
    /// `sharedData/pmparser-samples/<cycle>/`, adds NCBI's `README.txt` to both folders
    /// and a `pubmedYYnNNNN_stats.html` beside each update file, makes it all
    /// world-readable, and returns `root/pubmed/`.
    static func make(cycles: [Int], at root: URL) throws -> URL {
        let fileManager = FileManager.default
        let pubmed = root.appendingPathComponent("pubmed", isDirectory: true)
        let samples = TestPaths.sharedData.appendingPathComponent("pmparser-samples", isDirectory: true)
        let readme = readmeText()
        for folder in ["baseline", "updatefiles"] {
            let destination = pubmed.appendingPathComponent(folder, isDirectory: true)
            try TestPaths.makeDirectory(destination)
            for cycle in cycles {
                let source = samples.appendingPathComponent("\(cycle)/\(folder)", isDirectory: true)
                guard fileManager.fileExists(atPath: source.path) else {
                    throw LoopbackServerError("no sample files for cycle \(cycle) at \(source.path)")
                }
                for name in try fileManager.contentsOfDirectory(atPath: source.path) {
                    let target = destination.appendingPathComponent(name)
                    try? fileManager.removeItem(at: target)
                    try fileManager.copyItem(at: source.appendingPathComponent(name), to: target)
                    if folder == "updatefiles", name.hasSuffix(".xml.gz") {
                        let stem = String(name.dropLast(".xml.gz".count))
                        try statsPage(for: name).write(
                            to: destination.appendingPathComponent("\(stem)_stats.html"),
                            atomically: true, encoding: .utf8)
                    }
                }
            }
            try readme.write(
                to: destination.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        }
        try makeWorldReadable(root)
        return pubmed
    }

    /// NCBI's own README (the newest edition in shared data), or a short stand-in.
    private static func readmeText() -> String {
        let folder = TestPaths.sharedData.appendingPathComponent("readme", isDirectory: true)
        let newest = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?
            .filter { $0.hasPrefix("README.txt") }.sorted().last
        if let newest,
            let text = try? String(contentsOf: folder.appendingPathComponent(newest), encoding: .utf8)
        {
            return text
        }
        return "PubMed baseline and update files: see the NLM terms and conditions.\n"
    }

    private static func statsPage(for name: String) -> String {
        """
        <html><head><title>\(name) statistics</title></head><body>
        <h3>Statistics for \(name)</h3>
        <p>Test copy: the real page lists the counts of new, revised and deleted citations.</p>
        </body></html>

        """
    }

    /// `chmod -R a+rX`: read for everyone, and search on folders.
    private static func makeWorldReadable(_ root: URL) throws {
        let fileManager = FileManager.default
        var paths = [root.path]
        if let enumerator = fileManager.enumerator(atPath: root.path) {
            for case let relative as String in enumerator {
                paths.append(root.appendingPathComponent(relative).path)
            }
        }
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let mode = (try fileManager.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            let wanted = mode | 0o444 | (isDirectory.boolValue ? 0o111 : 0)
            if wanted != mode {
                try fileManager.setAttributes([.posixPermissions: wanted], ofItemAtPath: path)
            }
        }
    }
}
