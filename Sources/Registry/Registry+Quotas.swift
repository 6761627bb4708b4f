import OCI
import Storage

extension Registry {
    /// The quota of the namespace `name` is in, if any.
    func quota(for name: RepositoryName) -> QuotaRule? {
        options.quotas.first { $0.covers(name.namespace) }
    }

    /// Refuses to link a blob that would take the namespace past its quota; one already
    /// linked anywhere in the namespace costs nothing more. A blob let through is counted
    /// at once, so concurrent pushes in this process cannot together exceed the quota
    /// (instances sharing a store see each other's pushes at their next count).
    /// - Returns: the admission the push now holds, if any, which it gives back with
    ///   ``released(_:_:ticket:)`` if its link fails; the ticket names it, so a push never
    ///   gives back another push's.
    func requireRoom(_ name: RepositoryName, for digest: Digest, size: Int64) async throws -> NamespaceUsage.Ticket? {
        guard let rule = quota(for: name) else { return nil }
        // A count forgotten between the two steps (a deletion elsewhere) is read again;
        // the last read decides if it keeps being forgotten, never nothing.
        var held: Int64 = 0
        for _ in 0..<3 {
            let count = try await usage(of: name.namespace)
            switch namespaceUsage.admit(name.namespace, digest, size: size, limit: rule.bytes) {
            case .admitted(let ticket):
                return ticket
            case .present:
                return nil
            case .full(let bytes):
                held = bytes
            case .uncounted:
                if count.blobs[digest] != nil { return nil }
                held = count.bytes
                if held + size <= rule.bytes { continue }
            }
            break
        }
        guard held + size > rule.bytes else { return nil }
        throw RegistryError(
            .denied, "quota exceeded",
            detail: "namespace \(name.namespace) holds \(held) bytes of its quota of \(rule.bytes); \(size) bytes more would exceed it"
        )
    }

    /// Links a blob into `name` within its namespace's quota: admitted first (refused past
    /// it), the admission given back if `link` fails, the blob counted once it succeeds.
    func linkWithinQuota(_ name: RepositoryName, _ digest: Digest, size: Int64, _ link: () async throws -> Void) async throws {
        let ticket = try await requireRoom(name, for: digest, size: size)
        do { try await link() } catch {
            released(name, digest, ticket: ticket)
            throw error
        }
        counted(name, digest, size: size)
    }

    /// Gives back the admission of a blob whose link failed, so a failed push holds no quota;
    /// only for a push that holds one (its `ticket`, from ``requireRoom(_:for:size:)``).
    func released(_ name: RepositoryName, _ digest: Digest, ticket: NamespaceUsage.Ticket?) {
        guard let ticket, quota(for: name) != nil else { return }
        namespaceUsage.release(name.namespace, digest, ticket: ticket)
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

    /// The namespace's count, read now when there is none fresh: one recursive listing of
    /// its repositories' links (a flat listing on S3, not a request per directory), and a
    /// size look-up only for blobs the last count did not know (a blob's size never changes).
    func usage(of namespace: String) async throws -> NamespaceUsage.Count {
        if let count = namespaceUsage.current(namespace) { return count }
        let started = ContinuousClock.now
        var digests = Set<Digest>()
        for file in try await driver.listFiles(under: layout.repositoriesRoot + "/" + namespace, skipping: [Layout.uploadsName]) {
            // …/_layers/<algorithm>/<encoded>/link and …/_manifests/revisions/<algorithm>/<encoded>/link
            let parts = file.path.split(separator: "/")
            guard parts.count >= 4, parts[parts.count - 1] == "link" else { continue }
            let kind = parts[parts.count - 4]
            guard kind == Substring(Layout.layersName) || kind == "revisions",
                  let digest = Digest("\(parts[parts.count - 3]):\(parts[parts.count - 2])")
            else { continue }
            digests.insert(digest)
        }
        let known = namespaceUsage.lastKnownSizes(namespace)
        let unknown = digests.filter { known[$0] == nil }
        let looked = Array(unknown)
        let sizes = try await GarbageCollector.concurrently(looked) { digest in
            try await self.driver.fileInfo(self.layout.blobData(digest))?.size
        }
        var found = known
        for (digest, size) in zip(looked, sizes) { found[digest] = size }
        var count = NamespaceUsage.Count(blobs: [:], bytes: 0, countedAt: started)
        for digest in digests {
            guard let size = found[digest] else { continue }
            count.blobs[digest] = size
            count.bytes += size
        }
        return namespaceUsage.store(namespace, count)
    }
}
