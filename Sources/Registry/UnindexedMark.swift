public import OCI

/// One mark of events the index did not see (``Registry/unindexedMarks()``): which
/// repository a re-read must cover, and the value read, which a clear must still find so
/// that a mark written again meanwhile is kept for the next re-read.
public struct UnindexedMark: Sendable, Equatable {
    /// The repository whose pushes or deletes went unindexed; nil when an event was lost
    /// without its repository being known, and all of storage must be read again.
    public var repository: RepositoryName?
    /// The mark's contents when read: a new value each time it is written.
    public var value: String

    /// A mark as read from storage.
    public init(repository: RepositoryName?, value: String) {
        self.repository = repository
        self.value = value
    }
}
