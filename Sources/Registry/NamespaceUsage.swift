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
        /// When the listing this count comes from began.
        var countedAt: ContinuousClock.Instant
        /// Blobs this process admitted since the count, with when each was linked: a
        /// recount whose listing began before a link was written keeps that blob, so a
        /// recount racing a push cannot forget what the push was let in with.
        var admitted: [Digest: Admitted] = [:]
        /// When a deletion made the count unusable; it is kept only for its admissions
        /// (and sizes), never to decide with.
        var invalidatedAt: ContinuousClock.Instant?
    }

    /// Which admission a push holds. A push gives back only its own, never one that
    /// replaced it: past ``pendingBound`` a recount drops an admission nobody linked or
    /// released, and a later push of the same blob is then admitted anew.
    struct Ticket: Hashable, Sendable {
        let number: UInt64
    }

    /// One admission: pending until its link is written (or the push fails and releases
    /// it), then linked at an instant.
    struct Admitted: Sendable {
        var at: ContinuousClock.Instant
        var ticket: Ticket
        var linkedAt: ContinuousClock.Instant?
        /// Pushes of this blob let in while it was pending: one of them failing must not
        /// give back what the others still need.
        var holders = 1

        /// Whether a listing begun at `started` may have missed this blob's link.
        func unseen(byListingAt started: ContinuousClock.Instant) -> Bool {
            linkedAt.map { $0 >= started } ?? true
        }
    }

    private let counts = Mutex<[String: Count]>([:])
    private let issued = Atomic<UInt64>(0)
    /// How long a count is trusted before the namespace is walked again.
    let lifetime: Duration
    /// How long an admission whose push neither linked nor released it is carried: longer
    /// than any link takes (a server-side copy of a very large blob on S3; an hour by
    /// default), and bounded so a process killed mid-push cannot hold quota forever.
    let pendingBound: Duration

    init(lifetime: Duration, pendingBound: Duration = .seconds(3600)) {
        self.lifetime = lifetime
        self.pendingBound = pendingBound
    }

    private func newTicket() -> Ticket {
        Ticket(number: issued.wrappingAdd(1, ordering: .relaxed).newValue)
    }

    /// Whether `count` may decide admissions now.
    private func usable(_ count: Count) -> Bool {
        count.invalidatedAt == nil && ContinuousClock.now - count.countedAt < lifetime
    }

    /// The namespace's count when fresh enough.
    func current(_ namespace: String) -> Count? {
        counts.withLock { state in
            guard let count = state[namespace], usable(count) else { return nil }
            return count
        }
    }

    /// The sizes the namespace's last count found, fresh or not: a recount looks up only
    /// blobs new since (a blob's size never changes).
    func lastKnownSizes(_ namespace: String) -> [Digest: Int64] {
        counts.withLock { $0[namespace]?.blobs ?? [:] }
    }

    /// Keeps a count. A newer usable count stored meanwhile (by a recount that began later)
    /// wins. Otherwise each admission the listing may have missed (not linked yet, or linked
    /// after the listing began) is carried over, so racing recounts lose none; and a count
    /// whose listing began before the last invalidation stays invalidated, since it may
    /// still hold what was deleted. Returns the count kept.
    @discardableResult
    func store(_ namespace: String, _ count: Count) -> Count {
        counts.withLock { state in
            var count = count
            if let existing = state[namespace] {
                if existing.invalidatedAt == nil, existing.countedAt > count.countedAt { return existing }
                let now = ContinuousClock.now
                for (digest, admission) in existing.admitted
                where now - admission.at < pendingBound && admission.unseen(byListingAt: count.countedAt) {
                    guard let size = existing.blobs[digest], count.blobs[digest] == nil else { continue }
                    count.blobs[digest] = size
                    count.bytes += size
                    count.admitted[digest] = admission
                }
                if let invalidated = existing.invalidatedAt, count.countedAt < invalidated {
                    count.invalidatedAt = invalidated
                }
            }
            state[namespace] = count
            return count
        }
    }

    /// Whether a blob fits in the namespace, and when it does, counted at once.
    enum Admission: Equatable {
        /// Counted, pending until the push links it or releases it on failure with this
        /// ticket.
        case admitted(Ticket)
        /// Linked in the namespace already: it costs nothing more, and there is nothing to
        /// release should the push fail.
        case present
        /// It does not fit: what the namespace holds.
        case full(held: Int64)
        /// No fresh count to decide with.
        case uncounted

        /// The admission's ticket, when the push now holds one.
        var ticket: Ticket? {
            if case .admitted(let ticket) = self { return ticket }
            return nil
        }
    }

    /// Decides and counts in one step, so pushes that run at once cannot each pass a check
    /// made before any of them was counted and together exceed the quota. A push that
    /// fails after this releases its admission (``release(_:_:ticket:)``).
    func admit(_ namespace: String, _ digest: Digest, size: Int64, limit: Int64) -> Admission {
        counts.withLock { state in
            guard var count = state[namespace] else { return .uncounted }
            // Pending for another push: its bytes are counted (and carried into every
            // recount) however stale the count, and this push shares the admission.
            if var pending = count.admitted[digest], pending.linkedAt == nil, ContinuousClock.now - pending.at < pendingBound {
                pending.holders += 1
                count.admitted[digest] = pending
                state[namespace] = count
                return .admitted(pending.ticket)
            }
            guard usable(count) else { return .uncounted }
            if count.blobs[digest] != nil { return .present }
            guard count.bytes + size <= limit else { return .full(held: count.bytes) }
            count.blobs[digest] = size
            count.bytes += size
            let ticket = newTicket()
            count.admitted[digest] = Admitted(at: .now, ticket: ticket)
            state[namespace] = count
            return .admitted(ticket)
        }
    }

    /// Gives back an admission whose push failed before its link was written, once no
    /// other push of the same blob holds it; nothing when the blob's admission is no
    /// longer the one `ticket` names.
    func release(_ namespace: String, _ digest: Digest, ticket: Ticket) {
        counts.withLock { state in
            guard var count = state[namespace], var admission = count.admitted[digest], admission.ticket == ticket,
                  admission.linkedAt == nil
            else { return }
            admission.holders -= 1
            if admission.holders > 0 {
                count.admitted[digest] = admission
                state[namespace] = count
                return
            }
            count.admitted[digest] = nil
            if let size = count.blobs.removeValue(forKey: digest) { count.bytes -= size }
            state[namespace] = count
        }
    }

    /// Adds a blob this process linked into the namespace, or marks its admission linked.
    func add(_ namespace: String, _ digest: Digest, size: Int64) {
        counts.withLock { state in
            guard var count = state[namespace] else { return }
            let now = ContinuousClock.now
            if count.blobs[digest] == nil {
                count.blobs[digest] = size
                count.bytes += size
                count.admitted[digest] = Admitted(at: now, ticket: newTicket(), linkedAt: now)
            } else if count.admitted[digest] != nil {
                count.admitted[digest]?.linkedAt = now
            }
            state[namespace] = count
        }
    }

    /// Forgets every count, after deletions made some bytes collectable. Admissions are kept
    /// for the next count to carry over those not linked yet: a push let in just before a
    /// deletion must not be forgotten by the recount after it.
    func invalidate(_ namespace: String? = nil) {
        counts.withLock { state in
            let now = ContinuousClock.now
            for key in namespace.map({ [$0] }) ?? Array(state.keys) {
                guard let count = state[key] else { continue }
                var kept = Count(blobs: [:], bytes: 0, countedAt: count.countedAt, invalidatedAt: now)
                for (digest, admission) in count.admitted {
                    guard let size = count.blobs[digest] else { continue }
                    kept.blobs[digest] = size
                    kept.bytes += size
                    kept.admitted[digest] = admission
                }
                state[key] = kept
            }
        }
    }
}
