public import OCI

/// Which tags of matching repositories the collector keeps (`retention` in the
/// configuration): a tag stays when any of the rule's conditions holds; the others are
/// deleted, and the manifests no tag reaches any more go as untagged ones.
public struct RetentionRule: Sendable, Equatable {
    /// Repositories the rule covers; the first rule that matches a repository is its rule.
    public var repositories: [RepositoryGlob]
    /// Keep the N most recently pushed tags.
    public var keepLast: Int?
    /// Keep tags pushed, or pulled (as the index counts pulls), within this long.
    public var keepWithin: Duration?
    /// Keep tags matching these patterns (`latest`, `v*`).
    public var keepTags: [RepositoryGlob]
    /// How old an untagged manifest of these repositories must be before it goes.
    public var untaggedAfter: Duration

    public init(repositories: [RepositoryGlob], keepLast: Int? = nil, keepWithin: Duration? = nil, keepTags: [RepositoryGlob] = [], untaggedAfter: Duration = .zero) {
        self.repositories = repositories
        self.keepLast = keepLast
        self.keepWithin = keepWithin
        self.keepTags = keepTags
        self.untaggedAfter = untaggedAfter
    }

    /// Whether the rule is `name`'s (when no earlier rule is).
    public func covers(_ name: RepositoryName) -> Bool {
        repositories.contains { $0.matches(name.value) }
    }

    /// The tags to delete among `tags` (name, pushed and last pulled, seconds since 1970),
    /// seen at `now`.
    func expired(_ tags: [(tag: Tag, pushed: Double, pulled: Double?)], now: Double) -> [Tag] {
        let newest = Set(tags.sorted { ($0.pushed, $0.tag.value) > ($1.pushed, $1.tag.value) }.prefix(keepLast ?? 0).map(\.tag))
        let since = keepWithin.map { now - GarbageCollector.seconds($0) }
        return tags.filter { entry in
            if newest.contains(entry.tag) { return false }
            if keepTags.contains(where: { $0.matches(entry.tag.value) }) { return false }
            if let since, entry.pushed >= since || (entry.pulled ?? 0) >= since { return false }
            return true
        }.map(\.tag)
    }
}
