import Synchronization

/// Below this many entries, expired ones are left to be dropped when read.
private let smallestSweep = 1024

/// A bounded in-memory map whose entries expire, for registry metadata read on every pull.
///
/// Content addressed by digest never changes, so it is kept until evicted. Mutable facts
/// (what a tag points at, whether a repository holds a revision) are kept for a short time
/// only: writes through this process update or drop them at once, and the expiry bounds how
/// long a change made by another process sharing the storage can go unseen.
final class MetadataCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var cost: Int
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var cost = 0
        /// Bumped by every removal, so a read that raced with a write cannot store what it
        /// read before the write (see ``generation()``).
        var generation: UInt64 = 0
        /// The entry count at which expired entries are next swept out.
        var sweepAt = smallestSweep
        /// Before this, going over the bound evicts without sweeping first: a cache whose
        /// live entries alone exceed it sweeps at most once per lifetime.
        var nextOverflowSweep = ContinuousClock.now
    }

    private let state = Mutex(State())
    private let maximumCost: Int
    private let lifetime: Duration?

    /// - Parameters:
    ///   - maximumCost: total cost (bytes, or 1 per entry) kept before entries are evicted.
    ///   - lifetime: how long an entry is trusted; nil for immutable content, zero for
    ///     nothing at all (mutable metadata on storage other processes write).
    init(maximumCost: Int, lifetime: Duration?) {
        self.maximumCost = maximumCost
        self.lifetime = lifetime
    }

    func get(_ key: Key) -> Value? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                state.cost -= entry.cost
                return nil
            }
            return entry.value
        }
    }

    /// Taken before reading storage and handed to ``put(_:_:cost:ifUnchangedSince:)``.
    func generation() -> UInt64 {
        state.withLock { $0.generation }
    }

    /// Stores what was read from storage, unless an entry was removed (a write happened)
    /// since `generation` was taken: the read may predate that write.
    func put(_ key: Key, _ value: Value, cost: Int = 1, ifUnchangedSince generation: UInt64) {
        guard cost <= maximumCost, lifetime != .zero else { return }
        let expires = lifetime.map { ContinuousClock.now + $0 } ?? ContinuousClock.now + .seconds(1 << 40)
        state.withLock { state in
            guard state.generation == generation else { return }
            store(&state, key, Entry(value: value, cost: cost, expires: expires))
        }
    }

    func put(_ key: Key, _ value: Value, cost: Int = 1) {
        guard cost <= maximumCost, lifetime != .zero else { return }
        let expires = lifetime.map { ContinuousClock.now + $0 } ?? ContinuousClock.now + .seconds(1 << 40)
        state.withLock { state in store(&state, key, Entry(value: value, cost: cost, expires: expires)) }
    }

    private func store(_ state: inout State, _ key: Key, _ entry: Entry) {
        if let old = state.entries.updateValue(entry, forKey: key) {
            state.cost -= old.cost
        }
        state.cost += entry.cost
        if let lifetime, state.entries.count >= state.sweepAt || (state.cost > maximumCost && ContinuousClock.now >= state.nextOverflowSweep) {
            sweep(&state, lifetime: lifetime)
        }
        // Evict arbitrary entries: cheap, and good enough for a working set that fits.
        while state.cost > maximumCost, let victim = state.entries.first(where: { $0.key != key }) {
            state.entries[victim.key] = nil
            state.cost -= victim.value.cost
        }
    }

    /// Drops every expired entry. Facts about ever-new digests (a registry taking pushes
    /// all day) are read once and never again, so an expired entry is not always dropped
    /// by a read: without this, a cache of one-second facts filled to its bound and held
    /// that memory for good. The survivors go into a dictionary of their own size, since a
    /// dictionary keeps its capacity when entries are removed. Sweeping again only once
    /// the survivors have doubled keeps the cost per insert constant.
    ///
    /// Over the bound, expired entries go before live ones are evicted; when the live ones
    /// alone are more than half the bound (so doubling would never be reached), that is
    /// what keeps sweeping, once per lifetime at most. Immutable content never expires and
    /// is never swept.
    private func sweep(_ state: inout State, lifetime: Duration) {
        let now = ContinuousClock.now
        state.entries = state.entries.filter { $0.value.expires > now }
        state.cost = state.entries.values.reduce(0) { $0 + $1.cost }
        state.sweepAt = max(smallestSweep, state.entries.count * 2)
        state.nextOverflowSweep = now + lifetime
    }

    /// How many entries are held, expired or not.
    var count: Int { state.withLock { $0.entries.count } }

    func remove(_ key: Key) {
        state.withLock { state in
            state.generation &+= 1
            if let old = state.entries.removeValue(forKey: key) { state.cost -= old.cost }
        }
    }
}
