import Foundation
public import Logging
public import Notifications
public import Auth
public import Mirror
public import Registry
import Yams

/// The settings Pier runs with, read from distribution's `config.yml` format and its
/// `REGISTRY_*` environment overrides so an existing deployment's files work unchanged.
public struct PierConfiguration: Sendable {
    /// How log lines are written (`log.formatter`).
    public enum LogFormat: String, Sendable { case text, json }

    /// `storage.maintenance.uploadpurging`, with distribution's defaults.
    public struct UploadPurging: Sendable, Equatable {
        public var enabled = true
        public var age: Duration = .seconds(168 * 3600)
        public var interval: Duration = .seconds(24 * 3600)
        public var dryRun = false
    }

    /// Host to bind; every address for distribution's `:5000` (``anyAddress``).
    public var host: String = PierConfiguration.anyAddress
    public var port: Int = 5000
    /// `http.net: unix` binds a socket file at `http.addr` instead.
    public var unixSocket: String?
    /// Root of filesystem storage (`storage.filesystem.rootdirectory`): `./data` for the
    /// embedded default, distribution's own default for a file that names no root.
    public var storageRoot: String = "./data"
    /// Where distribution's filesystem driver keeps content when no root is given.
    public static let distributionRoot = "/var/lib/registry"
    /// `storage.s3`: content lives in a bucket instead of under ``storageRoot``.
    public var s3: S3Settings?
    /// `storage.redirect.disable`: blob GETs on S3 stream through Pier instead of answering
    /// 307 with a presigned URL.
    public var redirectDisabled = false
    /// `storage.delete.enabled`. Off in distribution unless configured; on in Pier's
    /// embedded default, where there is no file to say otherwise.
    public var deleteEnabled: Bool = true
    /// `storage.maintenance.readonly.enabled`: every write answers 405.
    public var readOnly = false
    public var uploadPurging = UploadPurging()
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .text
    /// `log.fields`: added to every log line.
    public var logFields: [(String, String)] = []
    public var accessLogEnabled: Bool = true
    /// Largest catalog page (`catalog.maxentries`).
    public var catalogMaxEntries: Int = 1000
    /// `http.prefix`: the path the API is served under, e.g. `/registry`.
    public var pathPrefix = ""
    /// `http.host`: the external URL used in `Location` and `Link` headers.
    public var externalURL: String?
    /// `http.relativeurls`: `Location` headers without scheme and host.
    public var relativeURLs = false
    /// `http.headers`: added to every response.
    public var responseHeaders: [(String, [String])] = []
    /// `http.draintimeout`: how long a SIGTERM waits for requests in flight.
    public var drainTimeout: Duration?
    /// `http.timeouts.header` (Pier's): how long a request head may take to arrive, so a
    /// client trickling header bytes (slowloris) cannot hold a connection open.
    public var headerTimeout: Duration = .seconds(30)
    /// `http.timeouts.idle` (Pier's): how long a connection may send nothing, between
    /// requests or in the middle of a body, before it is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// `http.timeouts.write` (Pier's): how long a response may make no progress, because
    /// the client stopped reading, before the connection is closed. Not Go's total
    /// `WriteTimeout`: a slow pull of a large layer that keeps reading is never cut.
    public var writeTimeout: Duration = .seconds(60)
    /// `http.maxconnections` (Pier's): open connections beyond this are closed at once;
    /// nil: the process's file descriptor limit less a reserve for files and the store.
    public var maxConnections: Int?
    /// `http.debug.addr`: the debug server (health) listens here.
    public var debugAddress: (host: String, port: Int)?
    /// `http.debug.prometheus.path` when `http.debug.prometheus.enabled` and the debug server
    /// is set (``debugAddress``): metrics are served there on it.
    public var prometheusPath: String?
    /// The debug server's own endpoints (health, and its storage write check), which metrics
    /// must not take the place of.
    public static let debugServerPaths: Set<String> = ["/debug/health", "/debug/health/storage"]
    /// `notifications.endpoints`, without the disabled ones.
    public var notificationEndpoints: [NotificationEndpoint] = []
    /// Where undelivered events wait (`notifications.queuedirectory`, Pier's addition);
    /// by default `pier/notifications` under the storage root.
    public var notificationQueueDirectory: String?
    /// `auth`: nil lets every caller in, as distribution without an auth section.
    public var authentication: Authentication?
    /// `tokenserver`: Pier issues the tokens `auth.token` verifies.
    public var tokenServer: TokenServerSettings?
    /// `access`: who may do what where; nil is distribution's all-or-nothing.
    public var accessPolicy: AccessPolicy?
    /// `index` (Pier's addition): the metadata database behind search, stars and the API.
    public var index = IndexSettings()
    /// The web UI (`web`).
    public var web = WebSettings()
    /// Garbage collection while serving (`gc`).
    public var collection = CollectionSettings()
    /// `immutabletags`: tags never moved or deleted once pushed.
    public var immutableTags: [ImmutableTagRule] = []
    /// `retention`: which tags the collector keeps, by repository.
    public var retention: [RetentionRule] = []
    /// `quotas`: bytes each namespace may hold.
    public var quotas: [QuotaRule] = []
    /// `proxy` (distribution's, the whole registry) and `mirrors` (Pier's, by namespace
    /// prefix): upstream registries cached on pull.
    public var mirrors: [MirrorUpstream] = []
    /// `http.trustedproxies` (Pier's addition): proxies whose `X-Forwarded-For` names the
    /// client, so login attempts are counted per client rather than per proxy.
    public var trustedProxies = TrustedProxies.none
    /// `http.tls`: the main listener speaks HTTPS.
    public var tls: TLSSettings?
    /// `http.http2.disabled`: HTTP/1.1 only over TLS.
    public var http2Disabled = false
    /// `http.plain`: plain HTTP beside HTTPS.
    public var plainListener: PlainListener?
    /// Key paths in the configuration that distribution does not define.
    public var unknownKeys: [String] = []
    /// distribution's settings that are set and change nothing here, named at start.
    public var ignoredSettings: [IgnoredSetting] = []
    /// `validation.manifests.indexes`: which children of a pushed index must be present.
    public var indexChildren: Registry.Options.IndexChildren = .all
    /// `validation.manifests.blobs`: whether a pushed manifest's blobs must be present.
    public var requireManifestBlobs = true
    /// `health`: the periodic checks that, while one fails, answer every request with 503.
    public var healthChecks: [HealthCheckSetting] = []

    /// The storage driver's name as distribution spells it in `storagedriver_<name>`: the
    /// configuration's key, and Pier reads S3 only under `s3`.
    var storageDriverName: String { s3 == nil ? "filesystem" : "s3" }

    /// `validation.manifests.urls`: the URLs pushed layers may name (none by default).
    public var manifestURLs = ManifestURLPolicy.denyAll
    /// The effective configuration as YAML, secrets masked, for `pier config check`. Written
    /// only when asked: YAML output formats numbers with Foundation's `NumberFormatter`,
    /// which loads ICU's locale data, 2 MiB and more of resident memory `pier serve` never
    /// needs.
    public var effectiveYAML: String { effective.tree.maskedYAML() }
    private var effective = EffectiveTree(tree: ConfigurationTree())

    /// The tree the configuration was read from, kept for ``effectiveYAML``. It is never
    /// changed once read, so sharing it between tasks is safe although its values are `Any`.
    private struct EffectiveTree: @unchecked Sendable {
        let tree: ConfigurationTree
    }

    /// The embedded default: filesystem storage under `./data`, port 5000, deletes on.
    public init() {}

    /// Reads a configuration file (when `path` is nil, the one `REGISTRY_CONFIGURATION_PATH`
    /// names, else the embedded default) and applies `REGISTRY_*` overrides from `environment`.
    public static func load(path: String?, environment: [String: String]) throws(ConfigurationError) -> PierConfiguration {
        // distribution reads the file REGISTRY_CONFIGURATION_PATH names when it is given none.
        let path = path ?? environment["REGISTRY_CONFIGURATION_PATH"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path else { return try load(yaml: nil, source: "the embedded default", environment: environment) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            // In the words an operator acts on (a directory, permissions, no file), not
            // Foundation's error number.
            throw ConfigurationError(key: nil, message: "cannot read the configuration: \(HtpasswdStore.unreadableReason(path, kind: "a configuration file"))")
        }
        return try load(yaml: text, source: "configuration file \(path)", environment: environment)
    }

    /// Reads a configuration from YAML text (nil for the embedded default) and applies
    /// `REGISTRY_*` overrides; `source` names the text in errors. Apart from ``load(path:environment:)``
    /// so the whole grammar, file and environment together, can be driven without files.
    public static func load(yaml text: String?, source: String, environment: [String: String]) throws(ConfigurationError) -> PierConfiguration {
        var tree = ConfigurationTree()
        if let text {
            do {
                guard let node = try Yams.compose(yaml: text) else {
                    throw ConfigurationError(key: nil, message: "\(source) is empty")
                }
                // Yams turns a mapping into a dictionary by force-unwrapping each key as a
                // string: a complex key (`? {a: b}: c`) would crash instead of being refused.
                if let path = Self.complexKey(in: node) {
                    throw ConfigurationError(key: path.isEmpty ? nil : path, message: "\(source) has a mapping key that is not a plain value")
                }
                let loaded = node.any
                guard let map = loaded as? [String: Any] else {
                    throw ConfigurationError(key: nil, message: "\(source) is not a YAML mapping")
                }
                tree = ConfigurationTree(map)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw ConfigurationError(key: nil, message: "\(source) is not valid YAML: \(error)")
            }
        }
        try tree.applyEnvironment(environment)
        var config = PierConfiguration()
        if text != nil { config.deleteEnabled = false }
        // distribution's filesystem driver keeps content in /var/lib/registry unless told
        // otherwise: a file naming the driver without a root means that directory (the
        // registry:2 image's volume). Only the embedded default, with no file, uses ./data.
        // Set before the rest, whose own defaults (the token key, the queues) live under it.
        if text != nil, Self.storageDrivers(tree) == ["filesystem"], try tree.string("storage.filesystem.rootdirectory") == nil {
            config.storageRoot = Self.distributionRoot
        }
        if let misshapen = tree.misshapenSection() { throw misshapen }
        try config.apply(tree)
        try config.applyValidation(tree)
        try config.applyStorage(tree, environment: environment)
        // After the storage: the driver's check is named after it.
        try config.applyHealth(tree)
        config.effective = EffectiveTree(tree: tree)
        config.unknownKeys = tree.unknownKeys()
        config.ignoredSettings = try Self.ignoredSettings(tree)
        return config
    }

    /// Where a mapping with a key that is not a scalar sits (its dotted path; empty at the
    /// top), or nil when every key is a plain value.
    static func complexKey(in node: Node, at path: String = "") -> String? {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard let name = key.scalar?.string else { return path }
                if let found = complexKey(in: value, at: path.isEmpty ? name : path + "." + name) { return found }
            }
            return nil
        case .sequence(let sequence):
            for value in sequence {
                if let found = complexKey(in: value, at: path) { return found }
            }
            return nil
        case .scalar, .alias:
            return nil
        }
    }

    private mutating func apply(_ read: ConfigurationTree) throws(ConfigurationError) {
        if let version = try read.string("version"), version != "0.1" {
            throw ConfigurationError(key: "version", message: "'\(version)' is not a supported version (0.1)")
        }
        let level = try read.string("log.level")
        let legacyLevel = try read.string("loglevel")
        if let level = level ?? legacyLevel {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) ?? (level.lowercased() == "warn" ? .warning : nil) else {
                throw ConfigurationError(key: "log.level", message: "'\(level)' is not one of error, warn, info, debug")
            }
            logLevel = parsed
        }
        if let format = try read.string("log.formatter") {
            // distribution's logstash format is JSON with logstash's field names; JSON it is.
            guard let parsed = LogFormat(rawValue: format.lowercased() == "logstash" ? "json" : format.lowercased()) else {
                throw ConfigurationError(key: "log.formatter", message: "'\(format)' is not one of text, json, logstash")
            }
            logFormat = parsed
        }
        logFields = try read.stringLists("log.fields").map { ($0.0, $0.1.joined(separator: ",")) }
        if let disabled = try read.bool("log.accesslog.disabled") { accessLogEnabled = !disabled }

        if let root = try read.string("storage.filesystem.rootdirectory") { storageRoot = root }
        if let enabled = try read.bool("storage.delete.enabled") { deleteEnabled = enabled }
        if let enabled = try read.bool("storage.maintenance.readonly.enabled") { readOnly = enabled }
        if let enabled = try read.bool("storage.maintenance.uploadpurging.enabled") { uploadPurging.enabled = enabled }
        if let age = try read.duration("storage.maintenance.uploadpurging.age", unitRequired: true) { uploadPurging.age = age }
        if let interval = try read.duration("storage.maintenance.uploadpurging.interval", unitRequired: true) {
            guard interval > .zero else {
                throw ConfigurationError(key: "storage.maintenance.uploadpurging.interval", message: "must be longer than zero")
            }
            uploadPurging.interval = interval
        }
        if let dryRun = try read.bool("storage.maintenance.uploadpurging.dryrun") { uploadPurging.dryRun = dryRun }

        if let entries = try read.int("catalog.maxentries") {
            guard entries > 0 else {
                throw ConfigurationError(key: "catalog.maxentries", message: "must be a positive number, not \(entries)")
            }
            catalogMaxEntries = entries
        }

        let network = try read.string("http.net")?.lowercased() ?? "tcp"
        switch network {
        case "tcp", "tcp4", "tcp6":
            if let addr = try read.string("http.addr") { (host, port) = try Self.parseAddress(addr, key: "http.addr") }
        case "unix":
            guard let addr = try read.string("http.addr"), !addr.isEmpty else {
                throw ConfigurationError(key: "http.addr", message: "http.net is unix: http.addr must be a socket path")
            }
            unixSocket = addr
        default:
            throw ConfigurationError(key: "http.net", message: "'\(network)' is not one of tcp, unix")
        }
        if let prefix = try read.string("http.prefix") {
            var trimmed = prefix
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            guard trimmed.isEmpty || trimmed.hasPrefix("/") else {
                throw ConfigurationError(key: "http.prefix", message: "'\(prefix)' must start with /")
            }
            pathPrefix = trimmed
        }
        if let host = try read.string("http.host"), !host.isEmpty {
            guard host.hasPrefix("http://") || host.hasPrefix("https://") else {
                throw ConfigurationError(key: "http.host", message: "'\(host)' must be a URL such as https://registry.example.com")
            }
            externalURL = host.hasSuffix("/") ? String(host.dropLast()) : host
        }
        if let relative = try read.bool("http.relativeurls") { relativeURLs = relative }
        responseHeaders = try read.stringLists("http.headers")
        if let drain = try read.duration("http.draintimeout") { drainTimeout = drain }
        for (key, keyPath) in [
            ("http.timeouts.header", \PierConfiguration.headerTimeout), ("http.timeouts.idle", \PierConfiguration.idleTimeout),
            ("http.timeouts.write", \PierConfiguration.writeTimeout),
        ] {
            guard let value = try read.duration(key, unitRequired: true) else { continue }
            guard value > .zero else { throw ConfigurationError(key: key, message: "must be longer than zero") }
            self[keyPath: keyPath] = value
        }
        if let limit = try read.int("http.maxconnections") {
            guard limit > 0 else { throw ConfigurationError(key: "http.maxconnections", message: "must be at least 1") }
            maxConnections = limit
        }
        if let debug = try read.string("http.debug.addr"), !debug.isEmpty {
            debugAddress = try Self.parseAddress(debug, key: "http.debug.addr")
        }
        // Without a debug server there is nowhere to serve metrics: distribution then reads
        // nothing of `prometheus` and runs, so Pier runs too, without metrics, and names the
        // setting at start (``ignoredSettings(_:)``) instead of refusing to start.
        if debugAddress != nil, try read.bool("http.debug.prometheus.enabled") == true {
            let path = try read.string("http.debug.prometheus.path") ?? "/metrics"
            guard path.hasPrefix("/") else {
                throw ConfigurationError(key: "http.debug.prometheus.path", message: "'\(path)' must start with /")
            }
            // distribution panics at start on its health endpoint's path (two handlers of one
            // path); Pier would have served metrics there and hidden the health answer.
            guard !Self.debugServerPaths.contains(path) else {
                throw ConfigurationError(
                    key: "http.debug.prometheus.path",
                    message: "'\(path)' is the debug server's own endpoint: choose another path, such as /metrics"
                )
            }
            prometheusPath = path
        }
        notificationEndpoints = try Self.endpoints(read)
        notificationQueueDirectory = try read.string("notifications.queuedirectory")
        try applySecurity(read)
        try applyIndex(read)
        try applyWeb(read)
        try applyCollection(read)
        try applyPolicies(read)
        try applyMirrors(read)
    }

    /// Reads `notifications.endpoints[]` with distribution's defaults.
    private static func endpoints(_ read: ConfigurationTree) throws(ConfigurationError) -> [NotificationEndpoint] {
        guard let value = read.value("notifications.endpoints") else { return [] }
        guard let list = value as? [Any] else {
            throw ConfigurationError(key: "notifications.endpoints", message: "expected a list of endpoints")
        }
        var endpoints = [NotificationEndpoint]()
        for (index, item) in list.enumerated() {
            let key = "notifications.endpoints[\(index)]"
            guard let map = item as? [String: Any] else { throw ConfigurationError(key: key, message: "expected a mapping") }
            let entry = ConfigurationTree(map)
            func keyed<T>(_ read: () throws(ConfigurationError) -> T) throws(ConfigurationError) -> T {
                try ConfigurationError.under(key, read)
            }
            if try keyed({ () throws(ConfigurationError) in try entry.bool("disabled") }) == true { continue }
            guard let name = try keyed({ () throws(ConfigurationError) in try entry.string("name") }), !name.isEmpty else {
                throw ConfigurationError(key: "\(key).name", message: "every endpoint needs a name")
            }
            guard let url = try keyed({ () throws(ConfigurationError) in try entry.string("url") }),
                  url.hasPrefix("http://") || url.hasPrefix("https://")
            else {
                throw ConfigurationError(key: "\(key).url", message: "every endpoint needs an http:// or https:// url")
            }
            var endpoint = NotificationEndpoint(name: name, url: url)
            endpoint.headers = try keyed({ () throws(ConfigurationError) in try entry.stringLists("headers") })
            // Zero or less is the default, as in distribution: a 0 s timeout failed every
            // delivery, a 0 s backoff retried a failing endpoint in a tight loop.
            if let timeout = try keyed({ () throws(ConfigurationError) in try entry.duration("timeout") }), timeout > .zero { endpoint.timeout = timeout }
            if let threshold = try keyed({ () throws(ConfigurationError) in try entry.int("threshold") }), threshold > 0 { endpoint.threshold = threshold }
            if let backoff = try keyed({ () throws(ConfigurationError) in try entry.duration("backoff") }), backoff > .zero { endpoint.backoff = backoff }
            if let type = try keyed({ () throws(ConfigurationError) in try entry.string("mediatype") }) { endpoint.mediaType = type }
            let ignored = (entry.value("ignoredmediatypes") as? [Any] ?? []) + (entry.value("ignore.mediatypes") as? [Any] ?? [])
            endpoint.ignoredMediaTypes = Set(ignored.map { "\($0)" })
            endpoint.ignoredActions = Set((entry.value("ignore.actions") as? [Any] ?? []).map { "\($0)" })
            endpoints.append(endpoint)
        }
        return endpoints
    }

    /// Parses `host:port`, `:port` or `[v6]:port`.
    static func parseAddress(_ addr: String, key: String) throws(ConfigurationError) -> (host: String, port: Int) {
        guard let colon = addr.lastIndex(of: ":"), let port = Int(addr[addr.index(after: colon)...]),
              (0...65535).contains(port)
        else {
            throw ConfigurationError(key: key, message: "'\(addr)' is not host:port")
        }
        var host = String(addr[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? anyAddress : host, port)
    }

    /// The host that `:port` binds: `::`, which takes IPv4 and IPv6 connections alike, as
    /// Go's listener does for distribution (clients on IPv6-only clusters and `[::1]` reach
    /// it); `0.0.0.0` where `::` would take IPv6 alone (`net.ipv6.bindv6only` set) or the
    /// kernel has no IPv6, so IPv4 clients are never shut out.
    static let anyAddress: String = {
        guard let setting = try? String(contentsOfFile: "/proc/sys/net/ipv6/bindv6only", encoding: .utf8),
              setting.trimmingCharacters(in: .whitespacesAndNewlines) == "0"
        else { return "0.0.0.0" }
        return "::"
    }()
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

    /// Runs a read of a list item's own tree, naming failures by their full key
    /// (`notifications.endpoints[0].url` rather than `url`).
    static func under<T>(_ prefix: String, _ read: () throws(ConfigurationError) -> T) throws(ConfigurationError) -> T {
        do { return try read() } catch { throw ConfigurationError(key: "\(prefix).\(error.key ?? "")", message: error.message) }
    }
}
