import OCI
import Auth
import Foundation

extension PierConfiguration {
    /// `auth`: which provider authenticates callers. Distribution allows one.
    public enum Authentication: Sendable {
        case htpasswd(realm: String, path: String)
        case token(TokenSettings)
    }

    /// `auth.token`, distribution's token authentication.
    public struct TokenSettings: Sendable {
        public var realm: String
        public var service: String
        public var issuer: String
        public var rootCertBundle: String?
        public var jwks: String?
        public var algorithms: Set<String>?
        /// `maxlifetime` (Pier's addition): tokens whose `exp` lies further ahead are refused,
        /// so a token server that signs long-lived tokens cannot hand out near-permanent keys.
        public var maximumLifetime: Duration?
    }

    /// `tokenserver`, Pier's addition: tokens issued by Pier itself.
    public struct TokenServerSettings: Sendable {
        public var htpasswd: String
        public var key: String
        public var certificate: String
        public var lifetime: Duration
    }

    /// `http.tls` and its ACME part.
    public struct TLSSettings: Sendable {
        public var certificate: String?
        public var key: String?
        public var clientCAs: [String] = []
        public var minimumVersion: String?
        public var cipherSuites: [String] = []
        public var acme: ACMESettings?
    }

    /// `http.tls.letsencrypt`, plus `directoryurl` to use any ACME server.
    public struct ACMESettings: Sendable {
        public var cacheFile: String
        public var email: String?
        public var hosts: [String]
        public var directoryURL: String
        /// Renew when less than this is left (`renewbefore`, Pier's addition).
        public var renewBefore: Duration = .seconds(30 * 86400)
        /// How often the expiry is looked at (`checkinterval`, Pier's addition).
        public var checkInterval: Duration = .seconds(12 * 3600)
    }

    /// `http.plain`, Pier's addition: a plain-HTTP listener beside the TLS one.
    public struct PlainListener: Sendable {
        public var host: String
        public var port: Int
        /// Answer with a redirect to HTTPS instead of serving.
        public var redirect: Bool
    }

    mutating func applySecurity(_ read: ConfigurationTree) throws(ConfigurationError) {
        let providers = ["htpasswd", "token", "silly"].filter { read.has("auth.\($0)") }
        if providers.count > 1 {
            throw ConfigurationError(key: "auth", message: "configure one provider, not \(providers.joined(separator: " and "))")
        }
        if read.has("auth.silly") {
            throw ConfigurationError(key: "auth.silly", message: "the silly provider is for development of distribution only; use htpasswd or token")
        }
        if read.has("auth.htpasswd") {
            guard let path = try read.string("auth.htpasswd.path"), !path.isEmpty else {
                throw ConfigurationError(key: "auth.htpasswd.path", message: "the htpasswd provider needs the path of its file")
            }
            authentication = .htpasswd(realm: try read.string("auth.htpasswd.realm") ?? "Registry Realm", path: path)
        } else if read.has("auth.token") {
            func required(_ key: String) throws(ConfigurationError) -> String {
                guard let value = try read.string("auth.token.\(key)"), !value.isEmpty else {
                    throw ConfigurationError(key: "auth.token.\(key)", message: "token authentication needs \(key)")
                }
                return value
            }
            var settings = TokenSettings(realm: try required("realm"), service: try required("service"), issuer: try required("issuer"))
            settings.rootCertBundle = try read.string("auth.token.rootcertbundle")
            settings.jwks = try read.string("auth.token.jwks")
            let algorithms = try read.strings("auth.token.signingalgorithms")
            if !algorithms.isEmpty {
                for algorithm in algorithms where !JSONWebToken.supportedAlgorithms.contains(algorithm) {
                    throw ConfigurationError(key: "auth.token.signingalgorithms", message: "'\(algorithm)' is not one of \(JSONWebToken.supportedAlgorithms.sorted().joined(separator: ", "))")
                }
                settings.algorithms = Set(algorithms)
            }
            if let maximum = try read.duration("auth.token.maxlifetime", unitRequired: true) {
                guard maximum >= .seconds(1) else {
                    throw ConfigurationError(key: "auth.token.maxlifetime", message: "must be at least one second")
                }
                settings.maximumLifetime = maximum
            }
            authentication = .token(settings)
        } else if read.has("auth") {
            throw ConfigurationError(key: "auth", message: "expected htpasswd or token")
        }

        if read.has("tokenserver") {
            guard case .token = authentication else {
                throw ConfigurationError(key: "tokenserver", message: "the token server issues tokens for auth.token: configure that too")
            }
            guard let htpasswd = try read.string("tokenserver.htpasswd"), !htpasswd.isEmpty else {
                throw ConfigurationError(key: "tokenserver.htpasswd", message: "the token server needs an htpasswd file of its users")
            }
            let key = try read.string("tokenserver.key") ?? "\(storageRoot)/pier/token.key"
            let certificate = try read.string("tokenserver.certificate")
                ?? ((key as NSString).deletingPathExtension + ".crt")
            let lifetime = try read.duration("tokenserver.expiration", unitRequired: true) ?? .seconds(300)
            guard lifetime >= .seconds(1) else {
                throw ConfigurationError(key: "tokenserver.expiration", message: "must be at least one second")
            }
            if case .token(let settings) = authentication, let maximum = settings.maximumLifetime, lifetime > maximum {
                throw ConfigurationError(key: "tokenserver.expiration", message: "is longer than auth.token.maxlifetime: the registry would refuse its own tokens")
            }
            tokenServer = TokenServerSettings(htpasswd: htpasswd, key: key, certificate: certificate, lifetime: lifetime)
        }
        if case .token(let settings) = authentication, tokenServer == nil, settings.rootCertBundle == nil, settings.jwks == nil {
            throw ConfigurationError(key: "auth.token.rootcertbundle", message: "token authentication needs rootcertbundle or jwks (or Pier's tokenserver)")
        }
        if read.has("access") {
            // Without auth every request is anonymous and may do everything: rules the
            // operator believes in force would hold nothing (a misspelt `auth` included).
            accessPolicy = try Self.accessPolicy(read)
            guard authentication != nil else {
                throw ConfigurationError(key: "access", message: "needs auth (htpasswd or token): without it every request may do everything, whatever the rules say")
            }
        }
        let proxies = try read.strings("http.trustedproxies")
        var header = TrustedProxies.Header.xForwardedFor
        if let name = try read.string("http.forwardedheader") {
            guard let chosen = TrustedProxies.Header(rawValue: name.lowercased()) else {
                throw ConfigurationError(key: "http.forwardedheader", message: "'\(name)' is not X-Forwarded-For or Forwarded")
            }
            header = chosen
        }
        do {
            trustedProxies = try TrustedProxies(parsing: proxies, header: header)
        } catch {
            throw ConfigurationError(key: "http.trustedproxies", message: "'\(error.entry)' is not an IP address or a range such as 10.0.0.0/8")
        }

        if read.has("http.tls") {
            var tls = TLSSettings()
            tls.certificate = try read.string("http.tls.certificate").flatMap { $0.isEmpty ? nil : $0 }
            tls.key = try read.string("http.tls.key").flatMap { $0.isEmpty ? nil : $0 }
            tls.clientCAs = try read.strings("http.tls.clientcas")
            if let minimum = try read.string("http.tls.minimumtls") {
                guard ["tls1.0", "tls1.1", "tls1.2", "tls1.3"].contains(minimum.lowercased()) else {
                    throw ConfigurationError(key: "http.tls.minimumtls", message: "'\(minimum)' is not one of tls1.0, tls1.1, tls1.2, tls1.3")
                }
                tls.minimumVersion = minimum.lowercased()
            }
            let listed = try read.strings("http.tls.ciphersuites")
            for suite in listed where Self.cipherSuites[suite] == nil && !Self.unavailableCipherSuites.contains(suite) {
                throw ConfigurationError(key: "http.tls.ciphersuites", message: "'\(suite)' is not a cipher suite Pier knows")
            }
            // Go's names BoringSSL lacks start distribution, so they start Pier too: left out
            // here (the TLS configuration must never name a suite BoringSSL has not) and named
            // among the ignored settings. A list of nothing else would leave no suite at all.
            tls.cipherSuites = listed.filter { Self.cipherSuites[$0] != nil }
            if !listed.isEmpty, tls.cipherSuites.isEmpty {
                throw ConfigurationError(
                    key: "http.tls.ciphersuites",
                    message: "none of \(listed.joined(separator: ", ")) is available: Pier's TLS library (BoringSSL) has no RC4, TLS_RSA_WITH_AES_128_CBC_SHA256 or TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA; list suites it has, such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
                )
            }
            if read.has("http.tls.letsencrypt") {
                guard let cache = try read.string("http.tls.letsencrypt.cachefile"), !cache.isEmpty else {
                    throw ConfigurationError(key: "http.tls.letsencrypt.cachefile", message: "ACME needs a cache file for its account and certificates")
                }
                let hosts = try read.strings("http.tls.letsencrypt.hosts")
                guard !hosts.isEmpty else {
                    throw ConfigurationError(key: "http.tls.letsencrypt.hosts", message: "ACME needs the host names to obtain a certificate for")
                }
                tls.acme = ACMESettings(
                    cacheFile: cache,
                    email: try read.string("http.tls.letsencrypt.email"),
                    hosts: hosts,
                    directoryURL: try read.string("http.tls.letsencrypt.directoryurl") ?? "https://acme-v02.api.letsencrypt.org/directory"
                )
                if let renew = try read.duration("http.tls.letsencrypt.renewbefore", unitRequired: true) { tls.acme?.renewBefore = renew }
                if let interval = try read.duration("http.tls.letsencrypt.checkinterval", unitRequired: true) {
                    guard interval >= .seconds(1) else {
                        throw ConfigurationError(key: "http.tls.letsencrypt.checkinterval", message: "must be at least one second")
                    }
                    tls.acme?.checkInterval = interval
                }
            }
            switch (tls.certificate, tls.key, tls.acme) {
            case (.some, .some, nil), (nil, nil, .some): break
            case (.some, .some, .some):
                throw ConfigurationError(key: "http.tls", message: "use either certificate and key or letsencrypt, not both")
            default:
                throw ConfigurationError(key: "http.tls", message: "TLS needs both certificate and key (or letsencrypt)")
            }
            self.tls = tls
        }
        if let disabled = try read.bool("http.http2.disabled") { http2Disabled = disabled }
        if let addr = try read.string("http.plain.addr"), !addr.isEmpty {
            guard tls != nil else {
                throw ConfigurationError(key: "http.plain", message: "a second, plain listener only makes sense with http.tls")
            }
            let (host, port) = try Self.parseAddress(addr, key: "http.plain.addr")
            plainListener = PlainListener(host: host, port: port, redirect: try read.bool("http.plain.redirect") ?? false)
        }
        if let plain = plainListener, !plain.redirect, tls?.clientCAs.isEmpty == false {
            throw ConfigurationError(key: "http.plain", message: "with http.tls.clientcas, a plain listener would serve without client certificates: set redirect: true")
        }
        if tokenServer != nil, case .token(let settings) = authentication, let algorithms = settings.algorithms, !algorithms.contains("ES256") {
            throw ConfigurationError(key: "auth.token.signingalgorithms", message: "Pier's token server signs with ES256: allow it")
        }
    }

    private static func accessPolicy(_ read: ConfigurationTree) throws(ConfigurationError) -> AccessPolicy {
        var policy = AccessPolicy()
        policy.admins = Set(try read.strings("access.admins"))
        if let groups = read.value("access.groups") {
            guard let map = groups as? [String: Any] else {
                throw ConfigurationError(key: "access.groups", message: "expected a mapping of group names to lists of users")
            }
            for name in map.keys {
                policy.groups[name] = Set(try read.strings("access.groups.\(name)"))
            }
        }
        let rules = read.value("access.rules") ?? [Any]()
        guard let list = rules as? [Any] else {
            throw ConfigurationError(key: "access.rules", message: "expected a list of rules")
        }
        for (index, item) in list.enumerated() {
            let key = "access.rules[\(index)]"
            guard let map = item as? [String: Any] else { throw ConfigurationError(key: key, message: "expected a mapping") }
            let rule = ConfigurationTree(map)
            func keyed<T>(_ read: () throws(ConfigurationError) -> T) throws(ConfigurationError) -> T {
                try ConfigurationError.under(key, read)
            }
            let repositories = try keyed { () throws(ConfigurationError) in try rule.strings("repository") + rule.strings("repositories") }
            guard !repositories.isEmpty else {
                throw ConfigurationError(key: "\(key).repository", message: "every rule needs the repositories it covers, e.g. team-a/* or **")
            }
            var actions = AccessActions()
            for word in try keyed({ () throws(ConfigurationError) in try rule.strings("actions") }) {
                guard let action = AccessActions(word: word) else {
                    throw ConfigurationError(key: "\(key).actions", message: "'\(word)' is not one of pull, push, delete, *")
                }
                actions.formUnion(action)
            }
            guard !actions.isEmpty else {
                throw ConfigurationError(key: "\(key).actions", message: "every rule needs actions (pull, push, delete)")
            }
            policy.rules.append(.init(
                repositories: repositories.map(RepositoryGlob.init),
                users: Set(try keyed { () throws(ConfigurationError) in try rule.strings("users") }),
                groups: Set(try keyed { () throws(ConfigurationError) in try rule.strings("groups") }),
                anonymous: try keyed { () throws(ConfigurationError) in try rule.bool("anonymous") } ?? false,
                actions: actions
            ))
        }
        return policy
    }
}

extension PierConfiguration {
    /// The cipher suites `http.tls.ciphersuites` may name and Pier offers (Go's names, as
    /// distribution's configuration uses them), by IANA number: every one of Go's
    /// `tls.CipherSuites()` and `tls.InsecureCipherSuites()` that BoringSSL implements. Only
    /// these reach the TLS configuration: swift-nio-ssl looks a number up in BoringSSL's
    /// table and cannot name one it lacks.
    public static let cipherSuites: [String: UInt16] = [
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA": 0x000A,
        "TLS_RSA_WITH_AES_128_CBC_SHA": 0x002F,
        "TLS_RSA_WITH_AES_256_CBC_SHA": 0x0035,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": 0x009C,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": 0x009D,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": 0xC009,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": 0xC00A,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": 0xC013,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": 0xC014,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": 0xC023,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": 0xC027,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": 0xC02B,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": 0xC02C,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": 0xC02F,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": 0xC030,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA8,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": 0xCCA9,
        "TLS_AES_128_GCM_SHA256": 0x1301,
        "TLS_AES_256_GCM_SHA384": 0x1302,
        "TLS_CHACHA20_POLY1305_SHA256": 0x1303,
    ]

    /// Go's names (its `tls.InsecureCipherSuites()`) BoringSSL does not implement: RC4,
    /// 3DES with ECDHE, and RSA key exchange with CBC-SHA256. distribution starts with them
    /// listed, so Pier does too, offering the rest of the list and saying so at start.
    public static let unavailableCipherSuites: Set<String> = [
        "TLS_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA256",
    ]

    /// The suites offered when `http.tls.ciphersuites` names none: distribution's defaults,
    /// forward-secret AEAD suites only. swift-nio-ssl's own defaults also offer RSA key
    /// exchange and CBC suites, which TLS scanners flag and no current client needs.
    public static let defaultCipherSuites = [
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_256_GCM_SHA384",
    ]
}
