import Foundation
public import OCI

/// Storage's word that pushes or deletes went by without the index seeing them: an
/// instance whose index database could not be opened (PostgreSQL down at its start, a
/// schema from a newer Pier, a locked file) serves the registry without it, and its events
/// go nowhere. The word is in storage because the database is what is missing, and
/// because every instance sharing the store reads it. It names each repository (one file
/// each), so the run that has its index re-reads only those, then clears each mark unless
/// it changed meanwhile (another event it may not have seen).
extension Registry {
    /// Records that an event of `repository` went unindexed (nil: of a repository not
    /// known, so all of storage must be read again). A new value each time, so a run
    /// catching up meanwhile can tell that its re-read may have missed this one; the
    /// repository's name follows it, as the file is named by the name's digest.
    public func markUnindexed(_ repository: RepositoryName?) async throws {
        let value = UUID().uuidString + (repository.map { " " + $0.value } ?? "")
        try await driver.write(Array(value.utf8), to: layout.unindexedMarker(repository), durable: true)
    }

    /// The marks now in storage; empty when every event is indexed. A mark deleted between
    /// the listing and its read is left out; a file that is not a mark is ignored.
    public func unindexedMarks() async throws -> [UnindexedMark] {
        var marks = [UnindexedMark]()
        for file in try await driver.listFiles(under: layout.unindexedMarkers) where !file.path.contains("/") {
            guard let bytes = try await driver.contents(of: "\(layout.unindexedMarkers)/\(file.path)", limit: 1024) else { continue }
            let value = String(decoding: bytes, as: UTF8.self)
            if file.path == Layout.unindexedEverything {
                marks.append(UnindexedMark(repository: nil, value: value))
                continue
            }
            let parts = value.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let repository = RepositoryName(String(parts[1])),
                layout.unindexedMarker(repository) == "\(layout.unindexedMarkers)/\(file.path)"
            else { continue }
            marks.append(UnindexedMark(repository: repository, value: value))
        }
        return marks
    }

    /// Clears `mark` when it still holds the value read before a re-read. A mark written
    /// between this read and the delete is lost (a few milliseconds; storage has no
    /// conditional delete); that instance's next event of the repository marks again.
    public func clearUnindexed(_ mark: UnindexedMark) async throws {
        let path = layout.unindexedMarker(mark.repository)
        guard let bytes = try await driver.contents(of: path, limit: 1024), String(decoding: bytes, as: UTF8.self) == mark.value else { return }
        try await driver.delete(path)
    }
}
