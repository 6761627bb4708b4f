import Synchronization

/// The matches of broad searches, ranked: a word most repositories share
/// (`library`, a company's name) matches thousands, and reading them all costs milliseconds
/// a page should not pay each time. Kept until the index is next written (any write: a
/// push, a star, counted pulls), and on PostgreSQL, where other instances write too, for a
/// couple of seconds at most. Narrow searches are not kept: they cost their page already.
final class SearchCache: Sendable {
    struct Entry: Sendable {
        var writes: UInt64
        var madeAt: ContinuousClock.Instant
        /// The most popular matches (at most ``RepositoryIndex/broadSearchKept``), by tier
        /// (``SearchSQL/tier``), most popular first inside each.
        var hits: [SearchResults.Hit]
        /// How many matched, past what `hits` holds.
        var total: Int
    }

    /// Searches kept at once; each holds at most ten thousand matches.
    static let capacity = 4

    private let entries = Mutex<[(key: String, entry: Entry)]>([])
    /// Searches found broad, newest last: after a write they go straight to the cheap
    /// count and the popularity walk instead of ranking every match to learn it again.
    private let broadKeys = Mutex<[String]>([])
    /// Broad searches remembered as broad.
    static let broadKeysKept = 64
    /// nil: entries live until the next write (one instance writes); else their longest life.
    let lifetime: Duration?

    init(lifetime: Duration?) {
        self.lifetime = lifetime
    }

    /// The matches of `key` when nothing was written since they were read.
    func lookup(_ key: String, writes: UInt64) -> Entry? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
            let entry = entries[index].entry
            guard entry.writes == writes, lifetime.map({ now - entry.madeAt < $0 }) ?? true else {
                entries.remove(at: index)
                return nil
            }
            return entry
        }
    }

    /// Whether `key` was found broad before.
    func isBroad(_ key: String) -> Bool {
        broadKeys.withLock { $0.contains(key) }
    }

    /// Remembers that `key` is broad; the longest-remembered go first.
    func markBroad(_ key: String) {
        broadKeys.withLock { keys in
            keys.removeAll { $0 == key }
            keys.append(key)
            if keys.count > Self.broadKeysKept { keys.removeFirst(keys.count - Self.broadKeysKept) }
        }
    }

    /// Keeps the matches of `key`, read when `writes` writes were done; the oldest go first.
    func store(_ key: String, _ entry: Entry) {
        entries.withLock { entries in
            entries.removeAll { $0.key == key }
            entries.append((key, entry))
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        }
    }
}
