import Synchronization

/// A fixed number of places that requests on any thread take and give back: how the server bounds
/// what may run at once beside its queries (change feeds, answers built whole in memory).
final class Places: Sendable {
    let limit: Int
    private let taken = Mutex(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a place, or says there is none free.
    func take() -> Bool {
        taken.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func give() { taken.withLock { $0 -= 1 } }

    /// Runs `body` in a place, given back when it ends; nil at once when every place is taken.
    func within<T>(_ body: () async throws -> T) async rethrows -> T? {
        guard take() else { return nil }
        defer { give() }
        return try await body()
    }
}
