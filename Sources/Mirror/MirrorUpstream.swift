public import OCI

/// One upstream registry the mirror caches and the namespace it answers under: what
/// distribution's `proxy` section sets for a whole registry, and each entry of Pier's
/// `mirrors` sets for a prefix beside local repositories.
public struct MirrorUpstream: Sendable, Equatable {
    /// The namespace the upstream answers under (`hub`: `hub/library/busybox` is the
    /// upstream's `library/busybox`); empty for distribution's `proxy`, which mirrors every
    /// repository under its own name.
    public var prefix: String
    /// The upstream's base URL (`https://registry-1.docker.io`).
    public var remoteURL: String
    /// Credentials for the upstream, sent as Basic or traded at its token service.
    public var username: String?
    public var password: String?
    /// Cached content not pulled for this long is evicted (tags, then what only they
    /// reached, by the collector); nil keeps it until deleted.
    public var ttl: Duration?
    /// How long a tag's cached manifest is served without asking the upstream; after that
    /// one `HEAD` (which rate limits do not count) decides whether to fetch it again.
    public var freshness: Duration
    /// How long a manifest, a tag list's or a referrers list's page may take from the
    /// request to its last byte: the read timeout alone lets an upstream that trickles a
    /// byte now and then hold a fetch (and every client sharing it) for minutes. Past it
    /// the upstream counts as down, so a cached tag is served stale. Blobs, large and
    /// slow for good reasons, are bounded by the read timeout alone.
    public var timeout: Duration
    /// PEM certificates to trust for the upstream, beside the system's.
    public var caFile: String?
    /// Skips verifying the upstream's certificate (a test upstream with its own CA).
    public var insecureSkipVerify: Bool

    public init(
        prefix: String, remoteURL: String, username: String? = nil, password: String? = nil,
        ttl: Duration? = .seconds(168 * 3600), freshness: Duration = .zero, timeout: Duration = .seconds(60), caFile: String? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.prefix = prefix
        self.remoteURL = remoteURL
        self.username = username
        self.password = password
        self.ttl = ttl
        self.freshness = freshness
        self.timeout = timeout
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
    }

    /// The repositories this upstream answers for, as retention and quotas name them.
    public var repositories: RepositoryGlob {
        RepositoryGlob(prefix.isEmpty ? "**" : prefix + "/**")
    }

    /// The upstream's name for a local repository, or nil when the repository is not
    /// under this upstream's prefix. Docker Hub's official images live under `library/`,
    /// which Docker's clients add and other clients expect the registry to add.
    public func upstreamName(for name: RepositoryName) -> RepositoryName? {
        var rest = name.value
        if !prefix.isEmpty {
            guard rest.hasPrefix(prefix + "/") else { return nil }
            rest = String(rest.dropFirst(prefix.count + 1))
        }
        if isDockerHub, !rest.contains("/") { rest = "library/" + rest }
        return RepositoryName(rest)
    }

    /// The host of the upstream, as metrics and messages name it.
    public var host: String {
        var rest = Substring(remoteURL)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" })
    }

    private var isDockerHub: Bool {
        ["registry-1.docker.io", "docker.io", "index.docker.io", "registry.hub.docker.com"].contains(host)
    }
}
