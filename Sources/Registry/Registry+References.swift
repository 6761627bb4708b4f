import Foundation
import OCI
import Storage

extension Registry {
    /// The furthest a collector reads the reference journal back from the start of its
    /// marking: far longer than any write takes between recording its references and
    /// storing what relies on them (a few store requests). Entries twice as old are pruned.
    public static let referenceWindow: Int64 = 10 * 60 * 1000

    /// Records, before a write checks that they exist, the digests it is about to rely on
    /// (a manifest's blobs and children, a mounted blob, a blob an upload found already
    /// stored). A collector that moved one of them aside reads this after the move and puts
    /// it back; a check made after the move finds the blob missing and the client uploads
    /// it again. Either way no write succeeds on a blob that then goes.
    ///
    /// Not fsynced: a collector runs beside the writer, and a power cut stops both.
    /// - Parameter tags: tags of `repository` the write points at the first digest, so a
    ///   collector that deleted one of them (retention) at that moment puts it back.
    func noteReferences(_ digests: [Digest], tagging tags: [Tag] = [], in repository: RepositoryName? = nil) async throws {
        guard !digests.isEmpty else { return }
        var lines = digests.map(\.description)
        if let repository, let target = digests.first {
            lines += tags.map { "tag \(repository.value) \($0.value) \(target)" }
        }
        let text = lines.joined(separator: "\n")
        let id = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let now = Self.nowMilliseconds()
        try await driver.write(Array(text.utf8), to: layout.referenceEntry(at: now, id: id), durable: false)
        // The first write of each hour in this process drops the day-old minutes, so the
        // journal stays small where nothing collects; collections prune closer (they know
        // what they have read).
        let hour = now / 3_600_000
        if referencePrunes.withLock({ last in defer { last = max(last, hour) }; return hour > last }) {
            Task { try? await self.pruneReferenceJournal(before: now - Self.journalRetentionForWriters) }
        }
    }

    /// Whether the store still holds the blob, after recording that the caller relies on it:
    /// the check an upload of an already stored blob and a mount make before they link it.
    func holdsBlob(_ digest: Digest) async throws -> Bool {
        try await reuseBlob(digest) != nil
    }

    /// Records that a write relies on the stored bytes of `digest` and makes them young
    /// again for the collector; what the store says of them, or nil when they are not
    /// stored. The journal entry protects the reuse for the reference window only; a blob
    /// made young again is kept for the whole grace period, however long the push takes to
    /// send its manifest. Once a minute at most, so a base layer every push mounts costs
    /// no write each time, and a reuse counts as a write within a minute whatever the grace.
    func reuseBlob(_ digest: Digest) async throws -> StorageEntryInfo? {
        try await noteReferences([digest])
        let path = layout.blobData(digest)
        guard let info = try await driver.fileInfo(path) else { return nil }
        if Date().timeIntervalSince1970 - info.modified > 60, !options.readOnly {
            try? await driver.refreshModificationTime(path)
        }
        return info
    }

    /// How old journal entries get before a writer prunes them: far longer than any
    /// collection takes to read them.
    static let journalRetentionForWriters: Int64 = 24 * 3600 * 1000

    /// Whether an upload that just received `digest` may leave the stored copy in place
    /// instead of committing its own: only once it recorded that it relies on that copy.
    func storesBlob(_ digest: Digest) async throws -> Bool {
        guard try await driver.fileInfo(layout.blobData(digest)) != nil else { return false }
        return try await holdsBlob(digest)
    }

    /// The journal entries written at or after `milliseconds`, by name, for a reader that
    /// remembers what it read.
    /// - Parameter settled: the last minute the reader has read whole and that no writer
    ///   adds to any more; it and those before it are not listed again.
    func referenceEntries(since milliseconds: Int64, skippingThrough settled: Int64? = nil) async throws -> [String] {
        let firstMinute = max(milliseconds / 60_000, (settled ?? .min) + 1)
        let first = Layout.journalTime(milliseconds)
        var entries = [String]()
        for minute in try await driver.list(layout.referenceJournal, after: Layout.journalTime(firstMinute - 1)) {
            for entry in try await driver.list(layout.referenceJournal + "/" + minute) ?? [] where entry >= first {
                entries.append(minute + "/" + entry)
            }
        }
        return entries
    }

    /// What one journal entry (a name from ``referenceEntries(since:)``) records: the
    /// digests a write relied on, and the tags it pointed (at which digest).
    func referencesRecorded(in entry: String) async throws -> (digests: [Digest], tags: [(RepositoryName, Tag, Digest)]) {
        guard let bytes = try await driver.contents(of: layout.referenceJournal + "/" + entry, limit: 8 << 20) else { return ([], []) }
        var digests = [Digest]()
        var tags = [(RepositoryName, Tag, Digest)]()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("tag ") {
                let parts = line.split(separator: " ")
                if parts.count == 4, let name = RepositoryName(parts[1]), let tag = Tag(String(parts[2])), let digest = Digest(String(parts[3])) {
                    tags.append((name, tag, digest))
                }
            } else if let digest = Digest(String(line)) {
                digests.append(digest)
            }
        }
        return (digests, tags)
    }

    /// Removes the journal's minutes that end before `milliseconds`.
    func pruneReferenceJournal(before milliseconds: Int64) async throws {
        let cutoff = Layout.journalTime(milliseconds / 60_000)
        for minute in try await driver.list(layout.referenceJournal) ?? [] where minute < cutoff {
            try await driver.delete(layout.referenceJournal + "/" + minute)
        }
    }
}
