import Foundation
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

    /// Drops a cached tag its upstream no longer has, so an outage later does not bring it
    /// back as a stale answer; the manifest stays, as an untagged one does. Not a client's
    /// delete: neither `storage.delete` nor immutable-tag rules apply (the upstream decides).
    /// - Returns: whether there was such a tag.
    @discardableResult
    public func uncacheTag(_ name: RepositoryName, _ tag: Tag, origin: RequestOrigin) async throws -> Bool {
        try requireWritable()
        guard try await driver.fileInfo(layout.tagCurrentLink(name, tag)) != nil else { return false }
        try await driver.delete(layout.tagDirectory(name, tag))
        tagTargets.remove(Self.tagKey(name, tag))
        tagLists.remove(name.value)
        await publish(ContentEvent(.delete, name, .tag(tag), origin: origin))
        return true
    }

    /// Records that a cached tag or manifest is still in use: the collector's retention
    /// counts the time as a pull (a mirror's eviction is retention by it).
    ///
    /// A marker of its own rather than the tag's link written again: a link rewritten
    /// from a read a moment old could move a tag back, or bring back one just deleted.
    public func noteUse(_ name: RepositoryName, _ reference: Reference) async throws {
        try requireWritable()
        try await driver.write(Array("\(Int64(Date.now.timeIntervalSince1970))".utf8), to: layout.useMarker(name, reference))
    }

    /// When each tag (by name) and manifest (``Layout/useKey(_:)``) of `name` was last
    /// noted in use, in seconds since 1970.
    public func lastUses(_ name: RepositoryName) async throws -> [String: Double] {
        var uses = [String: Double]()
        for file in try await driver.listFiles(under: layout.useMarkers(name), skipping: []) {
            uses[file.path] = file.modified
        }
        return uses
    }
}

extension Layout {
    /// Where a mirror notes that the cached tags of a repository are in use.
    public func useMarkers(_ name: RepositoryName) -> String {
        "\(Self.base)/_pier/uses/\(name.value)"
    }

    /// One tag's or manifest's marker.
    public func useMarker(_ name: RepositoryName, _ reference: Reference) -> String {
        "\(useMarkers(name))/\(Self.useKey(reference))"
    }

    /// A tag's marker is named like the tag; a manifest's sits under `@`, apart from tags.
    public static func useKey(_ reference: Reference) -> String {
        switch reference {
        case .tag(let tag): tag.value
        case .digest(let digest): "@/\(digest.algorithm.rawValue)-\(digest.encoded)"
        }
    }
}
