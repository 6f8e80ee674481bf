import Foundation
import Synchronization

/// The E-utilities' history server, in memory: each `WebEnv` holds numbered result sets
/// (`query_key` 1, 2, …) of PMIDs that esearch (`usehistory=y`) and epost put there and efetch and
/// esummary read back. Bounded: at most `environments` WebEnvs, `idsPerSet` PMIDs a set,
/// `idsPerEnvironment` PMIDs a WebEnv (its oldest sets are forgotten first: a pipeline that reuses
/// one WebEnv for ever keeps its recent sets) and `ids` PMIDs in all (the least recently used WebEnv
/// goes first); a WebEnv unused for `lifetime` is forgotten. A set also counts `setCost` PMIDs for
/// itself (its array and its slot: about 100 bytes), so that millions of sets of one PMID, or of
/// none, are bounded too. A forgotten set's `query_key` is not given again.
public final class SearchHistory: Sendable {
    public struct Limits: Sendable {
        public var environments = 1_000
        public var idsPerSet = 100_000
        public var idsPerEnvironment = 1_000_000
        /// 8 bytes each: 160 MB at most.
        public var ids = 20_000_000
        public var lifetime: Duration = .seconds(8 * 3600)

        public init() {}
    }

    /// What a set costs beyond its PMIDs, in PMIDs (8 bytes each).
    static let setCost = 16

    private struct Environment {
        /// By `query_key`.
        var sets: [Int: [Int]] = [:]
        /// The oldest key that may still be kept: keys only grow, and the oldest go first.
        var firstKey = 1
        var lastKey = 0
        /// The PMIDs kept, and `setCost` for each set.
        var count = 0
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
            // Taken out while it changes, so that its sets are changed in place, not copied whole
            // on every new set (which made a WebEnv of many sets slower at each one).
            var environment = environments.removeValue(forKey: name) ?? Environment(used: now)
            let kept = Array(ids.prefix(limits.idsPerSet))
            environment.lastKey += 1
            environment.sets[environment.lastKey] = kept
            environment.count += kept.count + Self.setCost
            while environment.count > limits.idsPerEnvironment, environment.sets.count > 1 {
                while environment.sets[environment.firstKey] == nil { environment.firstKey += 1 }
                environment.count -= (environment.sets.removeValue(forKey: environment.firstKey)?.count ?? 0) + Self.setCost
            }
            environment.used = now
            environments[name] = environment
            var total = environments.values.reduce(0) { $0 + $1.count }
            while environments.count > 1, environments.count > limits.environments || total > limits.ids,
                  let oldest = environments.filter({ $0.key != name }).min(by: { $0.value.used < $1.value.used })?.key {
                total -= environments.removeValue(forKey: oldest)?.count ?? 0
            }
            return (name, environment.lastKey)
        }
    }

    /// The PMIDs of set `queryKey` of `webEnv`.
    func ids(webEnv: String, queryKey: Int) throws(EUtilityError) -> [Int] {
        let now = ContinuousClock.now
        let found: [Int]? = environments.withLock { environments in
            expire(&environments, now: now)
            guard let set = environments[webEnv]?.sets[queryKey] else { return nil }
            environments[webEnv]?.used = now
            return set
        }
        guard let found else {
            throw .unknownHistory("Unable to obtain query #\(queryKey) from WebEnv \(webEnv): it has expired, was never made on this server, or was forgotten to keep the history's memory bounded")
        }
        return found
    }

    private func expire(_ environments: inout [String: Environment], now: ContinuousClock.Instant) {
        guard environments.values.contains(where: { now - $0.used >= limits.lifetime }) else { return }
        environments = environments.filter { now - $0.value.used < limits.lifetime }
    }

    /// How many sets `webEnv` keeps (for tests).
    func setCount(_ webEnv: String) -> Int { environments.withLock { $0[webEnv]?.sets.count ?? 0 } }

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
