import OCI
import Storage

extension Registry {
    /// What deleting a repository removed.
    public struct RepositoryDeletion: Sendable, Equatable {
        /// Manifests removed, each announced as a manifest delete.
        public var manifests = 0
        /// Upload sessions abandoned.
        public var uploads = 0
    }

    /// Deletes repository `name`: its manifests, tags and referrers (each manifest announced
    /// as a delete, so notifications, the index and webhooks learn of it as of any delete),
    /// its layer links and its unfinished uploads. Blobs stay where other repositories may
    /// share them; garbage collection removes those nothing links any more, as with
    /// distribution. Repositories nested under `name` (`name/sub`) are left alone. Needs
    /// deletes enabled (`storage.delete.enabled`), as a manifest delete does.
    public func deleteRepository(_ name: RepositoryName, origin: RequestOrigin = .internal("delete")) async throws -> RepositoryDeletion {
        try requireDeletes()
        let root = layout.repository(name)
        guard let children = try await driver.list(root), Layout.isRepository(children) else {
            throw RegistryError.nameUnknown(name)
        }
        var deletion = RepositoryDeletion()
        // What is there, read before anything goes: the manifests to announce.
        let manifests = "\(root)/\(Layout.manifestsName)"
        var digests = [Digest]()
        for algorithm in try await driver.list(manifests + "/revisions") ?? [] {
            for encoded in try await driver.list("\(manifests)/revisions/\(algorithm)") ?? [] {
                if let digest = Digest("\(algorithm):\(encoded)") { digests.append(digest) }
            }
        }
        let tags = (try await driver.list(layout.tagsDirectory(name)) ?? []).compactMap(Tag.init)
        for tag in tags where try await driver.fileInfo(layout.tagCurrentLink(name, tag)) != nil {
            try requireDeletable(name, tag)
        }
        for session in try await driver.list(layout.uploadsDirectory(name)) ?? [] {
            let location = layout.uploadSession(at: layout.uploadsDirectory(name) + "/" + session)
            if (try? await driver.deleteUpload(location)) == nil { try await driver.delete(location.directory) }
            deletion.uploads += 1
        }
        // Each tree in one delete (an object store removes a thousand keys a request), the
        // manifests last: until they go, the repository still lists, so an interrupted
        // delete can be run again.
        for child in [Layout.uploadsName, Layout.layersName, Layout.manifestsName] {
            try await driver.delete("\(root)/\(child)")
        }
        // The directory itself, unless repositories are nested in it.
        if try await driver.list(root)?.isEmpty ?? true { try await driver.delete(root) }
        for tag in tags { tagTargets.remove(Self.tagKey(name, tag)) }
        for digest in digests {
            revisions.remove(Self.revisionKey(name, digest))
            await publish(ContentEvent(.delete, name, .manifest(digest, mediaType: nil, size: nil), origin: origin, repositoryDeletion: true))
        }
        deletion.manifests = digests.count
        tagLists.remove(name.value)
        uncounted(name)
        try await removeFromCatalog(name)
        return deletion
    }
}
