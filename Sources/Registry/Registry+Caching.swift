public import OCI

extension Registry {
    /// Stores a manifest fetched from an upstream registry: byte-exact, tagged like a push
    /// (with the same events, so the index and the collector see cached images as pushed
    /// ones), but without requiring the blobs and child manifests it references, which the
    /// cache fetches only when they are pulled (sparse images).
    public func cacheManifest(
        _ name: RepositoryName, reference: Reference, bytes: [UInt8], contentType: String?, origin: RequestOrigin
    ) async throws -> StoredManifest {
        try await storeManifest(
            name, reference: reference, bytes: bytes, contentType: contentType, tags: [], origin: origin, checkingReferences: false
        ).0
    }

    /// Writes a tag's or a manifest's link again with the same target, so its time says
    /// the cached copy is still in use: the collector's retention reads that time, and a
    /// mirror's eviction is retention by it.
    public func touch(_ name: RepositoryName, _ reference: Reference) async throws {
        try requireWritable()
        let digest = try await resolve(name, reference)
        switch reference {
        case .tag(let tag): try await writeLink(digest, to: layout.tagCurrentLink(name, tag))
        case .digest: try await writeLink(digest, to: layout.revisionLink(name, digest))
        }
    }
}
