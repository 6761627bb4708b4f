/// The keys of distribution's configuration, to tell a typo from a setting.
enum ConfigurationSchema {
    enum Kind { case known, open, unknown }

    /// Sections whose keys are free (driver parameters, header names, log fields).
    private static let open: [String] = [
        "log.fields", "log.hooks", "storage.inmemory", "storage.s3", "storage.gcs", "storage.azure", "storage.swift",
        "storage.oss", "storage.cache", "storage.redirect", "storage.tag", "middleware", "reporting", "http.headers",
        "redis", "proxy", "compatibility", "notifications.endpoints[].headers",
        "health.file", "health.http", "health.tcp", "notifications.events", "http.debug.prometheus", "access",
        "tokenserver", "http.plain", "index", "immutabletags", "retention", "quotas", "mirrors",
    ]

    private static let known: Set<String> = [
        "version", "log", "log.level", "log.formatter", "log.accesslog", "log.accesslog.disabled", "loglevel",
        "storage", "storage.filesystem", "storage.filesystem.rootdirectory", "storage.filesystem.maxthreads",
        "storage.delete", "storage.delete.enabled", "storage.maintenance", "storage.maintenance.uploadpurging",
        "storage.maintenance.uploadpurging.enabled", "storage.maintenance.uploadpurging.age",
        "storage.maintenance.uploadpurging.interval", "storage.maintenance.uploadpurging.dryrun",
        "storage.maintenance.readonly", "storage.maintenance.readonly.enabled",
        "http", "http.addr", "http.net", "http.prefix", "http.host", "http.secret", "http.relativeurls",
        "http.draintimeout", "http.timeouts", "http.timeouts.header", "http.timeouts.idle", "http.timeouts.write", "http.maxconnections", "http.trustedproxies", "http.forwardedheader", "http.debug", "http.debug.addr", "http.http2", "http.http2.disabled", "http.h2c",
        "http.h2c.enabled", "web", "web.disabled", "web.prefix",
        "gc", "gc.enabled", "gc.interval", "gc.grace", "gc.untagged", "gc.untagged.delete", "gc.untagged.age", "gc.dryrun",
        "notifications", "notifications.endpoints", "notifications.endpoints[].name", "notifications.endpoints[].disabled",
        "notifications.endpoints[].url", "notifications.endpoints[].timeout", "notifications.endpoints[].threshold",
        "notifications.endpoints[].backoff", "notifications.endpoints[].ignoredmediatypes",
        "notifications.endpoints[].ignore", "notifications.endpoints[].ignore.mediatypes",
        "notifications.endpoints[].ignore.actions", "notifications.endpoints[].mediatype", "notifications.queuedirectory",
        "health", "health.storagedriver", "health.storagedriver.enabled", "health.storagedriver.interval",
        "health.storagedriver.threshold", "catalog", "catalog.maxentries",
        "validation", "validation.enabled", "validation.disabled", "validation.manifests", "validation.manifests.blobs",
        "validation.manifests.indexes", "validation.manifests.indexes.platforms", "validation.manifests.indexes.platformlist",
        "validation.manifests.indexes.platformlist[].os", "validation.manifests.indexes.platformlist[].architecture",
        "validation.manifests.urls", "validation.manifests.urls.allow", "validation.manifests.urls.deny",
        // Named key by key, so a typo is told: `clientca` for `clientcas` required no client
        // certificate without a word.
        "auth", "auth.htpasswd", "auth.htpasswd.realm", "auth.htpasswd.path", "auth.token", "auth.token.realm",
        "auth.token.service", "auth.token.issuer", "auth.token.rootcertbundle", "auth.token.jwks", "auth.token.autoredirect",
        "auth.token.autoredirectpath", "auth.token.signingalgorithms", "auth.token.maxlifetime", "auth.silly",
        "auth.silly.realm", "auth.silly.service",
        "http.tls", "http.tls.certificate", "http.tls.key", "http.tls.clientcas", "http.tls.clientauth", "http.tls.minimumtls",
        "http.tls.ciphersuites", "http.tls.letsencrypt", "http.tls.letsencrypt.cachefile", "http.tls.letsencrypt.email",
        "http.tls.letsencrypt.hosts", "http.tls.letsencrypt.directoryurl", "http.tls.letsencrypt.renewbefore",
        "http.tls.letsencrypt.checkinterval",
    ]

    private static let secrets: [String] = [
        "http.secret", "storage.s3.accesskey", "storage.s3.secretkey", "storage.s3.sessiontoken", "redis.password", "proxy.password",
        "auth.token.jwks", "storage.azure.accountkey",
    ]

    static func classify(_ path: String) -> Kind {
        if known.contains(path) { return .known }
        if open.contains(where: { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[]") }) { return .open }
        return .unknown
    }

    /// Whether the schema has keys under `path`, so that it must be written as a mapping.
    static func isSection(_ path: String) -> Bool {
        let prefix = path + "."
        return known.contains { $0.hasPrefix(prefix) } || open.contains { $0.hasPrefix(prefix) }
    }

    static func isSecret(_ path: String) -> Bool {
        secrets.contains(path) || path.hasSuffix(".password") || path.hasSuffix("authorization")
    }
}
