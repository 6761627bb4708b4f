import CSystemShims
import Foundation
import Index
import Logging
import OCI
import Registry

extension PierServer {
    /// Collects garbage every `gc.interval` (counted from the last collection any instance
    /// sharing the store finished), one instance at a time, while the registry serves.
    func collectGarbage(_ registry: Registry, index: RepositoryIndex?) async {
        let settings = configuration.collection
        guard configuration.collectsGarbage else { return }
        let lease = CollectorLease(
            registry: registry,
            owner: CollectorLease.owner(host: ProcessInfo.processInfo.hostName, pid: ProcessInfo.processInfo.processIdentifier),
            settle: min(.milliseconds(200), settings.interval)
        )
        var options = settings.options(uploadPurging: configuration.uploadPurging, retention: configuration.retentionRules)
        if let index {
            options.lastPulled = Self.lastPulled(from: index)
        } else if configuration.index.enabled {
            // Configured but not opened at start: no pull times until a restart opens it,
            // and each collection keeps what `within` would judge by them (the report says
            // which repositories), rather than counting pushes only.
            options.lastPulled = { _ in throw IndexUnavailable() }
        }
        // In a serving registry the collector works at most half the time: requests first.
        options.restRatio = 1
        let collector = GarbageCollector(registry: registry, options: options)
        let metrics = CollectorMetrics()
        // Looks often enough to notice another instance's collection, rarely enough to cost nothing.
        let pause = min(settings.interval, .seconds(60))
        if !options.dryRun, !registry.options.readOnly { await lease.keepReserve() }
        // What a collection cut short left aside (the process killed mid-batch) goes back
        // at start, not one interval later: until then pulls of those blobs would fail.
        if !options.dryRun, await collector.hasQuarantine(), (try? await lease.acquire()) == true {
            // A task of its own: storage calls honour cancellation, and putting back must
            // not stop half-way when the server stops during it.
            await Task {
                do {
                    try await collector.recoverQuarantine()
                } catch {
                    logger.error("blobs an interrupted collection set aside could not all be put back; the next collection tries again", metadata: ["error": "\(error)"])
                }
                try? await lease.release(succeeded: false)
            }.value
        }
        while !Task.isCancelled {
            // The last success, or before the first the store's set-up (recorded by this
            // look on a new store, so the gauge is never 0 and the staleness alert holds
            // from the first scrape).
            if let last = try? await lease.intervalStart() { metrics.recordLastSuccess(last) }
            try? await Task.sleep(for: pause)
            guard !Task.isCancelled else { return }
            do {
                // One interval after the last collection (by any instance), or after the
                // store was first seen: not at every start.
                guard try await Date().timeIntervalSince(lease.intervalStart()) >= GarbageCollector.seconds(settings.interval) else {
                    continue
                }
                guard try await lease.acquire() else { continue }
                let report: CollectionReport
                let renewal = lease.renewing()
                defer { renewal.cancel() }
                do {
                    // Stops between batches when the server stops; a batch in hand finishes
                    // what it set aside (its store writes are shielded from the stop).
                    report = try await collector.collect(progress: {
                        try Task.checkCancellation()
                        try await lease.renew()
                    })
                } catch {
                    // A task of its own: a stop cancels this one, and the lease is freed anyway.
                    await Task { try? await lease.release(succeeded: false) }.value
                    throw error
                }
                await Task { try? await lease.release(succeeded: true) }.value
                metrics.recordSuccess(report, at: Date().timeIntervalSince1970)
                log(report)
                // The collection's digests and listings are freed now; without this their
                // pages stay resident until the next collection reuses them.
                pier_release_free_memory()
            } catch where !Task.isCancelled {
                metrics.recordFailure()
                logger.error("garbage collection failed", metadata: ["error": "\(error)"])
            } catch {
                return
            }
        }
    }

    /// When each tag of a repository was last pulled, as the index counted, for retention.
    /// A failed read throws: the collector then keeps the repository whole, where an empty
    /// answer would have read as "never pulled" and let recently pulled tags go.
    public static func lastPulled(from index: RepositoryIndex) -> @Sendable (RepositoryName) async throws -> [String: Double] {
        { name in
            let tags = try await index.tags(name.value, order: .name, limit: 1_000_000, offset: 0)
            var pulled = [String: Double]()
            for tag in tags { if let time = tag.lastPulledAt { pulled[tag.name] = Double(time) / 1000 } }
            return pulled
        }
    }

    /// Why a collection has no pull times although the index is configured: its database
    /// could not be opened when the server started (that error is logged then).
    struct IndexUnavailable: Error, CustomStringConvertible {
        var description: String {
            "the index database could not be opened when Pier started (see the error logged then); restart Pier once it opens"
        }
    }

    private func log(_ report: CollectionReport) {
        // Once per repository and collection: the rule deleted nothing there, and goes on
        // doing so until the pull times can be read.
        for skip in report.retentionSkipped {
            logger.error(
                "retention deleted nothing in a repository: its pull times could not be read",
                metadata: ["repository": "\(skip.repository.value)", "error": "\(skip.reason)"]
            )
        }
        logger.info(
            report.dryRun ? "garbage collection (dry run) finished" : "garbage collection finished",
            metadata: [
                "repositories": "\(report.repositories)",
                "marked_blobs": "\(report.blobsMarked)",
                "tags_removed": "\(report.tagsRemoved.count)",
                "manifests_removed": "\(report.manifestsRemoved.count)",
                "blobs_removed": "\(report.blobsRemoved.count)",
                "bytes_freed": "\(report.bytesFreed)",
                "kept_in_grace": "\(report.blobsTooYoung)",
                "revived": "\(report.revived)",
                "concurrent_writes": "\(report.concurrentWrites)",
                "uploads_purged": "\(report.uploadsPurged)",
                "duration_s": "\(GarbageCollector.seconds(report.duration))",
                "mark_s": "\(GarbageCollector.seconds(report.markDuration))",
                "sweep_s": "\(GarbageCollector.seconds(report.sweepDuration))",
            ]
        )
    }
}

