import Foundation
import Synchronization

/// The E-utilities' history server, in memory: each `WebEnv` holds numbered result sets
/// (`query_key` 1, 2, …) of PMIDs that esearch (`usehistory=y`) and epost put there and efetch and
/// esummary read back. Bounded: at most `environments` WebEnvs (the least recently used goes
/// first), at most `idsPerSet` PMIDs a set, and a WebEnv unused for `lifetime` is forgotten.
public final class SearchHistory: Sendable {
    public struct Limits: Sendable {
        public var environments = 1_000
        public var idsPerSet = 100_000
        public var lifetime: Duration = .seconds(8 * 3600)

        public init() {}
    }

    private struct Environment {
        var sets: [[Int]] = []
        var used: ContinuousClock.Instant
    }

    let limits: Limits
    private let environments = Mutex<[String: Environment]>([:])

    init(limits: Limits = Limits()) { self.limits = limits }

    /// Keeps `ids` as the next set of `webEnv` (a new WebEnv when nil or unknown), and says where.
    func store(_ ids: [Int], in webEnv: String?) -> (webEnv: String, queryKey: Int) {
        let now = ContinuousClock.now
        return environments.withLock { environments in
            expire(&environments, now: now)
            let name = webEnv.flatMap { environments[$0] == nil ? nil : $0 } ?? Self.newName()
            var environment = environments[name] ?? Environment(used: now)
            environment.sets.append(Array(ids.prefix(limits.idsPerSet)))
            environment.used = now
            environments[name] = environment
            if environments.count > limits.environments,
               let oldest = environments.min(by: { $0.value.used < $1.value.used })?.key {
                environments[oldest] = nil
            }
            return (name, environment.sets.count)
        }
    }

    /// The PMIDs of set `queryKey` of `webEnv`.
    func ids(webEnv: String, queryKey: Int) throws(EUtilityError) -> [Int] {
        let now = ContinuousClock.now
        let found: [Int]? = environments.withLock { environments in
            expire(&environments, now: now)
            guard var environment = environments[webEnv], environment.sets.indices.contains(queryKey - 1) else { return nil }
            environment.used = now
            environments[webEnv] = environment
            return environment.sets[queryKey - 1]
        }
        guard let found else {
            throw .unknownHistory("Unable to obtain query #\(queryKey) from WebEnv \(webEnv): it has expired or was never made on this server")
        }
        return found
    }

    private func expire(_ environments: inout [String: Environment], now: ContinuousClock.Instant) {
        environments = environments.filter { now - $0.value.used < limits.lifetime }
    }

    /// "MCID_" and 24 random hexadecimal digits, as NCBI's WebEnvs look today.
    private static func newName() -> String {
        var generator = SystemRandomNumberGenerator()
        return "MCID_" + (0..<3).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined().prefix(24)
    }
}
