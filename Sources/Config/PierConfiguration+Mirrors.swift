import Foundation
import Mirror
import OCI

extension PierConfiguration {
    /// Reads distribution's `proxy` (the whole registry mirrors one upstream, as a
    /// `registry:2` pull-through cache) and Pier's `mirrors` (upstreams by namespace
    /// prefix, beside local repositories).
    mutating func applyMirrors(_ read: ConfigurationTree) throws(ConfigurationError) {
        mirrors = []
        if read.has("proxy") {
            mirrors.append(try Self.mirror(read, key: "proxy", prefix: ""))
        }
        for (key, entry) in try Self.mappings(read, "mirrors") {
            let prefix = try ConfigurationError.under(key) { () throws(ConfigurationError) in try entry.string("prefix") } ?? ""
            guard !prefix.isEmpty, RepositoryName(prefix) != nil, !prefix.hasSuffix("/") else {
                throw ConfigurationError(key: "\(key).prefix", message: "every mirror needs a namespace prefix such as hub or ghcr/team")
            }
            guard !mirrors.contains(where: { $0.prefix == prefix }) else {
                throw ConfigurationError(key: "\(key).prefix", message: "\(prefix) is mirrored twice")
            }
            mirrors.append(try ConfigurationError.under(key) { () throws(ConfigurationError) in try Self.mirror(entry, key: nil, prefix: prefix) })
        }
    }

    /// One upstream's settings, under `key` (`proxy`) or at the top of `read` (a `mirrors` entry).
    private static func mirror(_ read: ConfigurationTree, key: String?, prefix: String) throws(ConfigurationError) -> MirrorUpstream {
        func path(_ name: String) -> String { key.map { "\($0).\(name)" } ?? name }
        guard let url = try read.string(path("remoteurl")), let parsed = URL(string: url),
              ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw ConfigurationError(key: path("remoteurl"), message: "expected the upstream's URL, such as https://registry-1.docker.io")
        }
        // Credentials written into the URL (`https://bot:secret@host`) are taken as the
        // username and password and cut from it: the URL's host names the upstream in
        // every message and metric, which must never carry a password.
        var remote = url
        var embedded: (user: String, password: String?)?
        if var components = URLComponents(string: url), let user = components.percentEncodedUser {
            embedded = (user.removingPercentEncoding ?? user, components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 })
            components.percentEncodedUser = nil
            components.percentEncodedPassword = nil
            remote = components.string ?? url
        }
        var upstream = MirrorUpstream(prefix: prefix, remoteURL: remote)
        upstream.username = try read.string(path("username")) ?? embedded?.user
        upstream.password = try read.string(path("password")) ?? embedded?.password
        if upstream.username != nil && upstream.password == nil {
            throw ConfigurationError(key: path("password"), message: "a username needs its password")
        }
        if let ttl = try read.duration(path("ttl")) {
            // distribution: a TTL of zero (or less) never expires anything.
            upstream.ttl = ttl > .zero ? ttl : nil
        }
        if let freshness = try read.duration(path("freshness"), unitRequired: true) {
            guard freshness >= .zero else { throw ConfigurationError(key: path("freshness"), message: "must not be negative") }
            upstream.freshness = freshness
        }
        if let timeout = try read.duration(path("timeout"), unitRequired: true) {
            guard timeout > .zero else { throw ConfigurationError(key: path("timeout"), message: "must be positive") }
            upstream.timeout = timeout
        }
        upstream.caFile = try read.string(path("tls.ca"))
        if let ca = upstream.caFile, !FileManager.default.isReadableFile(atPath: ca) {
            throw ConfigurationError(key: path("tls.ca"), message: "cannot read \(ca)")
        }
        upstream.insecureSkipVerify = try read.bool(path("tls.insecure")) ?? false
        return upstream
    }
}
