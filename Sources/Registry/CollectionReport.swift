public import OCI

/// What one garbage collection found and did, for the command line's report, the server's
/// log and its metrics.
public struct CollectionReport: Sendable, Equatable {
    /// A manifest revision removed from a repository (an untagged one, by policy).
    public struct ManifestRemoval: Sendable, Equatable {
        public var repository: RepositoryName
        public var digest: Digest
    }

    /// A tag deleted by a retention rule, with the manifest it pointed at.
    public struct TagRemoval: Sendable, Equatable {
        public var repository: RepositoryName
        public var tag: Tag
        public var digest: Digest
    }

    /// A repository whose retention rule deleted nothing this collection: the pull times
    /// it keeps tags by could not be read, and why (the error, as text, for the log).
    public struct RetentionSkip: Sendable, Equatable {
        /// The repository kept whole.
        public var repository: RepositoryName
        /// Why its pull times could not be read, for the operator's log.
        public var reason: String
    }

    /// A blob removed from the store, with the bytes that freed.
    public struct BlobRemoval: Sendable, Equatable {
        public var digest: Digest
        public var size: Int64
    }

    /// Nothing was changed: the removals are what a real run would have done.
    public var dryRun: Bool
    /// Repositories that hold manifests or tags, all walked.
    public var repositories = 0
    /// Manifests reached from the roots (counted once per repository).
    public var manifestsMarked = 0
    /// Distinct blobs (layers, configs and manifests) something live references.
    public var blobsMarked = 0
    /// Tags retention deleted (or, in a dry run, would).
    public var tagsRemoved: [TagRemoval] = []
    /// Repositories retention left whole because their pull times could not be read:
    /// an operator must hear of it, or tags stay that the rules say should go.
    public var retentionSkipped: [RetentionSkip] = []
    /// Untagged manifests the policy removed (or would).
    public var manifestsRemoved: [ManifestRemoval] = []
    /// Blobs removed from the store (or that would be), what frees space.
    public var blobsRemoved: [BlobRemoval] = []
    /// Unreferenced blobs kept because they are younger than the grace period (a push that
    /// has uploaded layers but not yet its manifest).
    public var blobsTooYoung = 0
    /// Candidates put back because a write recorded that it relied on them while they were
    /// being removed.
    public var revived = 0
    /// Writes that recorded the blobs they rely on while this collection ran (manifest
    /// pushes, mounts, uploads of stored blobs): each one a race the protocol settled.
    public var concurrentWrites = 0
    /// Upload sessions older than the purge age that were removed.
    public var uploadsPurged = 0
    /// How long the collection took.
    public var duration: Duration = .zero
    /// How long marking took (every tag and manifest read), and sweeping (listing the
    /// blobs, moving the unreached aside in batches, the journal read around each batch):
    /// where a slow collection spends its time.
    public var markDuration: Duration = .zero
    public var sweepDuration: Duration = .zero

    public init(dryRun: Bool) {
        self.dryRun = dryRun
    }

    /// Bytes the removed blobs held.
    public var bytesFreed: Int64 { blobsRemoved.reduce(0) { $0 + $1.size } }
}
