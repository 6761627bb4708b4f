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

    static func immutable(_ name: RepositoryName, _ tag: Tag, _ what: String) -> RegistryError {
        RegistryError(.denied, "the tag is immutable", detail: "TAG_INVALID: \(name.value):\(tag.value) matches an immutable tag rule and \(what)")
    }
}
