import Foundation
import Testing
@testable import PubMedMeSH
@testable import PubMedMirror
@testable import PubMedMirrorCLI

/// `pubmed-mirror mesh` as a user runs it: the built binary against apache2 on loopback serving the
/// fixture as NLM's `desc2025.xml`, and `--file` without the network.
@Suite(.heavyweight) struct MeshCommandTests {
    /// apache2 serving `pubmed/mesh/NAME` (the fixture, or `bytes`); the file's URL.
    static func serve(_ bytes: [UInt8]? = nil, name: String = "desc2025.xml", label: String) async throws -> (LoopbackServer, URL, URL) {
        let root = try TestPaths.temporaryDirectory("served-\(label)")
        let folder = root.appendingPathComponent("pubmed/mesh", isDirectory: true)
        try TestPaths.makeDirectory(folder)
        let file = folder.appendingPathComponent(name)
        try Data(try bytes ?? MeshFixture.bytes()).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        let server = try await LoopbackServer.apache(root: root, tls: false)
        return (server, server.baseURL.appendingPathComponent("mesh/\(name)"), file)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func downloadsBuildsAndASecondRunDownloadsNothing() async throws {
        let (server, url, _) = try await Self.serve(label: "mesh-http")
        let mirror = try TestPaths.temporaryDirectory("mirror-mesh-http").path
        let arguments = ["mesh", "--source", url.absoluteString, "--mirror", mirror, "--format", "json", "--quiet"]

        let first = try await CLI.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try Self.json(first.stdout)
        #expect(report["outcome"] as? String == "updated")
        let thesaurus = try #require(report["thesaurus"] as? [String: Any])
        #expect(thesaurus["descriptors"] as? Int == 24)
        #expect(thesaurus["year"] as? Int == 2025)
        #expect(thesaurus["sourceURL"] as? String == url.absoluteString)
        #expect(thesaurus["sourceFile"] as? String == "desc2025.xml")
        #expect(report["bytesReceived"] as? Int == (try MeshFixture.bytes().count))
        // The descriptor file it was built from is kept beside the thesaurus, and nothing else.
        let kept = try FileManager.default.contentsOfDirectory(atPath: mirror + "/mesh").sorted()
        #expect(kept == ["desc2025.xml", "mesh.sqlite"])

        let second = try await CLI.run(arguments)
        #expect(second.status == 0, "\(second.stderr)")
        let again = try Self.json(second.stdout)
        #expect(again["outcome"] as? String == "up-to-date")
        #expect(again["bytesReceived"] as? Int == 0)
        #expect(again["requests"] as? Int == 1)
        // Apache logs a request once it has answered: wait for the second run's HEAD.
        var log = server.requestLog()
        for _ in 0..<100 where MirrorTest.count("HEAD /pubmed/mesh/desc2025.xml", in: log) < 2 {
            try await Task.sleep(for: .milliseconds(50))
            log = server.requestLog()
        }
        #expect(MirrorTest.count("HEAD /pubmed/mesh/desc2025.xml", in: log) == 2)
        #expect(MirrorTest.count("GET /pubmed/mesh/desc2025.xml", in: log) == 1)

        let thesaurusFile = try #require(try Mirror(root: URL(fileURLWithPath: mirror)).openMeSH())
        #expect(try thesaurusFile.narrower(than: "Breast Diseases") == ["Breast Diseases", "Breast Neoplasms"])

        let status = try await CLI.run(["status", "--mirror", mirror, "--format", "json"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect((try Self.json(status.stdout)["mesh"] as? [String: Any])?["year"] as? Int == 2025)
    }

    /// A download cut short is resumed when the server's file is the one it was begun from (its
    /// URL, size and time, kept beside the partial), and begun again otherwise: NLM refreshes the
    /// file on weekdays and publishes no checksum, so two versions' bytes would go undetected.
    @Test func anInterruptedDownloadIsResumed() async throws {
        let (server, url, served) = try await Self.serve(label: "mesh-resume")
        defer { withExtendedLifetime(server) {} }
        let mirror = try TestPaths.temporaryDirectory("mirror-mesh-resume").path
        let bytes = try MeshFixture.bytes()
        let modified = try #require(try FileManager.default.attributesOfItem(atPath: served.path)[.modificationDate] as? Date)
        let partial = URL(fileURLWithPath: mirror + "/mesh/desc2025.xml.partial")
        let source = URL(fileURLWithPath: mirror + "/mesh/desc2025.xml.partial.source")
        try TestPaths.makeDirectory(URL(fileURLWithPath: mirror + "/mesh"))
        let arguments = ["mesh", "--source", url.absoluteString, "--mirror", mirror, "--format", "json", "--quiet"]

        // Begun from another version of the file (a day older), or with nothing to tell which: begun again.
        for begun in ["\(url.absoluteString) \(bytes.count) \(Int64(modified.timeIntervalSince1970) - 86_400)\n", nil] {
            try Data(repeating: UInt8(ascii: "x"), count: 10000).write(to: partial)
            if let begun { try Data(begun.utf8).write(to: source) } else { try? FileManager.default.removeItem(at: source) }
            let fresh = try await CLI.run(arguments)
            #expect(fresh.status == 0, "\(fresh.stderr)")
            #expect(try Self.json(fresh.stdout)["resumedFrom"] as? Int == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: mirror + "/mesh/desc2025.xml")) == Data(bytes))
            #expect(!FileManager.default.fileExists(atPath: source.path))
            try FileManager.default.removeItem(atPath: mirror + "/mesh/mesh.sqlite")
        }

        // What a run killed mid-download leaves: the first bytes under NAME.partial, and what they are of.
        try Data(bytes[0..<10000]).write(to: partial)
        try Data("\(url.absoluteString) \(bytes.count) \(Int64(modified.timeIntervalSince1970))\n".utf8).write(to: source)
        let run = try await CLI.run(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.json(run.stdout)
        #expect(report["resumedFrom"] as? Int == 10000)
        #expect(report["bytesReceived"] as? Int == bytes.count - 10000)
        #expect((report["thesaurus"] as? [String: Any])?["descriptors"] as? Int == 24)
        #expect(try Data(contentsOf: URL(fileURLWithPath: mirror + "/mesh/desc2025.xml")) == Data(bytes))

        let status = try await CLI.run(["status", "--mirror", mirror])
        #expect(status.stdout.contains("MeSH thesaurus: 2025, 24 descriptors, from desc2025.xml"), "\(status.stdout)")
    }

    @Test func aDamagedFileOnTheServerLeavesTheThesaurusInPlace() async throws {
        let (server, url, served) = try await Self.serve(label: "mesh-damaged")
        defer { withExtendedLifetime(server) {} }
        let mirror = try TestPaths.temporaryDirectory("mirror-mesh-damaged").path
        let arguments = ["mesh", "--source", url.absoluteString, "--mirror", mirror, "--quiet"]
        let first = try await CLI.run(arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let before = try #require(try Mirror(root: URL(fileURLWithPath: mirror)).openMeSH()).info

        // NLM's file replaced by a cut one: downloaded (its size changed), refused, not used.
        let bytes = try MeshFixture.bytes()
        try Data(bytes[0..<(bytes.count / 2)]).write(to: served)
        let second = try await CLI.run(arguments)
        #expect(second.status == 4, "\(second.stderr)")
        #expect(second.stderr.contains("desc2025.xml, line "), "\(second.stderr)")
        let after = try #require(try Mirror(root: URL(fileURLWithPath: mirror)).openMeSH()).info
        #expect(after == before)
        // The unusable download is not kept (the next run fetches it afresh).
        #expect(!FileManager.default.fileExists(atPath: mirror + "/mesh/desc2025.xml.partial"))
    }

    @Test func buildsFromALocalFileWithoutTheNetwork() async throws {
        let mirror = try TestPaths.temporaryDirectory("mirror-mesh-file").path
        let gzip = try MeshFixture.gzipped(label: "mesh-file")
        let dry = try await CLI.run(["mesh", "--file", gzip.path, "--mirror", mirror, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("24 descriptors"))
        #expect(!FileManager.default.fileExists(atPath: mirror + "/mesh/mesh.sqlite"))

        let run = try await CLI.run(["mesh", "--file", gzip.path, "--mirror", mirror, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try Self.json(run.stdout)
        #expect(report["outcome"] as? String == "updated")
        #expect((report["thesaurus"] as? [String: Any])?["sourceFile"] as? String == "desc2025.xml.gz")
        let thesaurus = try #require(try Mirror(root: URL(fileURLWithPath: mirror)).openMeSH())
        #expect(try thesaurus.heading(for: "Heart Attack") == "Myocardial Infarction")
        // search --explain says what each exploded heading stands for.
        let explained = try await CLI.run(["search", "--mirror", mirror, "--explain", "neoplasms[mh] AND heart attack[majr] AND x[mh:noexp] AND skin diseases"])
        #expect(explained.stdout.contains("  Neoplasms[MeSH Terms] with 7 narrower headings\n"), "\(explained.stdout)")
        #expect(explained.stdout.contains("  Myocardial Infarction[MeSH Terms] with 0 narrower headings\n"), "\(explained.stdout)")
        #expect(explained.stdout.contains("  \"skin diseases\" also finds Skin Diseases[MeSH Terms]\n"), "\(explained.stdout)")
        #expect(!explained.stdout.contains("X[MeSH Terms]"))

        let broken = try MeshFixture.write("<?xml version=\"1.0\"?>\n<DescriptorRecordSet>\n</DescriptorRecordSet>\n", named: "desc2026.xml", label: "mesh-file-empty")
        let refused = try await CLI.run(["mesh", "--file", broken.path, "--mirror", mirror])
        #expect(refused.status == 4)
        #expect(refused.stderr.contains("desc2026.xml"))
        #expect(try Mirror(root: URL(fileURLWithPath: mirror)).openMeSH()?.info == thesaurus.info)
    }

    @Test func fetchWithMeshFetchesTheFilesThenTheThesaurus() async throws {
        let tree = try ServedTree.make(cycles: [2026], at: try TestPaths.temporaryDirectory("served-fetch-mesh"))
        let descriptors = try MeshFixture.write(MeshFixture.bytes(), named: "desc2025.xml", label: "served-fetch-mesh-file")
        let mirror = try TestPaths.temporaryDirectory("mirror-fetch-mesh").path
        let arguments = ["fetch", "--source", tree.absoluteString, "--mirror", mirror, "--mesh", "--no-index", "--format", "json", "--quiet"]
        let environment = ["PUBMED_MIRROR_MESH_SOURCE": descriptors.absoluteString]
        let first = try await CLI.run(arguments, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try Self.json(first.stdout)
        #expect(report["outcome"] as? String == "updated")
        let mesh = try #require(report["mesh"] as? [String: Any])
        #expect(mesh["outcome"] as? String == "updated")
        #expect((mesh["thesaurus"] as? [String: Any])?["descriptors"] as? Int == 24)

        let second = try await CLI.run(arguments, environment: environment)
        #expect(second.status == 0, "\(second.stderr)")
        #expect((try Self.json(second.stdout)["mesh"] as? [String: Any])?["outcome"] as? String == "up-to-date")
    }

    @Test func optionsAreCheckedBeforeAnythingRuns() throws {
        let file = try MeshFixture.url().path
        #expect(throws: (any Error).self) { try PubMedMirrorCommand.parseAsRoot(["mesh", "--file", file, "--source", "https://example.org/desc2026.gz"]) }
        #expect(throws: (any Error).self) { try PubMedMirrorCommand.parseAsRoot(["mesh", "--source", "https://example.org/mesh/"]) }
        #expect(throws: (any Error).self) { try PubMedMirrorCommand.parseAsRoot(["mesh", "--year", "26"]) }
        #expect(throws: (any Error).self) { try PubMedMirrorCommand.parseAsRoot(["mesh", "--file", "/no/such/desc2026.xml"]) }
        let parsed = try PubMedMirrorCommand.parseAsRoot(["mesh", "--year", "2026"])
        let options = try #require(parsed as? PubMedMirrorCommand.MeSH).resolved(environment: [:])
        #expect(options.descriptorURLs() == ["https://nlmpubs.nlm.nih.gov/projects/mesh/MESH_FILES/xmlmesh/desc2026.gz"])
        let fromEnvironment = try #require(try PubMedMirrorCommand.parseAsRoot(["mesh"]) as? PubMedMirrorCommand.MeSH)
            .resolved(environment: ["PUBMED_MIRROR_MESH_SOURCE": "http://127.0.0.1:1/mesh/desc2025.xml"])
        #expect(fromEnvironment.source == "http://127.0.0.1:1/mesh/desc2025.xml")
    }

    @Test func theDefaultIsNextYearsFileFromNovember() throws {
        let formatter = ISO8601DateFormatter()
        let october = try #require(formatter.date(from: "2026-10-15T12:00:00Z"))
        let december = try #require(formatter.date(from: "2026-12-05T12:00:00Z"))
        #expect(MeshOptions().descriptorURLs(now: october) == [MeshOptions.nlmURL(year: 2026)])
        #expect(MeshOptions().descriptorURLs(now: december) == [MeshOptions.nlmURL(year: 2027), MeshOptions.nlmURL(year: 2026)])
    }
}
