import Foundation
import Testing
@testable import PubMedGzip
@testable import PubMedRecords

/// A gzip file's records parsed on worker threads (`RecordParserPool`) give exactly what the one
/// parser of the whole file gives: the same items in the same order, the same bytes and places,
/// and for a damaged file the same error after the same items.
@Suite struct ParallelParsingTests {
    /// Everything `ArticleFile.read(_:keepingStream:hashing:parserThreads:handler:)` hands over,
    /// in order: each item as a line, the records themselves, and the summary or the error that
    /// ended it as the last line.
    private struct Transcript: Equatable {
        var lines: [String] = []
        var records: [PubMedRecord] = []
    }

    private static func transcript(_ url: URL, threads: Int, keepingStream: Bool) -> Transcript {
        var transcript = Transcript()
        do {
            let summary = try ArticleFile.read(url, keepingStream: keepingStream, hashing: true, parserThreads: threads) { item in
                switch item {
                case .record(let record, .bytes(let xml)):
                    transcript.lines.append("record \(record.pmid).\(record.version) \(xml.count) bytes \(xml.hashValue)")
                    transcript.records.append(record)
                case .record(let record, .inStream(let range)):
                    transcript.lines.append("record \(record.pmid).\(record.version) at \(range)")
                    transcript.records.append(record)
                case .deletion(let pmid, let version):
                    transcript.lines.append("deletion \(pmid).\(version)")
                case .chunks(let chunks):
                    transcript.lines.append("chunks \(chunks.map { "\($0.start)+\($0.length)/\($0.bits) \($0.data.hashValue)" }.joined(separator: " "))")
                }
            }
            transcript.lines.append("summary \(summary)")
        } catch let error as RecordError {
            transcript.lines.append("error \(error) line \(error.line.map(String.init) ?? "-") kind \(error.kind)")
        } catch {
            transcript.lines.append("error \(error)")
        }
        return transcript
    }

    /// Records an issue naming the first difference, if any (the records are too long to print whole).
    private static func expectSame(_ one: Transcript, _ other: Transcript, _ label: String,
                                   lines keep: (String) -> Bool = { _ in true }, sourceLocation: SourceLocation = #_sourceLocation) {
        let (a, b) = (one.lines.filter(keep), other.lines.filter(keep))
        if a != b {
            let index = a.indices.first { $0 >= b.count || a[$0] != b[$0] } ?? a.count
            Issue.record("\(label): item \(index) differs: \(index < a.count ? a[index] : "nothing") against \(index < b.count ? b[index] : "nothing")",
                         sourceLocation: sourceLocation)
        }
        if one.records != other.records {
            let index = one.records.indices.first { $0 >= other.records.count || one.records[$0] != other.records[$0] } ?? one.records.count
            Issue.record("\(label): record \(index) of \(one.records.count) / \(other.records.count) differs", sourceLocation: sourceLocation)
        }
    }

    /// A document written to a gzip file of its own, removed with `folder`.
    private static func gzipFile(_ text: String, in folder: URL, name: String = "test.xml.gz") throws -> URL {
        let encoder = BlockGzipEncoder(level: 1, threads: 1)
        let url = folder.appendingPathComponent(name)
        try Data(encoder.encode(Array(text.utf8)) + encoder.finish()).write(to: url)
        return url
    }

    private static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("parallel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func article(_ pmid: Int, title: String = "A title", lines: Int = 0) -> String {
        let breaks = String(repeating: "\n", count: lines)
        return "<PubmedArticle><MedlineCitation Status=\"MEDLINE\">\(breaks)<PMID Version=\"1\">\(pmid)</PMID>\(breaks)"
            + "<Article><ArticleTitle>\(title)</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    }

    private static func document(_ body: String, doctype: String = "") -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\(doctype)<PubmedArticleSet>\n\(body)\n</PubmedArticleSet>\n"
    }

    /// Every real file of the samples and the interrupted download, both ways of keeping the
    /// records' bytes.
    @Test(arguments: RecordTestData.samples.map(\.path) + [RecordTestData.truncated])
    func realFilesGiveTheSameItems(path: String) {
        let url = RecordTestData.url(path)
        for keepingStream in [false, true] {
            let one = Self.transcript(url, threads: 1, keepingStream: keepingStream)
            let three = Self.transcript(url, threads: 3, keepingStream: keepingStream)
            #expect(one.lines.count > 20)
            // The chunks of the stream may come before the records they hold rather than after
            // (the store takes both within the file's transaction): each in their own order.
            Self.expectSame(one, three, "\(path), keepingStream \(keepingStream)") { !$0.hasPrefix("chunks") }
            Self.expectSame(one, three, "\(path), keepingStream \(keepingStream), chunks") { $0.hasPrefix("chunks") }
        }
    }

    /// A download cut short: every record before the damage reaches the handler before the gzip
    /// error, however far the workers were behind when the stream broke off (timing varies, so
    /// again and again).
    @Test func recordsBeforeTheDamageComeFirst() {
        for round in 0..<12 {
            let transcript = Self.transcript(RecordTestData.url(RecordTestData.truncated), threads: 2, keepingStream: round % 2 == 0)
            #expect(transcript.records.count == 266, "round \(round)")
            #expect(transcript.lines.last?.hasPrefix("error pubmed23n0001.xml.gz: the gzip stream ends early") == true)
        }
    }

    /// Damaged and unusual documents: the same error, at the same line, after the same records.
    @Test(arguments: [
        // a record that is not well-formed, deep in a file of records spanning several lines each
        ("mismatch", document((1...400).map { article($0, lines: 3) }.joined(separator: "\n")
            + "\n<PubmedArticle><MedlineCitation><PMID Version=\"1\">999</PMID></Medline></PubmedArticle>")),
        ("nested record", document("<PubmedArticle><MedlineCitation><PMID>1</PMID><Article>\(article(2))</Article></MedlineCitation></PubmedArticle>")),
        ("no PMID", document(article(5) + "\n<PubmedArticle><MedlineCitation><Article><ArticleTitle>T</ArticleTitle></Article></MedlineCitation></PubmedArticle>")),
        ("self-closing record", document(article(5) + "\n<PubmedArticle/>")),
        ("record inside DeleteCitation", document(article(5) + "\n<DeleteCitation><PMID Version=\"1\">7</PMID>\n\(article(6))</DeleteCitation>")),
        ("record inside an unknown element", document("<Future>\n\(article(6))</Future>")),
        ("record as the root", "<?xml version=\"1.0\"?>\n" + article(8)),
        ("wrong root", "<?xml version=\"1.0\"?>\n<Other>\n\(article(8))\n</Other>\n"),
        ("cut inside a record", String(document((1...50).map { article($0) }.joined(separator: "\n")).dropLast(300))),
        ("markup after the end", document(article(1)) + "<"),
        ("text after the end", document(article(1)) + "trailing"),
        ("undeclared entity, no DTD", document(article(1, title: "a &undeclared; b"))),
        ("undeclared entity, external DTD", document(article(1, title: "a &undeclared; b"),
                                                     doctype: "<!DOCTYPE PubmedArticleSet PUBLIC \"-//NLM//DTD PubMedArticle, 1st January 2019//EN\" \"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd\">\n")),
        ("entity declared", document(article(1), doctype: "<!DOCTYPE PubmedArticleSet [\n<!ENTITY x \"y\">\n]>\n")),
        ("deletions after records", document((1...30).map { article($0) }.joined(separator: "\n")
            + "\n<DeleteCitation>\n<PMID Version=\"1\">11</PMID>\n<PMID Version=\"2\">12</PMID>\n</DeleteCitation>")),
        ("comments and CDATA between records", document(article(1) + "\n<!-- <PubmedArticle> in a comment -->\n" + article(2)
            + "\n<?pi <PubmedArticle>?>\n" + article(3))),
        ("books and articles", document(article(1) + "\n<PubmedBookArticle><BookDocument><PMID Version=\"1\">20301546</PMID>"
            + "<Book><BookTitle>B</BookTitle></Book></BookDocument></PubmedBookArticle>\n" + article(3))),
        ("no records", document("")),
    ])
    func documentsGiveTheSameOutcome(label: String, text: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = try Self.gzipFile(text, in: folder)
        let one = Self.transcript(url, threads: 1, keepingStream: false)
        let two = Self.transcript(url, threads: 2, keepingStream: false)
        let four = Self.transcript(url, threads: 4, keepingStream: true)
        Self.expectSame(one, two, label)
        // With the stream kept, records come with their places and chunks come too: compare the rest.
        Self.expectSame(one, four, label + ", stream kept") { !$0.hasPrefix("record") && !$0.hasPrefix("chunks") }
    }

    /// The tests above must see errors where they expect them: a check that the transcripts are
    /// not trivially equal.
    @Test func theMismatchIsAnErrorAtTheRightLine() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = Self.document((1...400).map { Self.article($0, lines: 3) }.joined(separator: "\n")
            + "\n<PubmedArticle><MedlineCitation><PMID Version=\"1\">999</PMID></Medline></PubmedArticle>")
        let url = try Self.gzipFile(text, in: folder, name: "bad.xml.gz")
        let transcript = Self.transcript(url, threads: 2, keepingStream: false)
        #expect(transcript.records.count == 400)
        // 2 lines before the records, 7 lines a record (6 breaks and the one between records).
        let line = 3 + 400 * 7
        #expect(transcript.lines.last == "error bad.xml.gz: XML error at line \(line): Opening and ending tag mismatch: MedlineCitation line \(line) and Medline line \(line) kind xml")
    }

    /// The line count eight bytes at a time agrees with a plain count, for bytes that are close
    /// to a line feed (0x0A with a high bit, 0x0B, 0x09) and at every length around a word.
    @Test func newlinesAreCountedExactly() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0A, 0x8A, 0x0B, 0x09, 0x00, 0xFF, 0x7F, 0x80, 0x20, 0x41]
        for length in Array(0...40) + [1_000, 4_099] {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
                #expect(TextBytes.newlines(in: bytes) == bytes.filter { $0 == 0x0A }.count)
            }
        }
    }

    /// The scanner's pieces put back together are the stream, however it is cut, and each record
    /// knows its first line.
    @Test(arguments: [1, 7, 64, 4096, 1 << 20])
    func piecesRebuildTheStream(chunkSize: Int) throws {
        let text = Self.document("<!-- a comment -->\n" + (1...40).map { Self.article($0, lines: $0 % 3) }.joined(separator: "\n")
                                 + "\n<DeleteCitation>\n<PMID Version=\"1\">3</PMID>\n</DeleteCitation>",
                                 doctype: "<!DOCTYPE PubmedArticleSet [ <!-- <PubmedArticle> --> ]>\n")
        let bytes = Array(text.utf8)
        var scanner = RecordBoundaryScanner()
        scanner.splitsPieces = true
        var pieces: [StreamPiece] = []
        var offset = 0
        while offset < bytes.count {
            let count = min(chunkSize, bytes.count - offset)
            bytes.withUnsafeBytes { scanner.scan(UnsafeRawBufferPointer(rebasing: $0[offset..<offset + count])) }
            offset += count
            pieces += scanner.takePieces(atEnd: offset == bytes.count)
        }
        var rebuilt: [UInt8] = []
        var records = 0
        for piece in pieces {
            switch piece {
            case .outside(let outside):
                rebuilt += outside
            case .record(let record):
                records += 1
                #expect(record.offset == rebuilt.count)
                #expect(record.firstLine == 1 + rebuilt.filter { $0 == 0x0A }.count)
                #expect(record.newlines == record.bytes.filter { $0 == 0x0A }.count)
                rebuilt += record.bytes
            }
        }
        #expect(records == 40)
        #expect(rebuilt == bytes)
    }
}
