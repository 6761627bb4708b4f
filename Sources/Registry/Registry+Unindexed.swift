import Foundation

/// Storage's word that pushes or deletes went by without the index seeing them: an
/// instance whose index database could not be opened (PostgreSQL down at its start, a
/// schema from a newer Pier, a locked file) serves the registry without it, and its events
/// go nowhere. The word is in storage because the database is what is missing, and
/// because every instance sharing the store reads it: the next run that has its index
/// re-reads storage, then clears the word, unless it changed meanwhile (another event it
/// may not have seen).
extension Registry {
    /// Records that an event went unindexed: a new value each time, so a run catching up
    /// meanwhile can tell that its re-read may have missed this one.
    public func markUnindexed() async throws {
        try await driver.write(Array(UUID().uuidString.utf8), to: layout.unindexedMarker, durable: true)
    }

    /// The current word, nil when every event is indexed.
    public func unindexedMark() async throws -> String? {
        try await driver.contents(of: layout.unindexedMarker, limit: 1024).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Clears the word read before a re-read of storage, when it is still that one. A mark
    /// written between this read and the delete is lost (a few milliseconds; storage has no
    /// conditional delete); that instance's next event marks again.
    public func clearUnindexed(ifStill mark: String) async throws {
        guard try await unindexedMark() == mark else { return }
        try await driver.delete(layout.unindexedMarker)
    }
}
