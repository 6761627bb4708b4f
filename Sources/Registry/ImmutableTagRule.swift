public import OCI

/// Tags that, once pushed, never point anywhere else and are never deleted (release tags,
/// say), while new tags can still be pushed: `immutabletags` in the configuration.
public struct ImmutableTagRule: Sendable, Equatable {
    /// Repositories the rule covers.
    public var repositories: [RepositoryGlob]
    /// Tag patterns (`v*`, `latest`) in those repositories.
    public var tags: [RepositoryGlob]

    public init(repositories: [RepositoryGlob], tags: [RepositoryGlob]) {
        self.repositories = repositories
        self.tags = tags
    }

    /// Whether `tag` in `name` is immutable under this rule.
    public func covers(_ name: RepositoryName, _ tag: Tag) -> Bool {
        repositories.contains { $0.matches(name.value) } && tags.contains { $0.matches(tag.value) }
    }
}
