import Foundation
import Testing

/// The stages depend one way (README, "Development"): each source folder imports only the stages
/// below it. Package.swift holds the compiler to the same table (and `Scripts/test` builds with
/// `--explicit-target-dependency-import-check=error`); this reads the imports themselves, so that
/// a new dependency has to be added here, on purpose, in the same change.
@Suite struct StageDependencyTests {
    /// Source folder → the project's modules its files may import.
    static let allowed: [String: Set<String>] = [
        "Support": ["CLinux", "CLibXML2"],
        "Listing": ["PubMedSupport", "CLibXML2"],
        "Transfer": ["PubMedListing", "PubMedSupport", "CCurl", "CLinux"],
        "Files": ["PubMedTransfer", "PubMedListing", "PubMedSupport"],
        "Publish": ["PubMedFiles", "PubMedTransfer", "PubMedListing", "PubMedSupport"],
        "Gzip": ["PubMedSupport", "CZlib"],
        "Records": ["PubMedGzip", "PubMedSupport", "CLibXML2"],
        "Query": ["PubMedSupport"],
        "Index": ["PubMedRecords", "PubMedQuery", "PubMedGzip", "PubMedSupport", "CSearchRank", "GRDBSQLite"],
        "PostgreSQL": ["PubMedFiles", "PubMedIndex", "PubMedQuery", "PubMedRecords", "PubMedListing", "PubMedSupport", "CLibPQ"],
        "Citations": ["PubMedRecords"],
        "Shards": ["PubMedIndex", "PubMedGzip", "PubMedSupport", "CLinux"],
        "MeSH": ["PubMedGzip", "PubMedSupport", "CLibXML2"],
        "PubMedMirror": ["PubMedFiles", "PubMedPublish", "PubMedPostgreSQL", "PubMedShards", "PubMedIndex", "PubMedQuery", "PubMedCitations", "PubMedMeSH", "PubMedRecords", "PubMedGzip", "PubMedTransfer", "PubMedListing", "PubMedSupport"],
        "Server": ["PubMedMirror"],
        "CLI": ["PubMedMirror"],
        "pubmed-mirror": ["PubMedMirrorCLI", "CStandardStreams"],
        "pubmed-mirror-serve": ["PubMedMirrorCLI", "PubMedServer", "PubMedMirror", "CStandardStreams"],
    ]

    /// The project's own modules (anything else imported is a package or the system's).
    static let projectModules: Set<String> = [
        "PubMedSupport", "PubMedListing", "PubMedTransfer", "PubMedFiles", "PubMedPublish", "PubMedShards", "PubMedGzip", "PubMedRecords", "PubMedQuery", "PubMedIndex", "PubMedPostgreSQL", "PubMedCitations",
        "PubMedMeSH", "PubMedMirror", "PubMedServer", "PubMedMirrorCLI", "CLinux", "CLibXML2", "CZlib", "CCurl", "CLibPQ", "CSearchRank", "CStandardStreams", "GRDBSQLite",
    ]

    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// The modules a Swift file imports, whatever the import's attributes and access level.
    static func imports(of file: URL) throws -> Set<String> {
        let text = try String(contentsOf: file, encoding: .utf8)
        var modules = Set<String>()
        for line in text.split(separator: "\n") {
            var words = line.split(separator: " ").filter { !$0.hasPrefix("@") && !["internal", "public", "package", "private", "fileprivate"].contains($0) }
            guard words.count >= 2, words[0] == "import" else { continue }
            // `import struct M.X` imports from M too.
            if ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"].contains(words[1]) { words.remove(at: 1) }
            guard words.count >= 2 else { continue }
            modules.insert(String(words[1].split(separator: ".")[0]))
        }
        return modules
    }

    @Test(arguments: allowed.keys.sorted())
    func aStageImportsOnlyTheStagesBelowIt(folder: String) throws {
        let root = Self.sources.appendingPathComponent(folder)
        let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty, "no Swift files in Sources/\(folder)")
        for file in files {
            let used = try Self.imports(of: root.appendingPathComponent(file)).intersection(Self.projectModules)
            let forbidden = used.subtracting(Self.allowed[folder] ?? [])
            #expect(forbidden.isEmpty, "Sources/\(folder)/\(file) imports \(forbidden.sorted()), which \(folder) may not depend on")
        }
    }

    @Test func everySwiftSourceFolderIsInTheTable() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path).filter { folder in
            let files = FileManager.default.enumerator(atPath: Self.sources.appendingPathComponent(folder).path)?.compactMap { $0 as? String } ?? []
            return files.contains { $0.hasSuffix(".swift") }
        }
        #expect(Set(folders) == Set(Self.allowed.keys))
    }

    /// The table itself runs one way: no stage reaches, through others, back to itself.
    @Test func theTableHasNoCycle() {
        let folderOf = ["PubMedSupport": "Support", "PubMedListing": "Listing", "PubMedTransfer": "Transfer", "PubMedFiles": "Files",
                        "PubMedPublish": "Publish", "PubMedShards": "Shards", "PubMedGzip": "Gzip", "PubMedRecords": "Records", "PubMedQuery": "Query", "PubMedIndex": "Index", "PubMedCitations": "Citations",
                        "PubMedMeSH": "MeSH", "PubMedMirror": "PubMedMirror", "PubMedPostgreSQL": "PostgreSQL", "PubMedServer": "Server",
                        "PubMedMirrorCLI": "CLI"]
        // Every project module that has a folder is in the map (a module left out would hide a cycle through it).
        #expect(Set(folderOf.keys) == Self.projectModules.filter { $0.hasPrefix("PubMed") })
        func reaches(_ start: String, _ folder: String, _ seen: inout Set<String>) -> Bool {
            for module in Self.allowed[folder] ?? [] {
                guard let next = folderOf[module] else { continue }
                if next == start { return true }
                if seen.insert(next).inserted, reaches(start, next, &seen) { return true }
            }
            return false
        }
        for folder in Self.allowed.keys {
            var seen = Set<String>()
            #expect(!reaches(folder, folder, &seen), "\(folder) depends on itself")
        }
    }
}
