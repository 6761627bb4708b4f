import Foundation
public import Logging
import Yams

/// The settings Pier runs with, read from distribution's `config.yml` format and its
/// `REGISTRY_*` environment overrides so an existing deployment's files work unchanged.
public struct PierConfiguration: Sendable, Equatable {
    /// How log lines are written (`log.formatter`).
    public enum LogFormat: String, Sendable { case text, json }

    /// Host to bind; empty means every interface, as in distribution's `:5000`.
    public var host: String = "0.0.0.0"
    public var port: Int = 5000
    /// Root of filesystem storage (`storage.filesystem.rootdirectory`).
    public var storageRoot: String = "./data"
    /// `storage.delete.enabled`. Off in distribution unless configured; on in Pier's
    /// embedded default, where there is no file to say otherwise.
    public var deleteEnabled: Bool = true
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    public var accessLogEnabled: Bool = true
    /// Largest catalog page (`catalog.maxentries`).
    public var catalogMaxEntries: Int = 1000

    /// The embedded default: filesystem storage under `./data`, port 5000, deletes on.
    public init() {}

    /// Reads a configuration file (or the embedded default when `path` is nil) and applies
    /// `REGISTRY_*` overrides from `environment`.
    public static func load(path: String?, environment: [String: String]) throws(ConfigurationError) -> PierConfiguration {
        var tree: [String: Any] = [:]
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError(key: nil, message: "cannot read configuration file \(path): \(error.localizedDescription)")
            }
            do {
                guard let loaded = try Yams.load(yaml: text) else {
                    throw ConfigurationError(key: nil, message: "configuration file \(path) is empty")
                }
                guard let map = loaded as? [String: Any] else {
                    throw ConfigurationError(key: nil, message: "configuration file \(path) is not a YAML mapping")
                }
                tree = map
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(key: nil, message: "configuration file \(path) is not valid YAML: \(error)")
            }
        }
        for (name, value) in environment where name.hasPrefix("REGISTRY_") {
            let keys = name.dropFirst("REGISTRY_".count).split(separator: "_").map { $0.lowercased() }
            guard !keys.isEmpty else { continue }
            Self.set(&tree, keys[...], Self.scalar(value))
        }
        var config = PierConfiguration()
        if path != nil { config.deleteEnabled = false }
        try config.apply(tree)
        return config
    }

    /// Parses an environment value as a YAML scalar, as distribution does.
    private static func scalar(_ value: String) -> Any {
        (try? Yams.load(yaml: value)).flatMap { $0 } ?? value
    }

    private static func set(_ tree: inout [String: Any], _ keys: ArraySlice<String>, _ value: Any) {
        guard let first = keys.first else { return }
        let existing = tree.keys.first { $0.lowercased() == first } ?? first
        if keys.count == 1 {
            tree[existing] = value
            return
        }
        var child = tree[existing] as? [String: Any] ?? [:]
        set(&child, keys.dropFirst(), value)
        tree[existing] = child
    }

    private mutating func apply(_ tree: [String: Any]) throws(ConfigurationError) {
        let read = TreeReader(tree)
        if let level = try read.string("log.level") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) ?? (level.lowercased() == "warn" ? .warning : nil) else {
                throw ConfigurationError(key: "log.level", message: "'\(level)' is not one of error, warn, info, debug")
            }
            logLevel = parsed
        }
        if let format = try read.string("log.formatter") {
            guard let parsed = LogFormat(rawValue: format.lowercased()) else {
                throw ConfigurationError(key: "log.formatter", message: "'\(format)' is not one of text, json")
            }
            logFormat = parsed
        }
        if let disabled = try read.bool("log.accesslog.disabled") { accessLogEnabled = !disabled }
        if let root = try read.string("storage.filesystem.rootdirectory") { storageRoot = root }
        if let enabled = try read.bool("storage.delete.enabled") { deleteEnabled = enabled }
        if let entries = try read.int("catalog.maxentries") {
            guard entries > 0 else {
                throw ConfigurationError(key: "catalog.maxentries", message: "must be a positive number, not \(entries)")
            }
            catalogMaxEntries = entries
        }
        if let addr = try read.string("http.addr") {
            (host, port) = try Self.parseAddress(addr)
        }
        for section in ["auth", "http.tls", "storage.s3", "proxy", "redis"] where read.has(section) {
            throw ConfigurationError(key: section, message: "this section is not yet supported by pier")
        }
    }

    /// Parses `host:port`, `:port` or `[v6]:port`.
    static func parseAddress(_ addr: String) throws(ConfigurationError) -> (String, Int) {
        guard let colon = addr.lastIndex(of: ":"), let port = Int(addr[addr.index(after: colon)...]),
              (0...65535).contains(port)
        else {
            throw ConfigurationError(key: "http.addr", message: "'\(addr)' is not host:port")
        }
        var host = String(addr[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

/// A configuration that cannot be used, naming the key and what was expected.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var key: String?
    public var message: String

    public init(key: String?, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { key.map { "configuration \($0): \(message)" } ?? message }
}

/// Typed reads from a loaded YAML tree by dotted key path, case-insensitive like
/// distribution's environment matching.
struct TreeReader {
    let tree: [String: Any]

    init(_ tree: [String: Any]) { self.tree = tree }

    func value(_ path: String) -> Any? {
        var node: Any = tree
        for key in path.split(separator: ".") {
            guard let map = node as? [String: Any],
                  let match = map.first(where: { $0.key.lowercased() == key.lowercased() })
            else { return nil }
            node = match.value
        }
        return node
    }

    func has(_ path: String) -> Bool {
        guard let value = value(path) else { return false }
        return !(value is NSNull)
    }

    func string(_ path: String) throws(ConfigurationError) -> String? {
        guard let value = value(path), !(value is NSNull) else { return nil }
        switch value {
        case let s as String: return s
        case let i as Int: return String(i)
        case let d as Double: return String(d)
        case let b as Bool: return String(b)
        default: throw ConfigurationError(key: path, message: "expected a string")
        }
    }

    func bool(_ path: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(path), !(value is NSNull) else { return nil }
        if let b = value as? Bool { return b }
        if let s = value as? String {
            switch s.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: break
            }
        }
        throw ConfigurationError(key: path, message: "expected true or false, got '\(value)'")
    }

    func int(_ path: String) throws(ConfigurationError) -> Int? {
        guard let value = value(path), !(value is NSNull) else { return nil }
        if let i = value as? Int { return i }
        if let s = value as? String, let i = Int(s) { return i }
        throw ConfigurationError(key: path, message: "expected a whole number, got '\(value)'")
    }
}
