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
        let stamp = Array("\(Int64(Date.now.timeIntervalSince1970))".utf8)
        let marker = layout.useMarker(name, reference)
        do {
            try await driver.write(stamp, to: marker)
        } catch {
            // A tag's marker as versions before `_tags` wrote it may be the file where this
            // repository's marker directory goes (tag `helm` of `tools` at `tools/helm`,
            // the directory of repository `tools/helm`): moved aside, the marker goes in.
            guard try await moveOldTagMarkers(above: name) else { throw error }
            try await driver.write(stamp, to: marker)
        }
    }

    /// Moves the tag markers older versions wrote in the way of `name`'s marker directory
    /// (`uses/a/b` for tag `b` of `a`, where repository `a/b` keeps its markers) to where
    /// tag markers are now (`uses/a/_tags/b`).
    /// - Returns: whether one was in the way.
    private func moveOldTagMarkers(above name: RepositoryName) async throws -> Bool {
        let components = name.value.split(separator: "/").map(String.init)
        var moved = false
        // A tag named `_tags` itself, as versions before wrote it, is the file where this
        // repository's tag markers' directory goes: aside, then into that directory.
        let tagsMarker = layout.oldTagUseMarker(name.value, Layout.tagUsesName)
        if try await driver.fileInfo(tagsMarker) != nil {
            let aside = tagsMarker + "-" + UUID.random().uuidString.lowercased()
            try await driver.move(from: tagsMarker, to: aside)
            try await driver.move(from: aside, to: layout.tagUseMarker(name.value, Layout.tagUsesName))
            moved = true
        }
        for end in components.indices.dropFirst() {
            let owner = components[..<end].joined(separator: "/")
            let old = layout.oldTagUseMarker(owner, components[end])
            // nil for a directory: only a file can be in the way.
            guard let stale = try await driver.fileInfo(old) else { continue }
            let current = layout.tagUseMarker(owner, components[end])
            let newer = try await driver.fileInfo(current)
            // A move, not a delete: deleting a path on an object store takes the tree
            // under it too, which is this repository's markers.
            try await driver.move(from: old, to: current)
            if let newer, newer.modified > stale.modified {
                // The move put the older time in place; the tag counts as used now rather
                // than too long ago (at worst it is kept one TTL longer, once).
                try await driver.write(Array("\(Int64(Date.now.timeIntervalSince1970))".utf8), to: current)
            }
            moved = true
        }
        return moved
    }

    /// When each tag (by name) and manifest (``Layout/useKey(_:)``) of `name` was last
    /// noted in use, in seconds since 1970. A tag's marker as versions before `_tags` wrote
    /// it counts too (the newer of the two), so an upgrade does not make every cached tag
    /// look unused at once.
    public func lastUses(_ name: RepositoryName) async throws -> [String: Double] {
        var uses = [String: Double]()
        for file in try await driver.listFiles(under: layout.useMarkers(name), skipping: []) {
            let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
            let key: String
            if parts.count == 2, parts[0] == Substring(Layout.tagUsesName) {
                key = String(parts[1])
            } else if parts.count == 2, parts[0] == "@" {
                key = file.path
            } else if parts.count == 1 {
                key = file.path  // a tag's marker as versions before `_tags` wrote it
            } else {
                continue  // the markers of a repository below this one (`name/sub`)
            }
            uses[key] = max(uses[key] ?? 0, file.modified)
        }
        return uses
    }
}

extension Layout {
    /// Where a mirror notes that the cached tags of a repository are in use.
    public func useMarkers(_ name: RepositoryName) -> String {
        "\(Self.base)/_pier/uses/\(name.value)"
    }

    /// The directory of a repository's tag markers, beside its own and below it the
    /// markers of repositories under its name: a name no repository path component can
    /// have (they begin with a letter or digit), as distribution's `_manifests`, so a tag
    /// and a repository named alike (`tools:helm`, `tools/helm`) never share a path.
    public static let tagUsesName = "_tags"

    /// One tag's or manifest's marker.
    public func useMarker(_ name: RepositoryName, _ reference: Reference) -> String {
        switch reference {
        case .tag(let tag): tagUseMarker(name.value, tag.value)
        case .digest: "\(useMarkers(name))/\(Self.useKey(reference))"
        }
    }

    func tagUseMarker(_ name: String, _ tag: String) -> String {
        "\(Self.base)/_pier/uses/\(name)/\(Self.tagUsesName)/\(tag)"
    }

    /// Where versions before `_tags` kept a tag's marker: named like the tag, where the
    /// markers of a repository named like the tag go.
    func oldTagUseMarker(_ name: String, _ tag: String) -> String {
        "\(Self.base)/_pier/uses/\(name)/\(tag)"
    }

    /// The key of a tag's or manifest's use in ``Registry/lastUses(_:)``: a tag's name, a
    /// manifest's under `@`, apart from tags (its marker's path below the repository's).
    public static func useKey(_ reference: Reference) -> String {
        switch reference {
        case .tag(let tag): tag.value
        case .digest(let digest): "@/\(digest.algorithm.rawValue)-\(digest.encoded)"
        }
    }
}
