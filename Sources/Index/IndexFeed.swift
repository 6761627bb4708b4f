import Logging
import Registry
import Synchronization

/// Carries the registry's events to the index without ever holding up a push or a pull:
/// ``receive(_:)`` only queues, and one task applies the queue in order. Should the queue
/// overflow (the database far behind), or an update fail, the index is marked stale and
/// re-read from storage once the queue has drained, so it always catches up.
public final class IndexFeed: ContentEventSink {
    /// Events waiting at most; past this the index catches up from storage instead.
    public static let capacity = 100_000

    private let stream: AsyncStream<ContentEvent>
    private let continuation: AsyncStream<ContentEvent>.Continuation
    private let stale = Atomic<Bool>(false)

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: ContentEvent.self, bufferingPolicy: .bufferingOldest(Self.capacity))
    }

    /// Queues `event`; never waits.
    public func receive(_ event: ContentEvent) async {
        guard case .manifest = event.object else { return }  // blobs change nothing the index shows
        if case .dropped = continuation.yield(event) { stale.store(true, ordering: .relaxed) }
    }

    /// Stops taking events; ``run(index:content:logger:)`` returns once the queue is applied.
    public func finish() {
        continuation.finish()
    }

    /// Applies queued events until ``finish()``. When the last run did not end cleanly (a
    /// crash between a push and its update) the index is first re-read from storage, in
    /// the background of serving.
    public func run(index: RepositoryIndex, content: any ContentStore, logger: Logger) async {
        let cleanKey = "clean_shutdown"
        let wasClean = (try? await index.state(cleanKey)) == "true"
        try? await index.setState(cleanKey, "false")
        if !wasClean { await catchUp(index, content, logger) }
        for await event in stream {
            do {
                try await index.apply(event, content: content)
            } catch {
                logger.warning("index update failed; will re-read from storage", metadata: ["repository": "\(event.repository)", "error": "\(error)"])
                stale.store(true, ordering: .relaxed)
            }
            if stale.load(ordering: .relaxed) {
                stale.store(false, ordering: .relaxed)
                await catchUp(index, content, logger)
            }
        }
        try? await index.setState(cleanKey, "true")
    }

    private func catchUp(_ index: RepositoryIndex, _ content: any ContentStore, _ logger: Logger) async {
        do {
            let (repositories, tags) = try await index.rebuild(from: content)
            logger.info("index caught up from storage", metadata: ["repositories": "\(repositories)", "tags": "\(tags)"])
        } catch {
            logger.warning("index could not read storage; it stays as it was", metadata: ["error": "\(error)"])
        }
    }
}
