import Foundation
import Testing
@testable import PubMedMeSH

/// The MeSH fixture and small descriptor files made from it.
enum MeshFixture {
    /// `Fixtures/mesh/desc-test.xml`: real descriptors in NLM's format (see its comment).
    static func url() throws -> URL {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return folder.appendingPathComponent("mesh/desc-test.xml")
    }

    static func bytes() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url()))
    }

    /// Writes `text` to a new file called `name` in a fresh temporary folder.
    static func write(_ text: String, named name: String, label: String) throws -> URL {
        try write(Array(text.utf8), named: name, label: label)
    }

    static func write(_ bytes: [UInt8], named name: String, label: String) throws -> URL {
        let file = try TestPaths.temporaryDirectory(label).appendingPathComponent(name)
        try Data(bytes).write(to: file)
        return file
    }

    /// The fixture gzipped with the system's gzip, as NLM publishes `descYYYY.gz`.
    static func gzipped(label: String) throws -> URL {
        let file = try write(bytes(), named: "desc2025.xml", label: label)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-kn", file.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return URL(fileURLWithPath: file.path + ".gz")
    }

    /// A descriptor file of made-up descriptors (not MeSH), each with tree numbers and terms.
    static func synthetic(_ records: [(ui: String, name: String, trees: [String], terms: [String])]) -> String {
        var xml = #"<?xml version="1.0"?>"# + "\n"
        xml += #"<!DOCTYPE DescriptorRecordSet SYSTEM "https://www.nlm.nih.gov/databases/dtd/nlmdescriptorrecordset_20260101.dtd">"# + "\n"
        xml += "<DescriptorRecordSet LanguageCode=\"eng\">\n"
        for record in records {
            xml += "<DescriptorRecord><DescriptorUI>\(record.ui)</DescriptorUI><DescriptorName><String>\(record.name)</String></DescriptorName>"
            xml += "<TreeNumberList>" + record.trees.map { "<TreeNumber>\($0)</TreeNumber>" }.joined() + "</TreeNumberList>"
            xml += "<ConceptList><Concept PreferredConceptYN=\"Y\"><TermList>"
            xml += ([record.name] + record.terms).map { "<Term><String>\($0)</String></Term>" }.joined()
            xml += "</TermList></Concept></ConceptList></DescriptorRecord>\n"
        }
        return xml + "</DescriptorRecordSet>\n"
    }

    /// Every descriptor in the file, fed to the parser `chunkSize` bytes at a time.
    static func parse(_ bytes: [UInt8], chunkSize: Int, fileName: String = "desc-test.xml") throws -> ([MeshDescriptor], DescriptorParser) {
        var found: [MeshDescriptor] = []
        let parser = try DescriptorParser(fileName: fileName) { (descriptor) throws(MeshError) in found.append(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunkSize)
            try bytes[offset..<end].withUnsafeBytes { chunk in try parser.parse(chunk) }
            offset = end
        }
        try parser.finish()
        return (found, parser)
    }
}
