/// Exponential backoff with full jitter and a cap: before retry `n` (1-based) wait a random time in
/// `0 ... min(cap, base × 2^(n-1))`, or what the server asked for with Retry-After if that is longer
/// (bounded by `maxServerDelay`, so a server cannot park a nightly run for hours).
public struct RetryPolicy: Sendable, Equatable {
    /// Retries after the first attempt.
    public var retries: Int
    public var base: Double
    public var cap: Double
    public var maxServerDelay: Double

    public init(retries: Int = 5, base: Double = 1, cap: Double = 60, maxServerDelay: Double = 300) {
        self.retries = retries
        self.base = base
        self.cap = cap
        self.maxServerDelay = maxServerDelay
    }

    /// Seconds to wait before retry number `retry` (1 for the first retry).
    public func delay(beforeRetry retry: Int, serverAsked: Double? = nil,
                      random: (ClosedRange<Double>) -> Double = { Double.random(in: $0) }) -> Double {
        let exponent = min(max(retry - 1, 0), 30)
        let ceiling = min(cap, base * Double(1 << exponent))
        let jittered = ceiling > 0 ? random(0...ceiling) : 0
        guard let serverAsked, serverAsked > 0 else { return jittered }
        return max(jittered, min(serverAsked, maxServerDelay))
    }
}
