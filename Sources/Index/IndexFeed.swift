import Logging
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

    private struct Numbered: Sendable {
        var number: UInt64
        /// nil: apply the pulls tallied since the last such item.
        var event: ContentEvent?
    }

    private let stream: AsyncStream<Numbered>
    private let continuation: AsyncStream<Numbered>.Continuation
    /// The number of the last event queued.
    private let queued = Atomic<UInt64>(0)
    private let stale = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    /// Pulls counted in memory and written in one transaction per batch: a manifest GET,
    /// the hottest path there is, costs a dictionary update, not a database write.
    private let pulls = Mutex(PullTally())

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Numbered.self, bufferingPolicy: .bufferingOldest(Self.capacity))
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

    /// Stops taking events: ``run(index:content:logger:)`` applies what is queued, gives up
    /// any re-read from storage in progress (the next start does it), and returns.
    public func finish() {
        stopping.store(true, ordering: .relaxed)
        continuation.finish()
    }

    /// Applies queued events until ``finish()``. When the last run did not end cleanly (a
    /// crash between a push and its update) the index is first re-read from storage, in
    /// the background of serving.
    public func run(index: RepositoryIndex, content: any ContentStore, logger: Logger) async {
        let cleanKey = "clean_shutdown"
        let wasClean = (try? await index.state(cleanKey)) == "true"
        try? await index.setState(cleanKey, "false")
        var complete = true
        // Events numbered up to this were queued before the last re-read began.
        var skipThrough: UInt64 = 0
        if !wasClean {
            skipThrough = queued.load(ordering: .relaxed)
            complete = await catchUp(index, content, logger)
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                continuation.yield(Numbered(number: 0, event: nil))
            }
        }
        defer { ticker.cancel() }
        for await item in stream {
            guard let event = item.event else {
                await flushPulls(index, logger)
                await index.refreshGrantsIfChanged()
                await index.refreshAccountsIfChanged()
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
            if stale.exchange(false, ordering: .relaxed) {
                skipThrough = queued.load(ordering: .relaxed)
                complete = await catchUp(index, content, logger) && complete
            }
        }
        await flushPulls(index, logger)
        // Only a run that missed nothing may let the next start skip its re-read.
        if complete && !stale.load(ordering: .relaxed) { try? await index.setState(cleanKey, "true") }
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

    /// Re-reads the index from storage; false when it stopped early or failed.
    private func catchUp(_ index: RepositoryIndex, _ content: any ContentStore, _ logger: Logger) async -> Bool {
        do {
            let counts = try await index.rebuild(from: content, while: { !self.stopping.load(ordering: .relaxed) })
            guard let (repositories, tags) = counts else { return false }
            logger.info("index caught up from storage", metadata: ["repositories": "\(repositories)", "tags": "\(tags)"])
            return true
        } catch {
            logger.warning("index could not read storage; it stays as it was", metadata: ["error": "\(error)"])
            return false
        }
    }
}
