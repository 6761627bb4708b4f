import NIOCore
public import OCI
import Storage

extension Registry {
    /// Size of a blob as seen from a repository: it must be linked there (as a layer or a
    /// manifest revision) and present in the blob store.
    public func blobSize(_ name: RepositoryName, _ digest: Digest) async throws -> Int64 {
        guard try await isLinked(name, digest) else { throw RegistryError.blobUnknown(digest) }
        guard let info = try await driver.fileInfo(layout.blobData(digest)) else {
            throw RegistryError.blobUnknown(digest)
        }
        return info.size
    }

    /// Publishes the pull of a blob whose bytes came from elsewhere than this store (a
    /// mirror relaying its upstream to the first client), so it counts as any other pull.
    public func notePull(_ name: RepositoryName, _ digest: Digest, size: Int64, origin: RequestOrigin) async {
        await publish(ContentEvent(.pull, name, .blob(digest, size: size), origin: origin))
    }

    /// What to send for a GET: the size is checked through the repository's link, the
    /// range against the size, and the body is a redirect to the store, a region of a
    /// local file, or a stream, whichever the driver offers. Publishes a pull.
    public func pullBlob(
        _ name: RepositoryName,
        _ digest: Digest,
        range requested: ByteRange?,
        origin: RequestOrigin = .internal("pull")
    ) async throws -> BlobContent {
        var content = try await headBlob(name, digest, range: requested)
        let size = content.size
        let range = content.range
        await publish(ContentEvent(.pull, name, .blob(digest, size: size), origin: origin))
        guard content.length > 0 else { return content }
        let path = layout.blobData(digest)
        if let location = try await driver.redirectURL(for: path) {
            content.body = .redirect(location)
            return content
        }
        // The whole blob as an explicit range: a driver learns how long the read is (S3 reads
        // large bodies over a connection of their own).
        let stream = BlobStream { [driver, range] body in try await driver.read(path, range: range ?? 0..<size, into: body) }
        if let file = driver.localFile(path) {
            content.body = .file(LocalFileRegion(path: file, start: range?.lowerBound ?? 0, end: range?.upperBound ?? size), stream: stream)
        } else {
            content.body = .stream(stream)
        }
        return content
    }

    /// Bytes `range` of a blob linked in `name`, with no event and never a redirect: what a
    /// mirror sends for the rest of a response it began relaying from its upstream, to a
    /// client already counted as one pull and past the point where a redirect could start.
    public func readBlob(_ name: RepositoryName, _ digest: Digest, range: Range<Int64>, into body: (ByteBuffer) async throws -> Void) async throws {
        guard try await isLinked(name, digest) else { throw RegistryError.blobUnknown(digest) }
        guard !range.isEmpty else { return }
        try await driver.read(layout.blobData(digest), range: range, into: body)
    }

    /// A HEAD: the size through the repository's link, the range checked against it.
    public func headBlob(_ name: RepositoryName, _ digest: Digest, range requested: ByteRange?) async throws -> BlobContent {
        let size = try await blobSize(name, digest)
        guard let requested else { return BlobContent(size: size, range: nil, body: .empty) }
        guard let range = requested.resolve(size: size) else { throw RegistryError.rangeNotSatisfiable(size: size) }
        return BlobContent(size: size, range: range, body: .empty)
    }

    public func blobBytes(_ name: RepositoryName, _ digest: Digest, limit: Int) async throws -> [UInt8]? {
        guard try await driver.fileInfo(layout.layerLink(name, digest)) != nil else { return nil }
        return try await driver.contents(of: layout.blobData(digest), limit: limit)
    }

    /// Removes a blob from a repository (the link); the bytes stay until garbage collection,
    /// as in distribution, because other repositories may share them.
    public func deleteBlob(_ name: RepositoryName, _ digest: Digest, origin: RequestOrigin = .internal("delete")) async throws {
        try requireDeletes()
        guard try await driver.fileInfo(layout.layerLink(name, digest)) != nil else {
            throw RegistryError.blobUnknown(digest)
        }
        try await requireUnreached(name, digest)
        try await driver.delete(layout.layerLinkDirectory(name, digest))
        uncounted(name)
        await publish(ContentEvent(.delete, name, .blob(digest, size: nil), origin: origin))
    }

    /// Links an existing blob into `name` without moving bytes. With `from`, the blob must
    /// be in that repository; without it, anywhere in the registry (when allowed).
    /// - Returns: whether the blob was mounted; false means the client must upload it.
    public func mountBlob(
        _ name: RepositoryName,
        _ digest: Digest,
        from source: RepositoryName?,
        origin: RequestOrigin = .internal("mount")
    ) async throws -> Bool {
        try requireWritable()
        if let source {
            guard try await isLinked(source, digest) else { return false }
        } else if !options.mountWithoutFrom {
            return false
        }
        return try await link(name, digest, from: source, origin: origin)
    }

    /// The size of a blob's bytes in the store, whichever repositories link them; nil when
    /// they are not stored.
    public func storedBlobSize(_ digest: Digest) async throws -> Int64? {
        try await driver.fileInfo(layout.blobData(digest))?.size
    }

    /// Links a stored blob into `name` whatever repository brought it, for a caller that
    /// has established otherwise that the repository holds it: the mirror, once its
    /// upstream confirmed the blob for that name, links the bytes it already has instead
    /// of downloading them again. Unlike a mount, no source is named or checked, and
    /// `storage.mount` settings do not apply.
    /// - Returns: false when the bytes are not stored.
    public func linkStoredBlob(_ name: RepositoryName, _ digest: Digest, origin: RequestOrigin) async throws -> Bool {
        try requireWritable()
        return try await link(name, digest, from: nil, origin: origin)
    }

    private func link(_ name: RepositoryName, _ digest: Digest, from source: RepositoryName?, origin: RequestOrigin) async throws -> Bool {
        guard let blob = try await reuseBlob(digest) else { return false }
        try await linkWithinQuota(name, digest, size: blob.size) {
            try await writeLink(digest, to: layout.layerLink(name, digest))
        }
        await noteRepository(name)
        await publish(ContentEvent(.mount, name, .blob(digest, size: blob.size), from: source, origin: origin))
        return true
    }

    /// Whether the repository links the blob, as a layer or as a manifest.
    func isLinked(_ name: RepositoryName, _ digest: Digest) async throws -> Bool {
        if try await driver.fileInfo(layout.layerLink(name, digest)) != nil { return true }
        return try await driver.fileInfo(layout.revisionLink(name, digest)) != nil
    }

    /// Whether a blob the manifest needs is usable in the repository: linked as a layer and stored.
    func hasLayer(_ name: RepositoryName, _ digest: Digest) async throws -> Bool {
        guard try await driver.fileInfo(layout.layerLink(name, digest)) != nil else { return false }
        return try await driver.fileInfo(layout.blobData(digest)) != nil
    }
}
