public import OCI
public import Storage

/// Where everything lives in storage: distribution's `docker/registry/v2` layout, so Pier and
/// distribution read each other's data.
///
/// Pier adds only `_referrers/` inside a repository, which distribution skips as it skips
/// every `_`-prefixed directory there.
public struct Layout: Sendable {
    /// The prefix of every path, as distribution's storage drivers use it.
    public static let base = "/docker/registry/v2"

    /// A repository's directories, by name: a directory is a repository when it holds
    /// `_layers` (what distribution 2.x looks for) or `_manifests` (what 3.x looks for),
    /// and its upload sessions are found by listing `_uploads`.
    public static let layersName = "_layers"
    public static let manifestsName = "_manifests"
    public static let uploadsName = "_uploads"

    public init() {}

    /// Whether a directory whose entries are `children` is a repository.
    public static func isRepository(_ children: [String]) -> Bool {
        children.contains(layersName) || children.contains(manifestsName)
    }

    /// Where instances that share a store record the repositories they create, so every
    /// instance lists a new repository at once. Beside `blobs` and `repositories`, where
    /// distribution never looks.
    public var catalogJournal: String { Self.base + "/_pier/catalog" }

    /// Where instances serving without their index name the repositories whose events
    /// went unindexed (``Registry/markUnindexed(_:)``), one file each, for every instance
    /// sharing the store to read.
    public var unindexedMarkers: String { Self.base + "/_pier/index/unindexed" }

    /// One repository's mark, named by the SHA-256 of the repository's name (one path
    /// component of fixed length whatever the name's slashes and length; the mark holds the
    /// name); for nil, the mark that asks for all of storage (an event whose repository is
    /// not known), a name no digest is.
    public func unindexedMarker(_ name: RepositoryName?) -> String {
        "\(unindexedMarkers)/\(name.map { Digest.of($0.value.utf8).encoded } ?? Self.unindexedEverything)"
    }

    /// The file name of the mark that asks for all of storage.
    public static let unindexedEverything = "all"

    /// A repository name in hex: one path component whatever its slashes.
    static func hex(_ name: RepositoryName) -> String {
        name.value.utf8.map { String($0, radix: 16) }.joined()
    }

    /// The repository ``hex(_:)`` wrote, or nil for text that is not one.
    static func repositoryName<S: StringProtocol>(hex: S) -> RepositoryName? {
        guard hex.utf8.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        var rest = hex[...]
        while !rest.isEmpty {
            guard let byte = UInt8(rest.prefix(2), radix: 16) else { return nil }
            bytes.append(byte)
            rest = rest.dropFirst(2)
        }
        return RepositoryName(String(decoding: bytes, as: UTF8.self))
    }

    /// A journal entry: when (milliseconds since 1970, fixed width so entries sort by time)
    /// and which repository (hex, so the name's slashes make no directories).
    public func catalogJournalEntry(_ name: RepositoryName, at milliseconds: Int64) -> String {
        catalogJournalEntry(named: "\(Self.journalTime(milliseconds))-\(Self.hex(name))")
    }

    /// A journal entry found by listing the journal.
    public func catalogJournalEntry(named entry: String) -> String { "\(catalogJournal)/\(entry)" }

    /// What a journal entry's name says, or nil for a name that is not an entry.
    public func catalogJournalRecord(_ entry: String) -> (milliseconds: Int64, name: RepositoryName)? {
        let parts = entry.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, let milliseconds = Int64(parts[0]), let name = Self.repositoryName(hex: parts[1]) else { return nil }
        return (milliseconds, name)
    }

    /// The journal entry names that sort before any entry written at `milliseconds`.
    public static func journalTime(_ milliseconds: Int64) -> String {
        let digits = String(max(0, milliseconds))
        return String(repeating: "0", count: max(0, 15 - digits.count)) + digits
    }

    /// Written and deleted by the health check: proves the store takes writes.
    public var healthProbe: String { Self.base + "/.pier-health" }

    public var repositoriesRoot: String { Self.base + "/repositories" }

    public func blobDirectory(_ digest: Digest) -> String {
        "\(Self.base)/blobs/\(digest.algorithm.rawValue)/\(digest.encoded.prefix(2))/\(digest.encoded)"
    }

    public func blobData(_ digest: Digest) -> String { blobDirectory(digest) + "/data" }

    public func repository(_ name: RepositoryName) -> String { "\(repositoriesRoot)/\(name.value)" }

    public func layerLinkDirectory(_ name: RepositoryName, _ digest: Digest) -> String {
        "\(repository(name))/\(Self.layersName)/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    public func layerLink(_ name: RepositoryName, _ digest: Digest) -> String {
        layerLinkDirectory(name, digest) + "/link"
    }

    public func revisionDirectory(_ name: RepositoryName, _ digest: Digest) -> String {
        "\(repository(name))/\(Self.manifestsName)/revisions/\(digest.algorithm.rawValue)/\(digest.encoded)"
    }

    public func revisionLink(_ name: RepositoryName, _ digest: Digest) -> String {
        revisionDirectory(name, digest) + "/link"
    }

    public func tagsDirectory(_ name: RepositoryName) -> String { "\(repository(name))/\(Self.manifestsName)/tags" }

    public func tagDirectory(_ name: RepositoryName, _ tag: Tag) -> String { "\(tagsDirectory(name))/\(tag.value)" }

    public func tagCurrentLink(_ name: RepositoryName, _ tag: Tag) -> String {
        tagDirectory(name, tag) + "/current/link"
    }

    public func tagIndexLink(_ name: RepositoryName, _ tag: Tag, _ digest: Digest) -> String {
        "\(tagDirectory(name, tag))/index/\(digest.algorithm.rawValue)/\(digest.encoded)/link"
    }

    public func uploadsDirectory(_ name: RepositoryName) -> String { "\(repository(name))/\(Self.uploadsName)" }

    /// A session of `name`, as the drivers and the purge find it.
    public func upload(_ name: RepositoryName, _ id: UploadID) -> UploadLocation {
        uploadSession(at: "\(uploadsDirectory(name))/\(id.value)")
    }

    /// The session whose directory is `directory` (one the purge found by listing).
    public func uploadSession(at directory: String) -> UploadLocation {
        UploadLocation(directory: directory, data: directory + "/data")
    }

    /// When a session started: written at its start, its absence means the session is gone.
    public func uploadStartedAt(_ session: UploadLocation) -> String { session.directory + "/startedat" }

    public func referrersDirectory(_ name: RepositoryName, subject: Digest) -> String {
        "\(repository(name))/_referrers/\(subject.algorithm.rawValue)/\(subject.encoded)"
    }

    /// One referrer's entry among its subject's referrers; deleting it removes the entry.
    public func referrerDirectory(_ name: RepositoryName, subject: Digest, referrer: Digest) -> String {
        "\(referrersDirectory(name, subject: subject))/\(referrer.algorithm.rawValue)/\(referrer.encoded)"
    }

    /// The descriptor stored for one referrer.
    public func referrerDescriptor(_ name: RepositoryName, subject: Digest, referrer: Digest) -> String {
        referrerDescriptor(
            in: referrersDirectory(name, subject: subject),
            algorithm: referrer.algorithm.rawValue,
            encoded: referrer.encoded
        )
    }

    /// The descriptor of an entry found by listing a subject's referrers directory, by the
    /// algorithm and encoded digest the listing gave.
    public func referrerDescriptor(in referrers: String, algorithm: String, encoded: String) -> String {
        "\(referrerAlgorithmDirectory(in: referrers, algorithm))/\(encoded)/descriptor"
    }

    /// Where a subject's referrers of one digest algorithm are listed.
    public func referrerAlgorithmDirectory(in referrers: String, _ algorithm: String) -> String {
        "\(referrers)/\(algorithm)"
    }
}
