import Foundation
import Logging
import OCI
import Registry
import Synchronization

/// Carries the registry's events to the index without ever holding up a push or a pull:
/// ``receive(_:)`` only queues, and one task applies the queue in order. Should the queue
/// overflow (the database far behind), or an update fail, the index is re-read from
/// storage, and the events queued before that re-read are skipped: storage already says
/// more than they do, and applying them afterwards would move tags back in time.
public final class IndexFeed: ContentEventSink {
    /// Events waiting at most; past this the index catches up from storage instead.
    public static let capacity = 100_000

    struct Numbered: Sendable {
        var number: UInt64
        /// nil: apply the pulls tallied since the last such item.
        var event: ContentEvent?
    }

    let stream: AsyncStream<Numbered>
    let continuation: AsyncStream<Numbered>.Continuation
    /// The number of the last event queued.
    private let queued = Atomic<UInt64>(0)
    let stale = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// Pulls counted in memory and written in one transaction per batch: a manifest GET,
    /// the hottest path there is, costs a dictionary update, not a database write.
    let pulls = Mutex(PullTally())

    /// How often a run says it is alive, and how long one whose heartbeat stops changing
    /// is taken for dead: its instance stopped without applying what it had queued (killed,
    /// or lost with its machine), and whichever instance notices re-reads storage for it.
    private let beat: Duration
    private let deadAfter: Duration
    /// How long a failed re-read from storage waits before it is tried again (doubling).
    private let retry: Duration
    /// This run's key in `index_state` (`feedrun:<id>`), its heartbeat in milliseconds.
    private let runKey = "feedrun:" + UUID.random().uuidString

    public init(beat: Duration = .seconds(5), deadAfter: Duration = .seconds(30), retry: Duration = .seconds(10)) {
        (stream, continuation) = AsyncStream.makeStream(of: Numbered.self, bufferingPolicy: .bufferingOldest(Self.capacity))
        self.beat = beat
        self.deadAfter = deadAfter
        self.retry = retry
    }

    /// The index records who pushed, nothing else of a request.
    public var detail: EventDetail { .actor }

    /// Queues `event`; never waits. Blob events change nothing the index shows.
    public func receive(_ event: ContentEvent) async {
        if case .blob = event.object { return }
        if event.action == .pull {
            // Written about once a second by `run`, never per request.
            pulls.withLock { $0.add(event.repository.description, tag: event.tag?.description, at: IndexClock.now()) }
            return
        }
        let number = queued.add(1, ordering: .relaxed).newValue
        if case .dropped = continuation.yield(Numbered(number: number, event: event)) { stale.store(true, ordering: .relaxed) }
    }

    /// Stops taking events: ``run(index:content:marks:logger:)`` applies what is queued,
    /// gives up any re-read from storage in progress (the next start does it), and returns;
    /// ``runWithoutIndex(marks:logger:)`` marks what is queued and returns.
    public func finish() {
        stopping.store(true, ordering: .relaxed)
        continuation.finish()
    }

    /// Applies queued events until ``finish()``. The index is first read from storage when
    /// it never was, and re-read whenever a run (this instance's last, or another
    /// instance's) is found to have died with events it had not applied: several instances
    /// share one database, so each run keeps its own heartbeat rather than one flag that
    /// any instance's clean stop would set for all. The repositories `marks` (the store the
    /// instances share) names are re-read, too: an instance served without its index
    /// (``runWithoutIndex(marks:logger:)``) and they changed unseen. That is looked for at
    /// the start and every six beats.
    public func run(index: RepositoryIndex, content: any ContentStore, marks: Registry? = nil, logger: Logger) async {
        let readyKey = "index_ready"
        // Before runs kept heartbeats one flag said whether the last stop was clean.
        let legacy = try? await index.state("clean_shutdown")
        let ready = (try? await index.state(readyKey)) == "true" || legacy == "true"
        await heartbeat(index)
        // Its own task: a run busy catching up, or working through a backlog, must never
        // look dead to the others.
        let beating = Task { [beat] in
            while !Task.isCancelled {
                try? await Task.sleep(for: beat)
                guard !Task.isCancelled else { return }
                await self.heartbeat(index, first: false)
            }
        }
        var seen: [String: (value: String, since: ContinuousClock.Instant)] = [:]
        var dead = await deadRuns(index, &seen, atStart: true)
        var complete = true
        // Events numbered up to this were queued before the last re-read began.
        var skipThrough: UInt64 = 0
        // The start's re-read failed: the runs it was for, settled by the retry that succeeds.
        var unsettled: [String]?
        if !ready || legacy == "false" || !dead.isEmpty {
            skipThrough = queued.load(ordering: .relaxed)
            complete = await catchUp(index, content, marks, logger)
            if complete {
                await settle(index, dead: dead, readyKey: readyKey, legacy: legacy != nil)
            } else {
                unsettled = dead
                Self.postpone(dead, &seen, by: deadAfter * 9)
            }
        } else {
            if legacy != nil { await settle(index, dead: [], readyKey: readyKey, legacy: true) }
            // A full re-read above covered them too.
            await catchUpMarked(index, content, marks, logger)
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                continuation.yield(Numbered(number: 0, event: nil))
            }
        }
        defer { ticker.cancel() }
        var lastCheck = ContinuousClock.now
        var lastMarkCheck = ContinuousClock.now
        var markLook = beat * 6
        // When a re-read that events were skipped for failed (the database full or down),
        // it is tried again then: otherwise what those events did stayed missing until a
        // restart.
        // Each failure doubles the wait (to five minutes): a re-read lists all of storage.
        var retryDelay = retry
        var retryCatchUpAt: ContinuousClock.Instant? = complete ? nil : .now + retryDelay
        for await item in stream {
            guard let event = item.event else {
                if let at = retryCatchUpAt, ContinuousClock.now >= at {
                    skipThrough = queued.load(ordering: .relaxed)
                    // What went stale while this waited is read now.
                    stale.store(false, ordering: .relaxed)
                    if await catchUp(index, content, marks, logger) {
                        // Everything skipped so far is in: this run may stop without a
                        // trace, and the start's work is done (else every start, or another
                        // instance, read storage once more).
                        complete = true
                        if let runs = unsettled {
                            await settle(index, dead: runs, readyKey: readyKey, legacy: legacy != nil)
                            unsettled = nil
                        }
                        retryCatchUpAt = nil
                        retryDelay = retry
                    } else {
                        retryDelay = min(retryDelay * 2, .seconds(300))
                        retryCatchUpAt = .now + retryDelay
                    }
                }
                await flushPulls(index, logger)
                await index.refreshGrantsIfChanged()
                await index.refreshAccountsIfChanged()
                // Another instance serving without its index meanwhile: one listing of the
                // shared store every few heartbeats, as it marks only when it takes events.
                // A look that left marks waits longer each time (to five minutes): a
                // repository that cannot be read, or a store refusing deletes, is not read
                // again every few seconds.
                if ContinuousClock.now - lastMarkCheck >= markLook, retryCatchUpAt == nil {
                    lastMarkCheck = .now
                    markLook = await catchUpMarked(index, content, marks, logger) ? beat * 6 : min(markLook * 2, .seconds(300))
                }
                if ContinuousClock.now - lastCheck >= beat {
                    lastCheck = .now
                    dead = await deadRuns(index, &seen, atStart: false)
                    if !dead.isEmpty {
                        logger.info("an index run stopped without applying its events; re-reading storage", metadata: ["runs": "\(dead.count)"])
                        skipThrough = queued.load(ordering: .relaxed)
                        // What went stale so far is read now, as a retry's re-read does.
                        let wasStale = stale.exchange(false, ordering: .relaxed)
                        if await catchUp(index, content, marks, logger) {
                            await settle(index, dead: dead + (unsettled ?? []), readyKey: readyKey, legacy: false)
                            unsettled = nil
                            complete = true
                            // It read all of storage: a pending retry has nothing left to do.
                            retryCatchUpAt = nil
                            retryDelay = retry
                        } else {
                            // Not every few seconds while storage cannot be read whole.
                            Self.postpone(dead, &seen, by: deadAfter * 9)
                            complete = false
                            if wasStale { stale.store(true, ordering: .relaxed) }
                        }
                    }
                }
                continue
            }
            if item.number > skipThrough {
                do {
                    try await index.apply(event, content: content)
                } catch {
                    logger.warning("index update failed; will re-read from storage", metadata: ["repository": "\(event.repository)", "error": "\(error)"])
                    stale.store(true, ordering: .relaxed)
                }
            }
            // While a failed re-read waits for its retry, the retry covers this event too: a
            // database failing every update (its disk full) gets no read of all storage per push.
            if retryCatchUpAt == nil, stale.exchange(false, ordering: .relaxed) {
                skipThrough = queued.load(ordering: .relaxed)
                let caughtUp = await catchUp(index, content, marks, logger)
                complete = caughtUp
                if caughtUp, let runs = unsettled {
                    await settle(index, dead: runs, readyKey: readyKey, legacy: legacy != nil)
                    unsettled = nil
                }
                retryCatchUpAt = caughtUp ? nil : .now + retryDelay
            }
        }
        await flushPulls(index, logger)
        beating.cancel()
        await beating.value
        // Only a run that missed nothing may leave without a trace; one that did leaves its
        // heartbeat to go silent, and the next run to notice re-reads storage.
        if complete && !stale.load(ordering: .relaxed) { try? await index.removeState(runKey) }
    }

    /// Leaves `runs` alone for `delay` more before they count as dead again.
    private static func postpone(_ runs: [String], _ seen: inout [String: (value: String, since: ContinuousClock.Instant)], by delay: Duration) {
        for run in runs { seen[run]?.since = .now + delay }
    }

    /// Writes this run's heartbeat: the first creates its key, the rest only update it, so
    /// one still on its way when the run stops cleanly cannot bring the key back (a
    /// statement cancelled on PostgreSQL is left to finish).
    private func heartbeat(_ index: RepositoryIndex, first: Bool = true) async {
        if first {
            try? await index.setState(runKey, String(IndexClock.now()))
        } else {
            try? await index.updateState(runKey, String(IndexClock.now()))
        }
    }

    /// Other runs whose heartbeat has not changed for `deadAfter` of this run's own time
    /// (`seen` remembers each value and since when), so instances need no agreeing clocks.
    /// At start nothing has been watched yet: a SQLite file belongs to one process, so any
    /// other run found there died with it (a restart after a kill); on a shared database a
    /// run is dead then only if its last heartbeat is older than twice `deadAfter` by this
    /// host's clock.
    private func deadRuns(
        _ index: RepositoryIndex, _ seen: inout [String: (value: String, since: ContinuousClock.Instant)], atStart: Bool
    ) async -> [String] {
        guard let runs = try? await index.states(prefix: "feedrun:") else { return [] }
        let now = ContinuousClock.now
        let wallNow = IndexClock.now()
        let stale = 2 * (deadAfter.components.seconds * 1000 + deadAfter.components.attoseconds / 1_000_000_000_000_000)
        let alone = index.database.engine == .sqlite
        var dead = [String]()
        var still: [String: (value: String, since: ContinuousClock.Instant)] = [:]
        for run in runs where run.key != runKey {
            if atStart, alone || wallNow - (Int64(run.value) ?? 0) > stale {
                dead.append(run.key)
                still[run.key] = (run.value, now)
            } else if let earlier = seen[run.key], earlier.value == run.value {
                still[run.key] = earlier
                if now - earlier.since >= deadAfter { dead.append(run.key) }
            } else {
                still[run.key] = (run.value, now)
            }
        }
        seen = still
        return dead
    }

    /// After a complete re-read: the dead runs are accounted for, and the index has been
    /// read from storage at least once.
    private func settle(_ index: RepositoryIndex, dead: [String], readyKey: String, legacy: Bool) async {
        for key in dead { try? await index.removeState(key) }
        try? await index.setState(readyKey, "true")
        if legacy { try? await index.removeState("clean_shutdown") }
    }

    /// Writes the pulls tallied so far in one transaction.
    private func flushPulls(_ index: RepositoryIndex, _ logger: Logger) async {
        let tally = pulls.withLock { tally in
            defer { tally = PullTally() }
            return tally
        }
        do {
            try await index.recordPulls(tally)
        } catch {
            logger.warning("index could not record pulls", metadata: ["error": "\(error)"])
        }
    }

    /// Re-reads the index from storage; false when it stopped early or failed. The store's
    /// marks of unindexed events, read before, are settled after: the re-read covered them.
    private func catchUp(_ index: RepositoryIndex, _ content: any ContentStore, _ marks: Registry?, _ logger: Logger) async -> Bool {
        await rereadAll(index, content, marks, logger).rebuilt
    }

    /// ``catchUp(_:_:_:_:)``, and whether every mark read before it was settled too.
    private func rereadAll(
        _ index: RepositoryIndex, _ content: any ContentStore, _ marks: Registry?, _ logger: Logger
    ) async -> (rebuilt: Bool, marksSettled: Bool) {
        let found = (try? await marks?.unindexedMarks()) ?? []
        do {
            let counts = try await index.rebuild(from: content, while: { !self.stopping.load(ordering: .relaxed) })
            guard let (repositories, tags) = counts else { return (false, false) }
            logger.info("index caught up from storage", metadata: ["repositories": "\(repositories)", "tags": "\(tags)"])
            guard let marks else { return (true, true) }
            return (true, await settleMarks(found, index, content, marks, logger))
        } catch {
            logger.warning("index could not catch up from storage; it stays as it was and tries again", metadata: ["error": "\(error)"])
            return (false, false)
        }
    }

    /// Re-reads the repositories an instance serving without its index marked, each then
    /// cleared; a mark for all of storage is a full re-read. Only those: one instance that
    /// failed to open its index must not make the others read all of storage on every look.
    /// Returns whether every mark was settled (true when there were none, false when the
    /// store could not list them); what was not waits for the next look.
    @discardableResult
    private func catchUpMarked(_ index: RepositoryIndex, _ content: any ContentStore, _ marks: Registry?, _ logger: Logger) async -> Bool {
        guard let marks else { return true }
        guard let found = try? await marks.unindexedMarks() else { return false }
        guard !found.isEmpty else { return true }
        if found.contains(where: { $0.repository == nil }) {
            logger.info("an instance served without its index and lost track of its events; re-reading storage")
            let (rebuilt, settled) = await rereadAll(index, content, marks, logger)
            return rebuilt && settled
        }
        logger.info("an instance served without its index; re-reading the repositories it changed", metadata: ["repositories": "\(found.count)"])
        return await settleMarks(found, index, content, marks, logger)
    }

    /// Re-reads each marked repository (one storage no longer lists loses its tags) and
    /// clears its mark; a mark for all of storage is only cleared, as the caller read all
    /// of storage. Each on its own: one that fails is left for the next look, the others
    /// are done. Returns whether all were.
    private func settleMarks(
        _ found: [UnindexedMark], _ index: RepositoryIndex, _ content: any ContentStore, _ marks: Registry, _ logger: Logger
    ) async -> Bool {
        var settled = true
        for mark in found {
            guard !stopping.load(ordering: .relaxed) else { return false }
            if let repository = mark.repository {
                do {
                    try await index.reread(repository, from: content)
                } catch {
                    logger.warning("index could not re-read a repository changed without it; the next look tries again", metadata: [
                        "repository": "\(repository)", "error": "\(error)",
                    ])
                    settled = false
                    continue
                }
            }
            do {
                try await marks.clearUnindexed(mark)
            } catch {
                logger.warning("a mark of unindexed events could not be cleared; the next look reads it again", metadata: [
                    "repository": "\(mark.repository?.description ?? "all")", "error": "\(error)",
                ])
                settled = false
            }
        }
        return settled
    }
}
