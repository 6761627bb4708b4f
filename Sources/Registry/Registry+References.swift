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
    func noteReferences(_ digests: [Digest]) async throws {
        guard !digests.isEmpty else { return }
        let text = digests.map(\.description).joined(separator: "\n")
        let id = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let now = Self.nowMilliseconds()
        try await driver.write(Array(text.utf8), to: layout.referenceEntry(at: now, id: id), durable: false)
        // The first write of each minute in this process drops the minutes no collector
        // reads any more, so the journal stays small where nothing collects.
        let minute = now / 60_000
        if referencePrunes.withLock({ last in defer { last = max(last, minute) }; return minute > last }) {
            Task { try? await self.pruneReferenceJournal(before: now - 2 * Self.referenceWindow) }
        }
    }

    /// Whether the store still holds the blob, after recording that the caller relies on it:
    /// the check an upload of an already stored blob and a mount make before they link it.
    func holdsBlob(_ digest: Digest) async throws -> Bool {
        try await noteReferences([digest])
        return try await driver.fileInfo(layout.blobData(digest)) != nil
    }

    /// Whether an upload that just received `digest` may leave the stored copy in place
    /// instead of committing its own: only once it recorded that it relies on that copy.
    func storesBlob(_ digest: Digest) async throws -> Bool {
        guard try await driver.fileInfo(layout.blobData(digest)) != nil else { return false }
        return try await holdsBlob(digest)
    }

    /// The journal entries written at or after `milliseconds`, by name, for a reader that
    /// remembers what it read.
    func referenceEntries(since milliseconds: Int64) async throws -> [String] {
        let firstMinute = milliseconds / 60_000
        let first = Layout.journalTime(milliseconds)
        var entries = [String]()
        for minute in try await driver.list(layout.referenceJournal, after: Layout.journalTime(firstMinute - 1)) {
            for entry in try await driver.list(layout.referenceJournal + "/" + minute) ?? [] where entry >= first {
                entries.append(minute + "/" + entry)
            }
        }
        return entries
    }

    /// The digests one journal entry (a name from ``referenceEntries(since:)``) records.
    func referencesRecorded(in entry: String) async throws -> [Digest] {
        guard let bytes = try await driver.contents(of: layout.referenceJournal + "/" + entry, limit: 8 << 20) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { Digest(String($0)) }
    }

    /// Removes the journal's minutes that end before `milliseconds`.
    func pruneReferenceJournal(before milliseconds: Int64) async throws {
        let cutoff = Layout.journalTime(milliseconds / 60_000)
        for minute in try await driver.list(layout.referenceJournal) ?? [] where minute < cutoff {
            try await driver.delete(layout.referenceJournal + "/" + minute)
        }
    }
}
