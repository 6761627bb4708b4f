public import OCI

/// How many bytes a namespace may hold (`quotas` in the configuration): the blobs linked in
/// any of its repositories, each counted once however many of them share it.
public struct QuotaRule: Sendable, Equatable {
    /// Namespaces (a repository name's first segment) the rule covers, each on its own.
    public var namespaces: [RepositoryGlob]
    /// What each of those namespaces may hold.
    public var bytes: Int64

    public init(namespaces: [RepositoryGlob], bytes: Int64) {
        self.namespaces = namespaces
        self.bytes = bytes
    }

    /// Whether the rule limits `namespace`.
    public func covers(_ namespace: String) -> Bool {
        namespaces.contains { $0.matches(namespace) }
    }
}

extension RepositoryName {
    /// The first segment: whose repository it is, for quotas.
    public var namespace: String {
        String(value.prefix { $0 != "/" })
    }
}
