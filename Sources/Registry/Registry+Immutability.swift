import OCI
import Storage

extension Registry {
    /// Whether a rule makes `tag` of `name` immutable.
    public func isImmutable(_ name: RepositoryName, _ tag: Tag) -> Bool {
        options.immutableTags.contains { $0.covers(name, tag) }
    }

    /// Refuses to move an immutable tag that exists to another manifest; pushing the same
    /// manifest again (what a client retrying a push does) is allowed.
    func requireUnchanged(_ name: RepositoryName, _ tag: Tag, pointingAt digest: Digest) async throws {
        guard isImmutable(name, tag), let current = try await readLink(layout.tagCurrentLink(name, tag)), current != digest else { return }
        throw Self.immutable(name, tag, "points at \(current) and cannot be moved")
    }

    /// Refuses to delete an immutable tag.
    func requireDeletable(_ name: RepositoryName, _ tag: Tag) throws(RegistryError) {
        guard isImmutable(name, tag) else { return }
        throw Self.immutable(name, tag, "cannot be deleted")
    }

    /// Refuses to delete a manifest or blob link an immutable tag of `name` reaches (an
    /// index's child, an image's layer): the tag would stay but no longer pull.
    func requireUnreached(_ name: RepositoryName, _ digest: Digest) async throws {
        guard options.immutableTags.contains(where: { rule in rule.repositories.contains { $0.matches(name.value) } }) else { return }
        for tag in (try await driver.list(layout.tagsDirectory(name)) ?? []).compactMap(Tag.init) where isImmutable(name, tag) {
            guard let target = try await readLink(layout.tagCurrentLink(name, tag)) else { continue }
            var seen = Set<Digest>()
            var queue = [target]
            while let next = queue.popLast() {
                guard seen.insert(next).inserted else { continue }
                if next == digest, next != target {
                    throw Self.immutable(name, tag, "needs \(digest)")
                }
                guard let bytes = try? await driver.contents(of: layout.blobData(next), limit: Manifest.maximumSize) else { continue }
                let references = GarbageCollector.references(in: bytes)
                if references.blobs.contains(digest) { throw Self.immutable(name, tag, "needs \(digest)") }
                queue.append(contentsOf: references.manifests)
            }
        }
    }

    static func immutable(_ name: RepositoryName, _ tag: Tag, _ what: String) -> RegistryError {
        RegistryError(.denied, "the tag is immutable", detail: "TAG_INVALID: \(name.value):\(tag.value) matches an immutable tag rule and \(what)")
    }
}
