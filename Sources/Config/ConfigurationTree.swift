import Index
import Notifications
import Foundation
import Yams

/// distribution's configuration as a YAML tree: the file, then `REGISTRY_*` variables laid
/// over it with distribution's rules, then typed reads by dotted key path.
struct ConfigurationTree {
    private(set) var root: [String: Any]

    init(_ root: [String: Any] = [:]) { self.root = root }

    /// Applies `REGISTRY_A_B_C=value` as `a.b.c: value`: `_` separates levels, a number
    /// indexes a list, and the value is parsed as a YAML scalar. Shorter names go first, so
    /// `REGISTRY_AUTH=htpasswd` and `REGISTRY_AUTH_HTPASSWD_PATH=…` combine as in distribution.
    /// An empty value changes nothing, as in distribution (an empty YAML document): compose
    /// files pass `REGISTRY_LOG_LEVEL: ${LOG_LEVEL}` empty when the variable is unset.
    /// An index outside 0..<``maximumListIndex`` is refused by the variable's name.
    mutating func applyEnvironment(_ environment: [String: String]) throws(ConfigurationError) {
        let overrides = environment
            .filter { $0.key.hasPrefix("REGISTRY_") && $0.key.count > "REGISTRY_".count }
            .filter { !$0.value.allSatisfy(\.isWhitespace) }
            .map { (keys: $0.key.dropFirst("REGISTRY_".count).split(separator: "_").map { $0.lowercased() }, value: $0.value) }
            .sorted { $0.keys.count != $1.keys.count ? $0.keys.count < $1.keys.count : $0.keys.lexicographicallyPrecedes($1.keys) }
        for override in overrides where !override.keys.isEmpty {
            // REGISTRY_CONFIGURATION_PATH names the file, as in distribution; it is no setting.
            if override.keys == ["configuration", "path"] { continue }
            // A negative index trapped; a huge one filled memory with empty entries.
            for key in override.keys {
                if let index = Int(key), !(0..<Self.maximumListIndex).contains(index) {
                    throw ConfigurationError(
                        key: "REGISTRY_" + override.keys.joined(separator: "_").uppercased(),
                        message: "a list index must be 0 to \(Self.maximumListIndex - 1), not \(key)"
                    )
                }
            }
            root = Self.setting(root, override.keys[...], Self.scalar(override.value)) as? [String: Any] ?? root
        }
    }

    /// Lists in a configuration (notification endpoints, access rules, mirrors) are short;
    /// indices sort as text (`10` before `2`), so the ones between are filled in empty.
    static let maximumListIndex = 1000

    private static func scalar(_ value: String) -> Any {
        (try? Yams.load(yaml: value)).flatMap { $0 } ?? value
    }

    /// Returns `node` with `value` set at `keys`. A scalar met on the way (`auth: htpasswd`)
    /// becomes a mapping with that key, which is how distribution reads such a section.
    private static func setting(_ node: Any?, _ keys: ArraySlice<String>, _ value: Any) -> Any {
        guard let key = keys.first else { return value }
        if let index = Int(key), var list = node as? [Any] {
            while list.count <= index { list.append([String: Any]()) }
            list[index] = setting(list[index], keys.dropFirst(), value)
            return list
        }
        var map: [String: Any]
        switch node {
        case let existing as [String: Any]: map = existing
        case let name as String where !name.isEmpty: map = [name: [String: Any]()]
        default: map = [:]
        }
        let existingKey = Self.key(matching: key, in: map) ?? key
        if let index = Int(keys.dropFirst().first ?? ""), map[existingKey] == nil || map[existingKey] is [Any] {
            var list = map[existingKey] as? [Any] ?? []
            while list.count <= index { list.append([String: Any]()) }
            map[existingKey] = list
        }
        map[existingKey] = setting(map[existingKey], keys.dropFirst(), value)
        return map
    }

    // MARK: typed reads

    func value(_ path: String) -> Any? {
        let node = rawValue(path)
        return node is NSNull ? nil : node
    }

    func has(_ path: String) -> Bool { value(path) != nil }

    /// The node at `path` as written, an empty value (`inmemory:`) included.
    func rawValue(_ path: String) -> Any? {
        var node: Any = root
        for key in path.split(separator: ".") {
            guard let map = node as? [String: Any], let match = Self.key(matching: String(key), in: map), let next = map[match]
            else { return nil }
            node = next
        }
        return node
    }

    /// The key of `map` that `key` names: the one spelt exactly so, else the first in sorted
    /// order of those equal to it but for case. Keys are read regardless of case (`Auth:`);
    /// a file with both `auth` and `Auth` read one or the other as the dictionary's order
    /// fell, which changes from one process to the next.
    static func key(matching key: String, in map: [String: Any]) -> String? {
        if map[key] != nil { return key }
        let lowered = key.lowercased()
        return map.keys.filter { $0.lowercased() == lowered }.min()
    }

    /// Whether `path` is written at all, even with an empty value.
    func hasKey(_ path: String) -> Bool { rawValue(path) != nil }

    func string(_ path: String) throws(ConfigurationError) -> String? {
        guard let value = value(path) else { return nil }
        switch value {
        case let s as String: return s
        case let i as Int: return String(i)
        case let d as Double: return String(d)
        case let b as Bool: return String(b)
        default: throw ConfigurationError(key: path, message: "expected a string, got \(Self.describe(value))")
        }
    }

    func bool(_ path: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(path) else { return nil }
        if let b = value as? Bool { return b }
        if let s = value as? String {
            switch s.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: break
            }
        }
        throw ConfigurationError(key: path, message: "expected true or false, got \(Self.describe(value))")
    }

    func int(_ path: String) throws(ConfigurationError) -> Int? {
        guard let value = value(path) else { return nil }
        if let i = value as? Int { return i }
        if let s = value as? String, let i = Int(s) { return i }
        throw ConfigurationError(key: path, message: "expected a whole number, got \(Self.describe(value))")
    }

    /// A Go duration (`10s`, `1h30m`). A bare number is nanoseconds, as Go reads one into
    /// distribution's `time.Duration` keys; with `unitRequired` (Pier's own keys, and those
    /// distribution reads as text) one other than 0 is refused: `interval: 24` meant hours,
    /// not a collection every 24 ns.
    func duration(_ path: String, unitRequired: Bool = false) throws(ConfigurationError) -> Duration? {
        guard let value = value(path) else { return nil }
        if let nanoseconds = value as? Int {
            guard !unitRequired || nanoseconds == 0 else {
                throw ConfigurationError(key: path, message: "\(nanoseconds) needs a unit, as in \(nanoseconds)h, \(nanoseconds)m or \(nanoseconds)s")
            }
            return .nanoseconds(Int64(nanoseconds))
        }
        if let text = value as? String, let duration = GoDuration.parse(text) { return duration }
        throw ConfigurationError(key: path, message: "expected a duration such as 10s or 24h, got \(Self.describe(value))")
    }

    /// One string or a list of strings (`http.tls.clientcas`, `access.admins`).
    func strings(_ path: String) throws(ConfigurationError) -> [String] {
        guard let value = value(path) else { return [] }
        switch value {
        case let list as [Any]:
            for item in list where item is [String: Any] || item is [Any] {
                throw ConfigurationError(key: path, message: "expected a list of strings, got \(Self.describe(item)) in it")
            }
            return list.map { "\($0)" }
        case is [String: Any]:
            throw ConfigurationError(key: path, message: "expected a string or a list of strings")
        default:
            return ["\(value)"]
        }
    }

    /// A mapping of names to one or several strings (`http.headers`, `log.fields`).
    func stringLists(_ path: String) throws(ConfigurationError) -> [(String, [String])] {
        guard let value = value(path) else { return [] }
        guard let map = value as? [String: Any] else {
            throw ConfigurationError(key: path, message: "expected a mapping, got \(Self.describe(value))")
        }
        var result = [(String, [String])]()
        for (name, entry) in map.sorted(by: { $0.key < $1.key }) {
            switch entry {
            case let list as [Any]: result.append((name, list.map { "\($0)" }))
            case is [String: Any]: throw ConfigurationError(key: "\(path).\(name)", message: "expected a string or a list of strings")
            default: result.append((name, ["\(entry)"]))
            }
        }
        return result
    }

    private static func describe(_ value: Any) -> String {
        switch value {
        case is [String: Any]: "a mapping"
        case is [Any]: "a list"
        default: "'\(value)'"
        }
    }

    // MARK: unknown keys and output

    /// Key paths present in the tree that distribution's schema does not define.
    func unknownKeys() -> [String] {
        var unknown = [String]()
        Self.walk(root, path: "", into: &unknown)
        return unknown.sorted()
    }

    /// The first section written as a plain value or a list (`storage.maintenance.readonly:
    /// true`, `storage.delete: true`, `http: ":5000"`), which distribution refuses. Read as
    /// absent, each left its default in place unsaid: a registry meant read-only took
    /// pushes. `storage`'s bare value names its driver and is no such mistake.
    func misshapenSection() -> ConfigurationError? {
        Self.misshapen(root, path: "")
    }

    private static func misshapen(_ node: Any, path: String) -> ConfigurationError? {
        if let map = node as? [String: Any] {
            for key in map.keys.sorted() {
                guard let child = map[key] else { continue }
                let childPath = path.isEmpty ? key.lowercased() : "\(path).\(key.lowercased())"
                guard ConfigurationSchema.classify(childPath) == .known else { continue }
                if ConfigurationSchema.isSection(childPath), !(child is [String: Any]), !(child is NSNull),
                   !(childPath == "storage" && child is String) {
                    // `REGISTRY_AUTH=htpasswd` alone names a provider and none of its settings.
                    if childPath == "auth", let name = (child as? String)?.lowercased(), ["htpasswd", "token", "silly"].contains(name) {
                        return ConfigurationError(key: "auth.\(name)", message: "has no settings: give them in the file or as REGISTRY_AUTH_\(name.uppercased())_…")
                    }
                    return ConfigurationError(key: childPath, message: "must be a mapping of settings, not \(describe(child))")
                }
                if let found = misshapen(child, path: childPath) { return found }
            }
        } else if let list = node as? [Any] {
            for item in list { if let found = misshapen(item, path: path + "[]") { return found } }
        }
        return nil
    }

    private static func walk(_ node: Any, path: String, into unknown: inout [String]) {
        if let map = node as? [String: Any] {
            for (key, child) in map {
                let childPath = path.isEmpty ? key.lowercased() : "\(path).\(key.lowercased())"
                switch ConfigurationSchema.classify(childPath) {
                case .unknown: unknown.append(childPath)
                case .open: continue
                case .known: walk(child, path: childPath, into: &unknown)
                }
            }
        } else if let list = node as? [Any] {
            for item in list { walk(item, path: path + "[]", into: &unknown) }
        }
    }

    /// The tree as YAML with secrets replaced, for `pier config check`.
    func maskedYAML() -> String {
        let masked = Self.mask(root, path: "")
        return (try? Yams.dump(object: masked, sortKeys: true)) ?? ""
    }

    private static func mask(_ node: Any, path: String) -> Any {
        if let map = node as? [String: Any] {
            var out = [String: Any]()
            for (key, child) in map {
                let childPath = path.isEmpty ? key.lowercased() : "\(path).\(key.lowercased())"
                if path.hasPrefix("notifications.endpoints[]"), key.lowercased() == "url", let url = child as? String {
                    // An endpoint's credentials, a user alone too (a token as `TOKEN@`).
                    out[key] = NotificationEndpoint(name: "", url: url).displayURL
                } else if childPath == "index.database" || childPath.hasSuffix(".remoteurl") || childPath.hasSuffix(".url"), let url = child as? String {
                    // The URL stays readable, its password (a mirror's `bot:secret@`, an
                    // endpoint's) not.
                    out[key] = IndexDatabaseLocation.redacted(url)
                } else if path.hasPrefix("notifications.endpoints[]"), path.hasSuffix(".headers") {
                    // An endpoint's headers are how it is told who posts (`X-Api-Key`).
                    out[key] = "********"
                } else {
                    out[key] = ConfigurationSchema.isSecret(childPath) && !(child is [String: Any]) ? "********" : mask(child, path: childPath)
                }
            }
            return out
        }
        if let list = node as? [Any] { return list.map { mask($0, path: path + "[]") } }
        // Yams writes a double in exponent form (`version: 0.1` as `1e-1`), which no reader
        // of config.yml expects; in decimals, quoted, it means the same to distribution.
        if path == "version", let number = node as? Double { return "\(number)" }
        return node
    }
}
