public import Foundation
public import OCI
import Storage

/// Removes what nothing live references, while the registry serves: blobs no manifest
/// reaches, and with an untagged policy, manifests no tag reaches. The safety protocol is in
/// `docs/garbage-collection.md`; in short, marking starts from every tag (and every kept
/// manifest), nothing younger than the grace period is touched, and each candidate is
/// first moved aside, then checked against the reference journal that writers fill before
/// they rely on a blob, and only then deleted or put back.
public struct GarbageCollector: Sendable {
    /// What becomes of manifests no tag reaches.
    public enum UntaggedPolicy: Sendable, Equatable {
        /// Kept, as distribution's collector keeps them without `--delete-untagged`.
        case keep
        /// Removed once older than the duration (and the grace period), unless an index,
        /// or as a referrer a manifest, that is kept reaches them.
        case delete(after: Duration)
    }

    /// How one collection behaves.
    public struct Options: Sendable {
        /// Only report what would be removed.
        public var dryRun = false
        /// Whether manifests no tag reaches are live (distribution's default) or go.
        public var untagged: UntaggedPolicy = .keep
        /// Nothing written more recently than this is removed: a push uploads its layers
        /// before the manifest that references them.
        public var grace: Duration = .zero
        /// Upload sessions started longer ago than this are removed too; nil leaves them.
        public var uploadAge: Duration?
        /// Which tags to keep in which repositories; repositories no rule covers keep all.
        public var retention: [RetentionRule] = []
        /// When each tag of a repository was last pulled (seconds since 1970), for
        /// retention's `within`: the index knows; without it (`index.disabled`) only pushes
        /// count. A lookup that throws keeps the repository whole for that collection: a
        /// tag pulled a minute ago must not go for lack of the time it was pulled.
        public var lastPulled: (@Sendable (RepositoryName) async throws -> [String: Double])?
        /// Seconds the collector rests for each second it works (between repositories and
        /// batches), so a collection in a serving registry takes a share of the machine,
        /// not all of it; 0 for an offline collection at full speed.
        public var restRatio: Double = 0
        /// Candidates moved aside at once before the journal is read: small enough that a
        /// candidate a concurrent write revives is gone only briefly (its files are moved
        /// sixteen at a time), large enough that the journal is not read for every few.
        public var batchSize = 128

        public init(dryRun: Bool = false, untagged: UntaggedPolicy = .keep, grace: Duration = .zero, uploadAge: Duration? = nil) {
            self.dryRun = dryRun
            self.untagged = untagged
            self.grace = grace
            self.uploadAge = uploadAge
        }
    }

    let registry: Registry
    /// How this collector behaves, fixed for its lifetime.
    public let options: Options

    public init(registry: Registry, options: Options) {
        self.registry = registry
        self.options = options
    }

    /// Runs one collection: recovers what an interrupted one left aside, marks, removes
    /// untagged manifests (by policy), sweeps blobs, purges old uploads and prunes the
    /// reference journal.
    /// - Parameter progress: called before each batch, so a caller can keep a lease alive.
    public func collect(now: Date = Date(), progress: @Sendable () async throws -> Void = {}) async throws -> CollectionReport {
        let clock = ContinuousClock.now
        var report = CollectionReport(dryRun: options.dryRun)
        let started = Int64((now.timeIntervalSince1970 * 1000).rounded())
        if !options.dryRun { try await recoverQuarantine() }
        var state = Sweep(journalSince: started - journalLookback, pacer: Pacer(ratio: options.restRatio))
        let marking = try await mark(startedAt: started, report: &report, state: &state)
        report.markDuration = ContinuousClock.now - clock
        // What the journal protected while marking stays protected.
        state.marked.formUnion(marking.blobs)
        state.manifests.merge(marking.manifests) { old, _ in old }
        try await removeTags(marking.expiredTags, state: &state, report: &report)
        try await removeManifests(marking.unreachable, state: &state, report: &report, progress: progress)
        let sweeping = ContinuousClock.now
        try await sweepBlobs(olderThan: Double(started) / 1000 - Self.seconds(options.grace), state: &state, report: &report, progress: progress)
        report.sweepDuration = ContinuousClock.now - sweeping
        if let age = options.uploadAge {
            report.uploadsPurged = try await purgeUploads(marking.uploads, olderThan: Double(started) / 1000 - Self.seconds(age))
        }
        report.concurrentWrites = try await registry.referenceEntries(since: started).count
        if !options.dryRun {
            try await registry.pruneReferenceJournal(before: started - 2 * Registry.referenceWindow)
        }
        // Namespaces hold less now; their quotas count again.
        if !options.dryRun { registry.namespaceUsage.invalidate() }
        report.duration = ContinuousClock.now - clock
        return report
    }

    /// How far before the start of marking the journal is read: writes that recorded
    /// their references earlier finished before marking began, unless one took longer than
    /// this between recording and storing (a few store requests). The grace period, at most
    /// ``Registry/referenceWindow``: with none (a collection while nothing writes, as
    /// distribution's), only what is recorded during the collection counts.
    var journalLookback: Int64 {
        min(Int64(Self.seconds(options.grace) * 1000), Registry.referenceWindow)
    }

    /// A duration as fractional seconds, for comparing with the times stores report.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Rests in proportion to the work done since the last rest (``Options/restRatio``).
    struct Pacer {
        let ratio: Double
        var since = ContinuousClock.now

        mutating func rest() async throws {
            guard ratio > 0 else { return }
            let worked = ContinuousClock.now - since
            // Rests of less than a few milliseconds cost more than they give back.
            guard worked >= .milliseconds(10) else { return }
            try await Task.sleep(for: worked * ratio)
            since = ContinuousClock.now
        }
    }

    /// What the sweep carries between batches: what is live, the journal entries already
    /// read, and the references of manifests already parsed.
    struct Sweep {
        var journalSince: Int64
        var pacer: Pacer
        var marked = Set<Digest>()
        var manifests = [Digest: References]()
        var journalRead = Set<String>()
        /// The last journal minute read whole and settled (see ``GarbageCollector/readJournal(_:)``).
        var journalSettledMinute: Int64?
        /// Everything a journal entry named, with what those manifests reference in turn.
        var protected = Set<Digest>()
        /// Tags pushed since the journal's start, by `repository:tag`, to the digest pushed.
        var retagged = [String: Digest]()
    }

    /// What a manifest references: blobs it needs (config, layers) and manifests (an index's
    /// children), or for bytes that are no manifest this registry parses, every digest they
    /// mention, as both.
    struct References: Sendable {
        var blobs: [Digest]
        var manifests: [Digest]
    }
}
