import Crypto
import Foundation
import PubMedGzip
import PubMedSupport

/// What reading a whole descriptor file found.
public struct DescriptorFileSummary: Sendable, Equatable {
    /// The file's name (its last path component).
    public var fileName: String
    /// Bytes of the file as stored (compressed, for a `.gz`).
    public var size: Int64
    /// MD5 of the file as stored.
    public var md5: String
    public var descriptors: Int
    /// The MeSH year the file itself tells: its DOCTYPE's DTD name, else the latest active year of
    /// its records.
    public var year: Int?
}

/// Reads a MeSH descriptor file, plain XML or gzip (told by its first bytes, whatever its name),
/// and hands every descriptor to a closure in file order. Blocking: call it from a thread of its
/// own. A gzip file is inflated on a second, short-lived thread (`InflatingReader`); memory stays
/// at a few buffers and one record.
public enum DescriptorFile {
    static let readSize = 1 << 20

    /// `name` is the file's name in messages and in the summary (default: its last path component;
    /// a download being checked under `NAME.partial` goes by `NAME`).
    @discardableResult
    public static func read(_ url: URL, name: String? = nil,
                            _ body: (MeshDescriptor) throws(MeshError) -> Void) throws(MeshError) -> DescriptorFileSummary {
        let name = name ?? url.lastPathComponent
        let magic: [UInt8]
        do throws(FileSystemError) { magic = try FileChunks.prefix(url, count: 2) } catch {
            throw .unreadable(file: name, message: "\(error.operation) failed: \(String(cString: strerror(error.errno)))", cause: error)
        }
        return try withoutActuallyEscaping(body) { (body) throws(MeshError) -> DescriptorFileSummary in
            let parser = try DescriptorParser(fileName: name, emit: body)
            let end: InflatingReader.End
            if magic == [0x1f, 0x8b] {
                end = try InflatingReader.read(url, readSize: readSize, hashing: true, ahead: { _ in () }, mapError: { error in
                    // A read that failed keeps its file-system error; damaged data, the gzip error.
                    MeshError.unreadable(file: name, message: error.message, cause: error.kind == .io ? error.cause ?? error : error)
                }) { (bytes, _, _) throws(MeshError) in try parser.parse(bytes) }
            } else {
                var hasher = Insecure.MD5()
                let size = try FileChunks.read(url, chunkSize: readSize, mapError: { error in
                    MeshError.unreadable(file: name, message: "\(error.operation) failed: \(String(cString: strerror(error.errno)))", cause: error)
                }) { (chunk) throws(MeshError) in
                    hasher.update(bufferPointer: chunk)
                    try parser.parse(chunk)
                }
                end = InflatingReader.End(fileSize: Int(size), md5: hasher.finalize().hex)
            }
            try parser.finish()
            // `hashing: true` above, and the plain branch sets it: there is always an MD5.
            return DescriptorFileSummary(fileName: name, size: Int64(end.fileSize), md5: end.md5 ?? "", descriptors: parser.count,
                                         year: parser.doctypeYear ?? parser.latestActiveYear)
        }
    }
}
