/// Byte counts and durations as people read them, for messages, logs and the command line.
public enum ByteCount {
    /// Decimal units: "812 B", "1.59 MB", "16.7 MB", "171 GB".
    public static func format(_ value: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1000 && unit < units.count - 1 {
            amount /= 1000
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        return String(format: amount < 10 ? "%.2f %@" : amount < 100 ? "%.1f %@" : "%.0f %@", amount, units[unit])
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var inSeconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
