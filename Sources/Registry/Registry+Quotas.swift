import OCI
import Storage

extension Registry {
    /// The quota of the namespace `name` is in, if any.
    func quota(for name: RepositoryName) -> QuotaRule? {
        options.quotas.first { $0.covers(name.namespace) }
    }

    /// Refuses to link a blob that would take the namespace past its quota; one already
    /// linked anywhere in the namespace costs nothing more. Concurrent pushes may each pass
    /// and together exceed it by their own sizes.
    func requireRoom(_ name: RepositoryName, for digest: Digest, size: Int64) async throws {
        guard let rule = quota(for: name) else { return }
        let count = try await usage(of: name.namespace)
        guard count.blobs[digest] == nil, count.bytes + size > rule.bytes else { return }
        throw RegistryError(
            .denied, "quota exceeded",
            detail: "namespace \(name.namespace) holds \(count.bytes) bytes of its quota of \(rule.bytes); \(size) bytes more would exceed it"
        )
    }

    /// Counts a blob this process linked into `name`.
    func counted(_ name: RepositoryName, _ digest: Digest, size: Int64) {
        guard quota(for: name) != nil else { return }
        namespaceUsage.add(name.namespace, digest, size: size)
    }

    /// Forgets the namespace's count after a deletion made some of its bytes collectable.
    func uncounted(_ name: RepositoryName) {
        guard quota(for: name) != nil else { return }
        namespaceUsage.invalidate(name.namespace)
    }

    /// Every namespace that has a quota, with the bytes it holds and its quota, for
    /// metrics and the index's API.
    public func quotaUsage() async throws -> [(namespace: String, bytes: Int64, quota: Int64)] {
        guard !options.quotas.isEmpty else { return [] }
        var result = [(namespace: String, bytes: Int64, quota: Int64)]()
        for namespace in (try await driver.list(layout.repositoriesRoot) ?? []).sorted() {
            guard let rule = options.quotas.first(where: { $0.covers(namespace) }) else { continue }
            result.append((namespace, try await usage(of: namespace).bytes, rule.bytes))
        }
        return result
    }

    /// What `namespace` holds and its quota, when a quota covers it: for the index's API.
    public func namespaceStorage(_ namespace: String) async throws -> (bytes: Int64, quota: Int64)? {
        guard let rule = options.quotas.first(where: { $0.covers(namespace) }) else { return nil }
        return (try await usage(of: namespace).bytes, rule.bytes)
    }

    /// The namespace's count, walked now when there is none fresh.
    func usage(of namespace: String) async throws -> NamespaceUsage.Count {
        if let count = namespaceUsage.current(namespace) { return count }
        let started = ContinuousClock.now
        var names = [String]()
        try await walkRepositories(layout.repositoriesRoot + "/" + namespace, prefix: namespace, into: &names)
        var digests = Set<Digest>()
        for name in names.compactMap(RepositoryName.init) {
            let root = layout.repository(name)
            for directory in [root + "/" + Layout.layersName, root + "/" + Layout.manifestsName + "/revisions"] {
                for algorithm in try await driver.list(directory) ?? [] {
                    for encoded in try await driver.list(directory + "/" + algorithm) ?? [] {
                        if let digest = Digest(algorithm + ":" + encoded) { digests.insert(digest) }
                    }
                }
            }
        }
        let list = Array(digests)
        let sizes = try await GarbageCollector.concurrently(list) { digest in
            try await self.driver.fileInfo(self.layout.blobData(digest))?.size
        }
        var count = NamespaceUsage.Count(blobs: [:], bytes: 0, countedAt: started)
        for (digest, size) in zip(list, sizes) {
            guard let size else { continue }
            count.blobs[digest] = size
            count.bytes += size
        }
        namespaceUsage.store(namespace, count)
        return count
    }
}
