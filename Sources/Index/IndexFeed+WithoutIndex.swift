import Foundation
import Logging
import OCI
import Registry

extension IndexFeed {
    /// What a run without its index does with the feed: the registry's events have nowhere
    /// to go, so each push or delete marks its repository in `marks` (at most once a
    /// second, and once more after the last), and the first run that has its index
    /// re-reads those repositories. Pulls are noted as uses of their tags (at most every ten
    /// minutes a tag), as a mirror notes its cached ones, so retention's `keep.within`
    /// counts them once the index is back. Returns after ``finish()``.
    public func runWithoutIndex(marks: Registry, logger: Logger) async {
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                continuation.yield(Numbered(number: 0, event: nil))
            }
        }
        defer { ticker.cancel() }
        var pending = Set<RepositoryName?>()
        var lastMark: ContinuousClock.Instant?
        // Doubled after a round that failed (to a minute), so a store refusing writes is
        // not written to every second.
        var markEvery = Duration.seconds(1)
        var uses = NotedUses()
        var warned = false
        for await item in stream {
            if let event = item.event { pending.insert(event.repository) } else { await uses.note(takePulls(), in: marks, logger) }
            // A dropped event (the queue full) went unindexed as much as one taken, and
            // which repository it was is not known.
            if stale.exchange(false, ordering: .relaxed) { pending.insert(nil) }
            guard !pending.isEmpty, lastMark.map({ ContinuousClock.now - $0 >= markEvery }) ?? true else { continue }
            lastMark = .now
            pending = await Self.mark(pending, in: marks, logger, warned: &warned)
            markEvery = pending.isEmpty ? .seconds(1) : min(markEvery * 2, .seconds(60))
        }
        if !pending.isEmpty { _ = await Self.mark(pending, in: marks, logger, warned: &warned) }
        await uses.note(takePulls(), in: marks, logger)
    }

    /// The pulls tallied since the last take.
    private func takePulls() -> PullTally {
        pulls.withLock { tally in
            defer { tally = PullTally() }
            return tally
        }
    }

    /// Marks each repository; returns those whose mark could not be written, to try again.
    private static func mark(
        _ repositories: Set<RepositoryName?>, in marks: Registry, _ logger: Logger, warned: inout Bool
    ) async -> Set<RepositoryName?> {
        var failed = Set<RepositoryName?>()
        for repository in repositories {
            do {
                try await marks.markUnindexed(repository)
            } catch {
                failed.insert(repository)
                // Nothing else can tell the next run; `pier index rebuild` can.
                if !warned {
                    logger.error("an event went unindexed and the store could not record it: run `pier index rebuild` once the index is back", metadata: ["error": "\(error)"])
                    warned = true
                }
            }
        }
        return failed
    }

    /// When each pulled tag's use was last written, so a busy tag costs one write in ten
    /// minutes, not one a second.
    private struct NotedUses {
        var written = [String: ContinuousClock.Instant]()
        var warned = false

        mutating func note(_ tally: PullTally, in marks: Registry, _ logger: Logger) async {
            // A read-only registry writes nothing: each note would be refused.
            guard !marks.options.readOnly else { return }
            for (repository, counts) in tally.repositories {
                guard let name = RepositoryName(repository) else { continue }
                for tagName in counts.tags.keys {
                    guard let tag = Tag(tagName) else { continue }
                    let key = "\(repository):\(tagName)"
                    if let last = written[key], ContinuousClock.now - last < .seconds(600) { continue }
                    if written.count > 100_000 { written.removeAll() }
                    written[key] = .now
                    do {
                        try await marks.noteUse(name, .tag(tag))
                    } catch {
                        guard !warned else { continue }
                        logger.warning("a pull served without the index could not be noted; retention may judge its tag by its push", metadata: [
                            "repository": "\(repository)", "tag": "\(tagName)", "error": "\(error)",
                        ])
                        warned = true
                    }
                }
            }
        }
    }
}
