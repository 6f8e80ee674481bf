import Foundation
@testable import PubMedSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Folders the integration tests share.
struct TestPaths {
    /// The package root (the folder holding Package.swift), found from this file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // PubMedMirrorTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `shared/data/pubmed` beside the repository: real PubMed files (read-only).
    static let sharedData: URL = repositoryRoot
        .appendingPathComponent("../shared/data/pubmed", isDirectory: true)
        .standardizedFileURL
        .resolvingSymlinksInPath()

    /// A new, empty, world-traversable (0755) folder under the system temporary folder.
    ///
    /// Apache serves as `nobody`, so every folder from `/` down to a served tree must be
    /// world-executable; `/tmp` and the folders made here are.
    ///
    /// It lies in the folder of the test case that asks (a heavyweight test's, removed when the test
    /// ends), else in the test run's, removed when the test process exits.
    static func temporaryDirectory(_ label: String) throws -> URL {
        try makeFolder(label, in: testFolder ?? runFolder)
    }

    /// The same, for a fixture that several tests share (it outlives the test that makes it).
    static func sharedTemporaryDirectory(_ label: String) throws -> URL {
        try makeFolder(label, in: runFolder)
    }

    private static func makeFolder(_ label: String, in parent: URL) throws -> URL {
        try makeDirectory(parent)
        let safeLabel = String(label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        let folder = parent.appendingPathComponent("\(safeLabel)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try makeDirectory(folder)
        return folder
    }

    /// The folder of the test case running (set by `Heavyweight`), removed when it ends.
    @TaskLocal static var testFolder: URL?

    /// `$TMPDIR/pubmed-mirror-tests/run-PID`: this test process's folders, removed when it exits;
    /// the folders of runs that have ended (killed, say) are removed when the next one starts.
    static let runFolder: URL = {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("pubmed-mirror-tests", isDirectory: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] {
            guard name.hasPrefix("run-"), let pid = pid_t(name.dropFirst(4)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
        }
        atexit { try? FileManager.default.removeItem(at: TestPaths.runFolder) }
        return base.appendingPathComponent("run-\(getpid())", isDirectory: true)
    }()

    /// Creates `url` (and missing parents) with mode 0755, whatever the umask.
    static func makeDirectory(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    /// Writes `url`'s `.md5` beside it, as NCBI publishes one (`MD5(NAME)= HEX`).
    static func publishMD5(_ url: URL) throws {
        try Data("MD5(\(url.lastPathComponent))= \(try FileDigest.md5(of: url))\n".utf8).write(to: url.appendingPathExtension("md5"))
    }
}
