public import OCI

/// Where the garbage collector and the writers that race with it meet in storage, under
/// `_pier/gc` beside `blobs` and `repositories`, where distribution never looks.
extension Layout {
    /// Everything the collector keeps in the store, where distribution never looks.
    public var collectorRoot: String { Self.base + "/_pier/gc" }

    /// Who collects now and when a collection last finished: one collector at a time among
    /// the instances that share the store.
    public var collectorLease: String { collectorRoot + "/lease" }

    /// Space the collector keeps for itself on a filesystem, and gives up when the disk is
    /// full: its lease must be written before it can free anything (``CollectorLease``).
    public var collectorReserve: String { collectorRoot + "/reserve" }

    /// The reference journal: every manifest push, mount and upload of a blob the store
    /// already holds records the digests it relies on here before it checks that they
    /// exist, so a collector that moved one of them aside finds the record and puts it back.
    /// Entries are grouped by minute, so a collector lists only the minutes it looks at.
    public var referenceJournal: String { collectorRoot + "/references" }

    /// The minute directory of journal entries written at `milliseconds`.
    public func referenceMinute(_ milliseconds: Int64) -> String {
        referenceJournal + "/" + Self.journalTime(milliseconds / 60_000)
    }

    /// One journal entry: time first so entries sort by it, then a random part so two
    /// writers in one millisecond never share a name.
    public func referenceEntry(at milliseconds: Int64, id: String) -> String {
        referenceMinute(milliseconds) + "/" + Self.journalTime(milliseconds) + "-" + id
    }

    /// Where a blob the collector is about to delete waits while it checks the journal:
    /// moved, not copied, so a writer that checks the blob meanwhile finds it missing.
    public func quarantine(_ digest: Digest) -> String {
        "\(collectorRoot)/quarantine/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    /// Every blob directory sits under here by algorithm and two-character prefix.
    public var blobsRoot: String { Self.base + "/blobs" }
}
