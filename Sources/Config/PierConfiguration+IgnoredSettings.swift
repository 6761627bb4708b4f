extension PierConfiguration {
    /// A setting of distribution's that Pier accepts and does not act on. Each is named at
    /// start and by `pier config check`, so a user who relies on it learns so from the log
    /// rather than from a refused push or a bill; refusing to start on them would break the
    /// drop-in for settings most users can do without.
    public struct IgnoredSetting: Sendable, Equatable {
        /// The dotted key, as `config check` prints keys.
        public var key: String
        /// What Pier does instead.
        public var reason: String
    }

    /// Collects the settings of distribution's that change nothing here.
    static func ignoredSettings(_ read: ConfigurationTree) throws(ConfigurationError) -> [IgnoredSetting] {
        var ignored = [IgnoredSetting]()
        func note(_ key: String, _ reason: String) { ignored.append(IgnoredSetting(key: key, reason: reason)) }
        if read.hasKey("redis") {
            note("redis", "pier keeps its caches in each instance and has no use for redis")
        }
        if try read.bool("storage.s3.encrypt") != true, let key = try read.string("storage.s3.keyid"), !key.isEmpty {
            note("storage.s3.keyid", "a KMS key is used only with storage.s3.encrypt: true (distribution documents it so); objects are written unencrypted unless the bucket encrypts by default")
        }
        // distribution's S3 keys that change what it does only at these values; at their
        // defaults they say what Pier does anyway.
        if try read.bool("storage.s3.v4auth") == false {
            note("storage.s3.v4auth", "requests are signed with AWS Signature V4 only, not V2: a store that accepts only V2 signatures refuses them")
        }
        if try read.bool("storage.s3.usedualstack") == true {
            note("storage.s3.usedualstack", "the region's IPv4 endpoint is used, not the dual-stack one: set regionendpoint to https://s3.dualstack.<region>.amazonaws.com with forcepathstyle: false to reach it")
        }
        if try read.bool("storage.s3.accelerate") == true {
            note("storage.s3.accelerate", "S3 Transfer Acceleration is not used: set regionendpoint to https://s3-accelerate.amazonaws.com with forcepathstyle: false to use it")
        }
        // An unquoted `off` is YAML's false.
        if let level = try read.string("storage.s3.loglevel"), !level.isEmpty, !["off", "false"].contains(level.lowercased()) {
            note("storage.s3.loglevel", "there is no AWS SDK to log requests: a request the store fails reaches the log through the error it causes, with the store's code and message")
        }
        if let agent = try read.string("storage.s3.useragent"), !agent.isEmpty {
            note("storage.s3.useragent", "requests to the store do not carry it")
        }
        if read.hasKey("middleware") {
            note("middleware", "registry, repository and storage middleware (cloudfront, redirect) is not supported; storage.redirect sends blob GETs to the store itself")
        }
        if try read.bool("auth.token.autoredirect") == true {
            note("auth.token.autoredirect", "the token realm is advertised as configured")
        }
        if try read.bool("compatibility.schema1.enabled") == true {
            note("compatibility.schema1.enabled", "schema 1 manifests are not accepted")
        }
        if read.hasKey("log.hooks") {
            note("log.hooks", "log hooks (mail) are not supported")
        }
        if read.hasKey("reporting") {
            note("reporting", "bugsnag and newrelic reporting are not supported; http.debug.prometheus serves metrics")
        }
        if try read.bool("http.debug.prometheus.enabled") == true, try read.string("http.debug.addr")?.isEmpty ?? true {
            note("http.debug.prometheus.enabled", "metrics are served on the debug server and http.debug.addr is not set: no metrics are served (distribution ignores the setting too)")
        }
        if try read.string("log.formatter")?.lowercased() == "logstash" {
            note("log.formatter", "logstash is written as json")
        }
        if try read.bool("http.h2c.enabled") == true {
            note("http.h2c.enabled", "HTTP/2 without TLS (h2c) is not served: connections without TLS speak HTTP/1.1, and HTTP/2 is offered over TLS only")
        }
        let unavailable = try read.strings("http.tls.ciphersuites").filter { Self.unavailableCipherSuites.contains($0) }
        if !unavailable.isEmpty {
            note("http.tls.ciphersuites", "\(unavailable.joined(separator: ", ")) not offered: Pier's TLS library (BoringSSL) does not implement \(unavailable.count == 1 ? "it" : "them"); the other suites listed are")
        }
        return ignored
    }
}
