import Synchronization

/// The sorted list of repository names behind `/v2/_catalog`.
///
/// Names created by this process are inserted as they appear; on shared storage, those
/// other instances created are merged from the catalog journal on every read; a periodic
/// walk adds what any other writer created and drops removed ones. Only one walk runs at a
/// time.
final class CatalogCache: Sendable {
    enum Snapshot {
        case fresh([String])
        case stale([String])
        case missing
    }

    private struct State {
        var names: [String]?
        var known: Set<String> = []
        /// Names inserted since the running walk started; a walk must not drop them.
        var insertedDuringWalk: Set<String> = []
        var builtAt = ContinuousClock.now
        var walking = false
        /// How far the catalog journal has been read (milliseconds since 1970 of the
        /// newest entry seen, or of the last walk's start).
        var journalCursor: Int64 = 0
        /// Names other instances can know without a journal entry from this one: found by a
        /// walk, read from the journal, or journaled here.
        var journaled: Set<String> = []
        /// When this process last pruned the journal.
        var prunedAt: Int64 = 0
    }

    private let state = Mutex(State())

    /// The current list, and whether it is due for a walk (which the caller then starts).
    func snapshot(maximumAge: Duration) -> Snapshot {
        state.withLock { state in
            guard let names = state.names else { return .missing }
            if ContinuousClock.now - state.builtAt > maximumAge, !state.walking {
                state.walking = true
                return .stale(names)
            }
            return .fresh(names)
        }
    }

    /// Forgets a repository this process deleted; other instances drop it at their next walk.
    func remove(_ name: String) {
        state.withLock { state in
            state.known.remove(name)
            state.journaled.remove(name)
            state.insertedDuringWalk.remove(name)
            if let names = state.names {
                let index = names.partitioningIndex { $0 >= name }
                if index < names.count, names[index] == name { state.names?.remove(at: index) }
            }
        }
    }

    /// Records a repository this process just wrote into.
    /// - Returns: whether it was new to this process (neither listed nor recorded before).
    @discardableResult
    func insert(_ name: String) -> Bool {
        state.withLock { state in Self.insert(name, into: &state) }
    }

    private static func insert(_ name: String, into state: inout State) -> Bool {
        let new = !state.known.contains(name) && !state.insertedDuringWalk.contains(name)
        // Kept for the walk that is running, or the first one still to finish.
        if state.walking || state.names == nil { state.insertedDuringWalk.insert(name) }
        guard state.names != nil, !state.known.contains(name) else { return new }
        state.known.insert(name)
        let index = state.names?.partitioningIndex { $0 >= name } ?? 0
        state.names?.insert(name, at: index)
        return new
    }

    /// Where the next read of the catalog journal starts (see ``merge(_:cursor:)``).
    var journalCursor: Int64 { state.withLock { $0.journalCursor } }

    /// Adds names other instances recorded in the catalog journal.
    /// - Returns: the current list, or nil before a first walk has finished.
    func merge(_ names: [String], cursor: Int64) -> [String]? {
        state.withLock { state in
            for name in names {
                _ = Self.insert(name, into: &state)
                state.journaled.insert(name)
            }
            state.journalCursor = max(state.journalCursor, cursor)
            return state.names
        }
    }

    /// Whether a repository this process writes into may be unknown to other instances.
    func needsJournal(_ name: String) -> Bool {
        state.withLock { !$0.journaled.contains(name) }
    }

    /// Records that the journal names `name`.
    func markJournaled(_ name: String) {
        state.withLock { _ = $0.journaled.insert(name) }
    }

    /// Claims the first walk when none has run or is running; the caller then starts it.
    func claimFirstWalk() -> Bool {
        state.withLock { state in
            guard state.names == nil, !state.walking else { return false }
            state.walking = true
            return true
        }
    }

    /// Claims the journal's pruning when it last ran more than `interval` ago.
    func claimPrune(at now: Int64, every interval: Int64) -> Bool {
        state.withLock { state in
            guard now - state.prunedAt >= interval else { return false }
            state.prunedAt = now
            return true
        }
    }

    /// Lets the next snapshot start another walk after this one failed.
    func walkFailed() {
        state.withLock { $0.walking = false }
    }

    /// Installs the result of a walk, keeping names inserted while it ran.
    /// - Parameter journalCursor: when the walk started (milliseconds since 1970): what
    ///   the journal recorded before then, the walk found.
    func replace(with walked: [String], walkStarted: ContinuousClock.Instant, journalCursor: Int64 = 0) -> [String] {
        state.withLock { state in
            // A slower walk that started earlier must not replace a newer result.
            if let names = state.names, state.builtAt > walkStarted {
                state.walking = false
                return names
            }
            var known = Set(walked)
            known.formUnion(state.insertedDuringWalk)
            let names = known.sorted()
            state.names = names
            state.known = known
            state.insertedDuringWalk = []
            state.builtAt = walkStarted
            state.walking = false
            state.journaled.formUnion(walked)
            state.journalCursor = max(state.journalCursor, journalCursor)
            return names
        }
    }
}

extension Array where Element: Comparable {
    /// The first index whose element satisfies `predicate`, for a predicate that is false
    /// then true along the sorted array.
    func partitioningIndex(where predicate: (Element) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let mid = (low + high) / 2
            if predicate(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
