/// One row of a remote folder listing, whatever the protocol it came from.
public struct ListingEntry: Equatable, Sendable {
    public var name: String
    public var size: SizeHint?
    public var modified: RemoteTimestamp?
    public var isDirectory: Bool

    public init(name: String, size: SizeHint? = nil, modified: RemoteTimestamp? = nil, isDirectory: Bool = false) {
        self.name = name
        self.size = size
        self.modified = modified
        self.isDirectory = isDirectory
    }
}

/// A size as a listing gives it: exact bytes (FTP LIST/MLSD, nginx, file://) or rounded (Apache's
/// "19M"), which is only good for telling that a file has certainly changed.
public enum SizeHint: Equatable, Sendable {
    case exact(Int64)
    /// About `bytes`, give or take `tolerance`.
    case approximate(bytes: Int64, tolerance: Int64)

    public var exactBytes: Int64? {
        if case .exact(let bytes) = self { return bytes }
        return nil
    }

    /// The best single figure for planning (bytes to download, progress totals).
    public var estimate: Int64 {
        switch self {
        case .exact(let bytes): bytes
        case .approximate(let bytes, _): bytes
        }
    }

    /// Whether a file of exactly `bytes` could have been listed with this hint.
    public func admits(_ bytes: Int64) -> Bool {
        switch self {
        case .exact(let exact): exact == bytes
        case .approximate(let approx, let tolerance): abs(approx - bytes) <= tolerance
        }
    }
}

/// A modification time as a listing gives it, with the precision it was given at. An FTP LIST shows
/// `Jan 10 14:05` for recent files and `Jan 10 2025` for older ones, so one file's stamp loses
/// precision as it ages: stamps are compared at the coarser of the two precisions.
public struct RemoteTimestamp: Equatable, Sendable, Codable {
    public enum Precision: Int, Sendable, Codable, Comparable {
        case second = 1
        case minute = 60
        case day = 86_400

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Seconds since 1970-01-01 in the zone the server reports (UTC for MDTM, MLSD and
    /// Last-Modified; the server's own clock for LIST and HTML index pages).
    public var seconds: Int64
    public var precision: Precision

    public init(seconds: Int64, precision: Precision) {
        self.seconds = seconds
        self.precision = precision
    }

    /// Equal at the coarser of the two precisions.
    public func matches(_ other: RemoteTimestamp) -> Bool {
        let unit = Int64(max(precision, other.precision).rawValue)
        return Self.floor(seconds, unit) == Self.floor(other.seconds, unit)
    }

    private static func floor(_ value: Int64, _ unit: Int64) -> Int64 {
        value >= 0 ? value / unit : (value - unit + 1) / unit
    }
}
