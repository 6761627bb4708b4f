import Foundation
import OCI
import Registry

extension PierConfiguration {
    mutating func applyPolicies(_ read: ConfigurationTree) throws(ConfigurationError) {
        immutableTags = []
        for (key, rule) in try Self.mappings(read, "immutabletags") {
            let repositories = try ConfigurationError.under(key) { () throws(ConfigurationError) in
                try rule.strings("repository") + rule.strings("repositories")
            }
            let tags = try ConfigurationError.under(key) { () throws(ConfigurationError) in try rule.strings("tags") }
            guard !repositories.isEmpty, !tags.isEmpty else {
                throw ConfigurationError(key: key, message: "every rule needs repositories (team/**) and tags (v*)")
            }
            immutableTags.append(ImmutableTagRule(repositories: repositories.map(RepositoryGlob.init), tags: tags.map(RepositoryGlob.init)))
        }
        quotas = []
        for (key, rule) in try Self.mappings(read, "quotas") {
            let namespaces = try ConfigurationError.under(key) { () throws(ConfigurationError) in
                try rule.strings("namespace") + rule.strings("namespaces")
            }
            guard !namespaces.isEmpty, let bytes = rule.value("bytes") else {
                throw ConfigurationError(key: key, message: "every quota needs namespaces (team, ci-*) and bytes (10GiB)")
            }
            quotas.append(QuotaRule(namespaces: namespaces.map(RepositoryGlob.init), bytes: try Self.size(bytes, key: "\(key).bytes")))
        }
        retention = []
        for (key, rule) in try Self.mappings(read, "retention") {
            func keyed<T>(_ read: () throws(ConfigurationError) -> T) throws(ConfigurationError) -> T {
                try ConfigurationError.under(key, read)
            }
            let repositories = try keyed { () throws(ConfigurationError) in try rule.strings("repository") + rule.strings("repositories") }
            guard !repositories.isEmpty else {
                throw ConfigurationError(key: key, message: "every rule needs the repositories it covers (team/**)")
            }
            let last = try keyed { () throws(ConfigurationError) in try rule.int("keep.last") }
            if let last, last < 0 { throw ConfigurationError(key: "\(key).keep.last", message: "must not be negative") }
            let within = try keyed { () throws(ConfigurationError) in try rule.duration("keep.within", unitRequired: true) }
            let tags = try keyed { () throws(ConfigurationError) in try rule.strings("keep.tags") }
            // A rule that keeps nothing would delete every tag: refuse it as a typo.
            guard (last ?? 0) > 0 || within != nil || !tags.isEmpty else {
                throw ConfigurationError(key: "\(key).keep", message: "say what to keep: last (a count), within (a duration) or tags (patterns)")
            }
            let untagged = try keyed { () throws(ConfigurationError) in try rule.duration("untagged", unitRequired: true) } ?? .zero
            retention.append(RetentionRule(
                repositories: repositories.map(RepositoryGlob.init), keepLast: last, keepWithin: within,
                keepTags: tags.map(RepositoryGlob.init), untaggedAfter: untagged
            ))
        }
    }

    /// A size: bytes as a number, or with a unit (`500MB`, `10GiB`; decimal and binary).
    static func size(_ value: Any, key: String) throws(ConfigurationError) -> Int64 {
        if let number = value as? Int, number >= 0 { return Int64(number) }
        let text = "\(value)".trimmingCharacters(in: .whitespaces)
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let units: [String: Double] = [
            "": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let number = Double(digits), let scale = units[unit], number * scale < 9e18 else {
            throw ConfigurationError(key: key, message: "expected a size such as 500MB or 10GiB, got \(text)")
        }
        return Int64(number * scale)
    }

    /// A list of mappings under `path`, each with its key for error messages.
    static func mappings(_ read: ConfigurationTree, _ path: String) throws(ConfigurationError) -> [(String, ConfigurationTree)] {
        guard let value = read.value(path) else { return [] }
        guard let list = value as? [Any] else { throw ConfigurationError(key: path, message: "expected a list of rules") }
        var rules = [(String, ConfigurationTree)]()
        for (index, item) in list.enumerated() {
            let key = "\(path)[\(index)]"
            guard let map = item as? [String: Any] else { throw ConfigurationError(key: key, message: "expected a mapping") }
            rules.append((key, ConfigurationTree(map)))
        }
        return rules
    }
}
