import Foundation
import OCI
import Storage

extension GarbageCollector {
    /// Deletes the tags retention lets go, each only if it still points where it did when
    /// marked (a push that moved it meanwhile wins); a tag left in place keeps its manifest.
    func removeTags(
        _ removals: [(removal: CollectionReport.TagRemoval, pushed: Double)],
        state: inout Sweep,
        report: inout CollectionReport
    ) async throws {
        guard !options.dryRun else {
            report.tagsRemoved = removals.map(\.removal)
            return
        }
        for start in stride(from: 0, to: removals.count, by: options.batchSize) {
            let batch = Array(removals[start..<min(start + options.batchSize, removals.count)])
            // A batch of links runs whole, where a stop does not reach: cut between its
            // deletes and the journal's second read, a push's tag would stay deleted.
            let (swept, reported) = try await Self.shielded { [self, state, report] in
                var state = state
                var report = report
                try await self.removeTagBatch(batch, state: &state, report: &report)
                return (state, report)
            }
            state = swept
            report = reported
        }
    }

    /// One batch of ``removeTags(_:state:report:)``.
    private func removeTagBatch(
        _ batch: [(removal: CollectionReport.TagRemoval, pushed: Double)],
        state: inout Sweep,
        report: inout CollectionReport
    ) async throws {
        let layout = registry.layout
        try await readJournal(&state)
        var deleted = [CollectionReport.TagRemoval]()
        for (removal, pushed) in batch {
            let link = layout.tagCurrentLink(removal.repository, removal.tag)
            // Still where marking saw it (the same target, written at the same second)?
            guard state.retagged[Self.tagKey(removal)] == nil,
                  try await registry.readLink(link) == removal.digest,
                  let written = try await registry.driver.fileInfo(link)?.modified, written.rounded(.down) == pushed.rounded(.down)
            else {
                try await keepAlive(removal.digest, state: &state)
                continue
            }
            try await registry.driver.delete(layout.tagDirectory(removal.repository, removal.tag))
            deleted.append(removal)
        }
        // A push of the tag that raced the delete recorded it first: the tag goes back
        // to what that push pointed it at, if that push stored its manifest (a push
        // records its tags before its checks, and may have been refused after) and no
        // push has written the tag since (an older intent never overwrites a newer tag).
        try await readJournal(&state)
        for removal in deleted {
            registry.tagTargets.remove(Registry.tagKey(removal.repository, removal.tag))
            registry.tagLists.remove(removal.repository.value)
            if let target = state.retagged[Self.tagKey(removal)] {
                let current = layout.tagCurrentLink(removal.repository, removal.tag)
                if try await registry.readLink(current) != nil {
                    report.revived += 1
                    continue
                }
                if try await registry.driver.fileInfo(layout.revisionLink(removal.repository, target)) != nil {
                    try await registry.writeLink(target, to: layout.tagIndexLink(removal.repository, removal.tag, target))
                    try await registry.writeLink(target, to: current)
                    report.revived += 1
                    continue
                }
            }
            report.tagsRemoved.append(removal)
            await registry.publish(ContentEvent(.delete, removal.repository, .tag(removal.tag), origin: .internal("gc")))
        }
    }

    static func tagKey(_ removal: CollectionReport.TagRemoval) -> String {
        removal.repository.value + ":" + removal.tag.value
    }

    /// Removes the manifest revisions the untagged policy lets go, a batch at a time:
    /// unlinked first, then checked against the journal; one a write relied on meanwhile is
    /// linked again and what it references stays live.
    func removeManifests(
        _ removals: [CollectionReport.ManifestRemoval],
        state: inout Sweep,
        report: inout CollectionReport,
        progress: @Sendable () async throws -> Void
    ) async throws {
        let layout = registry.layout
        let driver = registry.driver
        guard !options.dryRun else {
            report.manifestsRemoved = removals
            return
        }
        for start in stride(from: 0, to: removals.count, by: options.batchSize) {
            try await progress()
            try await state.pacer.rest()
            // What a write relied on since the last batch is not touched at all; only a
            // write racing this very batch sees its manifest gone for a moment.
            try await readJournal(&state)
            let batch = removals[start..<min(start + options.batchSize, removals.count)].filter { !state.protected.contains($0.digest) }
            // Each goes whole before the journal is read: its revision link and its entry
            // among its subject's referrers (kept here, to be written back with the link).
            var unlinked = [(removal: CollectionReport.ManifestRemoval, referrer: (path: String, bytes: [UInt8])?)]()
            do {
                for removal in batch {
                    var referrer: (path: String, bytes: [UInt8])?
                    if let bytes = try? await driver.contents(of: layout.blobData(removal.digest), limit: Manifest.maximumSize),
                       let subject = (try? Manifest.parse(bytes, contentType: nil))?.subject
                    {
                        let path = layout.referrerDescriptor(removal.repository, subject: subject.digest, referrer: removal.digest)
                        if let descriptor = try await driver.contents(of: path, limit: 1 << 20) { referrer = (path, descriptor) }
                        try await Self.shielded {
                            try await driver.delete(layout.referrerDirectory(removal.repository, subject: subject.digest, referrer: removal.digest))
                        }
                    }
                    unlinked.append((removal, referrer))
                    try await Self.shielded { try await driver.delete(layout.revisionDirectory(removal.repository, removal.digest)) }
                    registry.revisions.remove(Registry.revisionKey(removal.repository, removal.digest))
                }
                try await readJournal(&state)
            } catch {
                // Nothing half-done: what this batch unlinked is linked again.
                for (removal, referrer) in unlinked { try? await relink(removal, referrer) }
                throw error
            }
            // Every revived manifest is linked again before anything that a stop could cut
            // (a read for its references), and one failure does not leave the others out.
            let revived = unlinked.filter { state.protected.contains($0.removal.digest) }
            var relinkFailure: (any Error)?
            for (removal, referrer) in revived {
                do { try await relink(removal, referrer) } catch { relinkFailure = relinkFailure ?? error }
            }
            for (removal, _) in unlinked where !state.protected.contains(removal.digest) {
                report.manifestsRemoved.append(removal)
                await registry.publish(ContentEvent(
                    .delete, removal.repository, .manifest(removal.digest, mediaType: nil, size: nil), origin: .internal("gc")
                ))
            }
            if let relinkFailure { throw relinkFailure }
            for (removal, _) in revived {
                try await keepAlive(removal.digest, state: &state)
                report.revived += 1
            }
        }
    }

    /// Links a manifest revision again, with its entry among its subject's referrers.
    private func relink(_ removal: CollectionReport.ManifestRemoval, _ referrer: (path: String, bytes: [UInt8])?) async throws {
        let registry = registry
        try await Self.shielded {
            if let referrer { try await registry.driver.write(referrer.bytes, to: referrer.path) }
            try await registry.writeLink(removal.digest, to: registry.layout.revisionLink(removal.repository, removal.digest))
        }
    }

    /// Runs a store write of a batch where cancellation (a server's stop) does not reach:
    /// storage calls honour cancellation, and a batch cut between setting something aside
    /// and putting it back (or deleting it) would leave a pushed image without it. Reads
    /// stay cancellable: a batch stopped before its journal is read puts everything back.
    static func shielded<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task { try await work() }.value
    }

    /// Removes every stored blob that is not marked and older than `cutoff` (seconds since
    /// 1970), a batch at a time: moved aside, checked against the journal, then deleted or
    /// put back.
    func sweepBlobs(
        olderThan cutoff: Double,
        state: inout Sweep,
        report: inout CollectionReport,
        progress: @Sendable () async throws -> Void
    ) async throws {
        let layout = registry.layout
        let driver = registry.driver
        var candidates = [CollectionReport.BlobRemoval]()
        for blob in try await storedBlobs() where !state.marked.contains(blob.digest) {
            if blob.modified >= cutoff {
                report.blobsTooYoung += 1
            } else {
                candidates.append(.init(digest: blob.digest, size: blob.size))
            }
        }
        guard !options.dryRun else {
            report.blobsRemoved = candidates
            return
        }
        for start in stride(from: 0, to: candidates.count, by: options.batchSize) {
            try await progress()
            try await state.pacer.rest()
            // Candidates a write relied on since the last batch are not moved at all: only a
            // write racing this very batch finds its blob gone, for the batch's length.
            try await readJournal(&state)
            // A batch's files are moved and deleted several at once: each is a round trip
            // to the store (a thread-pool hop on disk, a request on S3), and under load the
            // collector's share of the store is the number of operations it has waiting.
            let batch = candidates[start..<min(start + options.batchSize, candidates.count)].filter { !state.protected.contains($0.digest) }
            let movedAside = try await Self.concurrently(batch) { candidate -> Result<Bool, any Error> in
                do {
                    try await Self.shielded { try await driver.move(from: layout.blobData(candidate.digest), to: layout.quarantine(candidate.digest)) }
                    return .success(true)
                } catch StorageError.notFound {
                    return .success(false)  // gone meanwhile
                } catch {
                    return .failure(error)
                }
            }
            let moved = zip(batch, movedAside).compactMap { candidate, result in (try? result.get()) == true ? candidate : nil }
            do {
                for case .failure(let error) in movedAside { throw error }
                try await readJournal(&state)
            } catch {
                // Nothing left aside: this batch goes back where it was.
                for candidate in moved { try? await restore(candidate.digest) }
                throw error
            }
            // Every revived blob is put back, whatever one of them fails with.
            var restoreFailure: (any Error)?
            for candidate in moved where state.protected.contains(candidate.digest) {
                do {
                    try await restore(candidate.digest)
                    report.revived += 1
                } catch {
                    restoreFailure = restoreFailure ?? error
                }
            }
            if let restoreFailure { throw restoreFailure }
            let doomed = moved.filter { !state.protected.contains($0.digest) }
            let deleted = try await Self.concurrently(doomed) { candidate -> Result<Void, any Error> in
                do {
                    try await Self.shielded {
                        try await driver.delete(layout.quarantine(candidate.digest))
                        try await driver.removeIfEmpty(layout.blobDirectory(candidate.digest))
                    }
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            var failure: (any Error)?
            for (candidate, result) in zip(doomed, deleted) {
                guard case .success = result else {
                    if case .failure(let error) = result, failure == nil { failure = error }
                    continue
                }
                // A collected manifest is not kept in memory either: content is cached
                // until evicted, and a registry replacing images all day would otherwise
                // fill the cache to its bound with manifests no one can pull.
                registry.manifestContent.remove(candidate.digest)
                report.blobsRemoved.append(candidate)
            }
            // What could not be deleted stays aside, put back by the next collection.
            if let failure { throw failure }
        }
    }

    /// Removes the upload sessions the listing found that started before `cutoff` (seconds
    /// since 1970), as the upload purge does, without walking the store again: a session's
    /// start is its `startedat` file's time, else its newest file's. Also what unfinished
    /// sessions left outside any session directory (an object store's multipart uploads).
    func purgeUploads(_ sessions: [String: (started: Double?, newest: Double)], olderThan cutoff: Double) async throws -> Int {
        var purged = 0
        for (directory, times) in sessions where (times.started ?? times.newest) < cutoff {
            purged += 1
            guard !options.dryRun else { continue }
            let session = registry.layout.uploadSession(at: directory)
            if (try? await registry.driver.deleteUpload(session)) == nil { try await registry.driver.delete(directory) }
        }
        _ = try await registry.driver.purgeOrphanedUploads(
            under: Layout.base, startedBefore: Date(timeIntervalSince1970: cutoff), dryRun: options.dryRun
        )
        return purged
    }

    /// Puts a blob moved aside back, unless a push stored it again meanwhile.
    func restore(_ digest: Digest) async throws {
        let layout = registry.layout
        let driver = registry.driver
        try await Self.shielded {
            if try await driver.fileInfo(layout.blobData(digest)) == nil {
                try await driver.move(from: layout.quarantine(digest), to: layout.blobData(digest))
            } else {
                try await driver.delete(layout.quarantine(digest))
            }
        }
    }

    /// Puts back whatever an interrupted collection left aside: it may not have read the
    /// journal yet, so nothing there is known to be garbage. Run at the start of every
    /// collection, and by a server at start (under the lease), so blobs a killed process
    /// left aside are pullable again at once.
    public func recoverQuarantine() async throws {
        let root = registry.layout.collectorRoot + "/quarantine"
        for algorithm in try await registry.driver.list(root) ?? [] {
            for encoded in try await registry.driver.list(root + "/" + algorithm) ?? [] {
                guard let digest = Digest(algorithm + ":" + encoded) else { continue }
                try await restore(digest)
            }
        }
    }

    /// Whether anything is set aside: a start takes the lease to put it back only then.
    public func hasQuarantine() async -> Bool {
        let root = registry.layout.collectorRoot + "/quarantine"
        for algorithm in ((try? await registry.driver.list(root)) ?? nil) ?? [] {
            if ((try? await registry.driver.list(root + "/" + algorithm)) ?? nil)?.isEmpty == false { return true }
        }
        return false
    }

    /// Reads the journal entries not read yet, and protects what they name together with
    /// everything those manifests reference.
    func readJournal(_ state: inout Sweep) async throws {
        let listedAt = Registry.nowMilliseconds()
        let entries = try await registry.referenceEntries(since: state.journalSince, skippingThrough: state.journalSettledMinute)
        for entry in entries where !state.journalRead.contains(entry) {
            let recorded = try await registry.referencesRecorded(in: entry)
            for digest in recorded.digests {
                try await keepAlive(digest, state: &state)
            }
            for (name, tag, digest) in recorded.tags {
                state.retagged[name.value + ":" + tag.value] = digest
            }
            state.journalRead.insert(entry)
        }
        // Minutes that ended a settling margin before this listing are read whole: under a
        // steady push load the journal grows by thousands of entries a minute, and listing
        // all of them again for every batch made a long collection quadratic.
        let settled = (listedAt - journalSettling) / 60_000 - 1
        state.journalSettledMinute = max(state.journalSettledMinute ?? settled, settled)
    }

    /// How long after a minute ends its journal entries may still appear: writers name
    /// entries by their own clocks, and a write may stall (an object store's retries)
    /// between naming its entry and the entry being listable. The reference window bounds
    /// both, as it bounds how long a write takes; a long collection still lists each
    /// minute a bounded number of times.
    var journalSettling: Int64 { Registry.referenceWindow }

    /// Protects a digest and everything it reaches as a manifest.
    func keepAlive(_ digest: Digest, state: inout Sweep) async throws {
        var queue = [digest]
        while let next = queue.popLast() {
            guard state.protected.insert(next).inserted else { continue }
            state.marked.insert(next)
            if let references = try await references(of: next, cache: &state.manifests) {
                queue.append(contentsOf: references.blobs)
                queue.append(contentsOf: references.manifests)
            }
        }
    }

    /// Every blob in the store with its size and time, from one recursive listing.
    func storedBlobs() async throws -> [(digest: Digest, size: Int64, modified: Double)] {
        try await registry.driver.listFiles(under: registry.layout.blobsRoot).compactMap { file in
            // <algorithm>/<two characters>/<encoded>/data
            let parts = file.path.split(separator: "/")
            guard parts.count == 4, parts[3] == "data", let digest = Digest("\(parts[0]):\(parts[2])") else { return nil }
            return (digest, file.size, file.modified)
        }
    }
}
