import OCI
import Synchronization

/// What each namespace holds, as last counted: the distinct blobs linked in its
/// repositories and their bytes. Counted by a walk when first needed (or once stale), then
/// kept up to date by this process's own links; deletions and other instances' writes are
/// seen at the next count.
final class NamespaceUsage: Sendable {
    struct Count: Sendable {
        var blobs: [Digest: Int64]
        var bytes: Int64
        var countedAt: ContinuousClock.Instant
    }

    private let counts = Mutex<[String: Count]>([:])
    /// How long a count is trusted before the namespace is walked again.
    let lifetime: Duration

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    /// The namespace's count when fresh enough.
    func current(_ namespace: String) -> Count? {
        counts.withLock { state in
            guard let count = state[namespace], ContinuousClock.now - count.countedAt < lifetime else { return nil }
            return count
        }
    }

    /// The sizes the namespace's last count found, fresh or not: a recount looks up only
    /// blobs new since (a forgotten count, after a deletion, knows none).
    func lastKnownSizes(_ namespace: String) -> [Digest: Int64] {
        counts.withLock { $0[namespace]?.blobs ?? [:] }
    }

    func store(_ namespace: String, _ count: Count) {
        counts.withLock { $0[namespace] = count }
    }

    /// Whether a blob fits in the namespace, and when it does, counted at once.
    enum Admission: Equatable {
        /// Counted (or counted already: a blob the namespace holds costs nothing more).
        case admitted
        /// It does not fit: what the namespace holds.
        case full(held: Int64)
        /// No fresh count to decide with.
        case uncounted
    }

    /// Decides and counts in one step, so pushes that run at once cannot each pass a check
    /// made before any of them was counted and together exceed the quota. A blob admitted
    /// whose link then fails stays counted until the next count: a quota errs on the side
    /// of refusing.
    func admit(_ namespace: String, _ digest: Digest, size: Int64, limit: Int64) -> Admission {
        counts.withLock { state in
            guard var count = state[namespace], ContinuousClock.now - count.countedAt < lifetime else { return .uncounted }
            if count.blobs[digest] != nil { return .admitted }
            guard count.bytes + size <= limit else { return .full(held: count.bytes) }
            count.blobs[digest] = size
            count.bytes += size
            state[namespace] = count
            return .admitted
        }
    }

    /// Adds a blob this process linked into the namespace.
    func add(_ namespace: String, _ digest: Digest, size: Int64) {
        counts.withLock { state in
            guard var count = state[namespace], count.blobs[digest] == nil else { return }
            count.blobs[digest] = size
            count.bytes += size
            state[namespace] = count
        }
    }

    /// Forgets every count, after deletions made some bytes collectable.
    func invalidate(_ namespace: String? = nil) {
        counts.withLock { state in
            if let namespace { state[namespace] = nil } else { state.removeAll() }
        }
    }

    /// Every namespace counted so far with its bytes, for metrics.
    func snapshot() -> [String: Int64] {
        counts.withLock { $0.mapValues(\.bytes) }
    }
}
