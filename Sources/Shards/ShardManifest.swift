import Foundation
import PubMedSupport

/// `manifest.json` of a shard set: what the parts hold, so that a loader can check every part
/// (records, bytes, MD5) and a pipeline knows where the set stands in the index's change sequence.
/// The same index gives the same manifest, byte for byte: it holds no time and no path.
public struct ShardManifest: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Every current record, in PMID order.
        case snapshot
        /// What changed after `since`, in the order it changed: records to upsert and deletions.
        case changes
    }

    public struct Part: Codable, Sendable, Equatable {
        /// `part-00000.ndjson.gz` (snapshot) or `changes-00000.ndjson.gz`.
        public var name: String
        public var records: Int
        /// Deletions (`{"deleted":true,…}` lines); 0 in a snapshot.
        public var deletions: Int
        /// Bytes of the compressed file, and its MD5 (as `md5sum` prints it).
        public var bytes: Int64
        public var md5: String
        /// The lowest and highest PMID in the part.
        public var firstPMID: Int
        public var lastPMID: Int
    }

    /// Always "pubmed-mirror-shards".
    public var format = "pubmed-mirror-shards"
    /// The layout of this manifest and of the parts' lines; raised when either changes.
    public var formatVersion = 1
    public var kind: Kind
    /// `--since`: the sequence number the changes come after (nil for a snapshot).
    public var since: Int64?
    /// The index's high-water mark the set was taken at: the `--since` of the next change set.
    public var highWaterMark: Int64
    public var records: Int
    public var deletions: Int
    /// What one line is.
    public var lines = "one JSON object a line, UTF-8: a record as `pubmed-mirror show --format json` prints it, or a deletion {\"deleted\":true,\"pmid\":N,\"version\":N}"
    public var parts: [Part]

    /// The manifest as written: sorted keys, two-space indent, a final newline.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }
}
