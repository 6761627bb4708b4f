import AsyncHTTPClient
import Net
import Crypto
import Foundation
import Logging
import NIOSSL
import Storage
import SwiftASN1
import Synchronization
import X509

/// Keeps the HTTPS listener's certificate obtained and renewed through ACME, without a
/// restart: handshakes read the current certificate from here (swift-nio-ssl's context
/// callback), and the renewal task swaps in a new one.
///
/// Account and certificate live in the cache (`http.tls.letsencrypt.cachefile`), so a
/// restart reuses them instead of asking the ACME server again, in distribution's
/// (autocert's) directory layout, so a registry swapped in keeps the account and certificate
/// distribution obtained, and going back keeps Pier's. A path that is a regular file is
/// the JSON file earlier versions of Pier wrote, read and written as before.
public final class CertificateManager: Sendable {
    public struct Settings: Sendable {
        public var directoryURL: String
        public var email: String?
        public var hosts: [String]
        public var cacheFile: String
        /// Renew when the certificate has less than this left.
        public var renewBefore: Duration
        /// How often to look at the certificate's expiry.
        public var checkInterval: Duration
        /// The challenges the listeners can answer, in the order to try them. When one ends
        /// invalid, the next attempt starts with the next: http-01 on a plain listener whose
        /// port 80 the validators cannot reach falls back to tls-alpn-01 on the TLS listener.
        public var challengeTypes: [ACMEChallenge]

        /// Whether the TLS listener answers tls-alpn-01 validation handshakes.
        public var overTLS: Bool { challengeTypes.contains(.tlsALPN01) }

        /// The settings `http.tls.letsencrypt` gives, and the one challenge the listeners
        /// allow: tls-alpn-01 (as distribution proves control) or http-01.
        public init(
            directoryURL: String, email: String?, hosts: [String], cacheFile: String, renewBefore: Duration, checkInterval: Duration,
            overTLS: Bool = false
        ) {
            self.init(
                directoryURL: directoryURL, email: email, hosts: hosts, cacheFile: cacheFile, renewBefore: renewBefore,
                checkInterval: checkInterval, challengeTypes: overTLS ? [.tlsALPN01] : [.http01]
            )
        }

        /// The settings `http.tls.letsencrypt` gives, and every challenge the listeners can
        /// answer in the order to try them; none at all means http-01, as before.
        public init(
            directoryURL: String, email: String?, hosts: [String], cacheFile: String, renewBefore: Duration, checkInterval: Duration,
            challengeTypes: [ACMEChallenge]
        ) {
            self.directoryURL = directoryURL
            self.email = email
            self.hosts = hosts
            self.cacheFile = cacheFile
            self.renewBefore = renewBefore
            self.checkInterval = checkInterval
            self.challengeTypes = challengeTypes.isEmpty ? [.http01] : challengeTypes
        }
    }

    /// What the cache file holds.
    struct Cache: Codable {
        var accountKey: String
        var certificate: String?
        var certificateKey: String?
    }

    struct Current: @unchecked Sendable {
        // NIOSSL's certificate and key types are immutable references safe to share.
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var notAfter: Date
        var acquired: Bool
    }

    public let settings: Settings
    public let challenges = HTTP01Challenges()
    /// The tls-alpn-01 answers the TLS listener gives validation handshakes.
    public let alpnChallenges = TLSALPN01Challenges()
    let logger: Logger
    private let current: Mutex<Current>

    /// Loads the cached certificate, or makes a self-signed stand-in to serve until the
    /// first one is obtained.
    public init(settings: Settings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        if let cache = Self.readCache(settings.cacheFile, hosts: settings.hosts), let pem = cache.certificate, let keyPEM = cache.certificateKey,
           let chain = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)), !chain.isEmpty,
           let key = try? NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem),
           let leaf = try? Self.leaf(pem)
        {
            // A certificate missing a configured host is served until its replacement arrives.
            current = Mutex(Current(chain: chain, key: key, notAfter: leaf.notValidAfter, acquired: Self.covers(leaf, settings.hosts)))
        } else {
            current = Mutex(try Self.placeholder(hosts: settings.hosts))
        }
    }

    /// The certificate and key handshakes use now.
    public var override: NIOSSLContextConfigurationOverride {
        let now = current.withLock { $0 }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = now.chain.map { .certificate($0) }
        override.privateKey = .privateKey(now.key)
        return override
    }

    /// The certificate handshakes start from, before the callback replaces it.
    public var initial: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        current.withLock { ($0.chain, $0.key) }
    }

    /// Obtains a certificate when there is none or it is due, then checks again every
    /// ``Settings/checkInterval`` until cancelled. Failures are logged and retried.
    public func run() async {
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = Self.clientTLS()
        let http = OutboundClient(configuration: configuration)
        var retry = Duration.seconds(5)
        // Starts as configured; a challenge that ended invalid goes to the back, and the order
        // that last worked is kept for renewals.
        var order = settings.challengeTypes
        var failedValidations = [ContinuousClock.Instant]()
        while !Task.isCancelled {
            let state = current.withLock { $0 }
            let remaining = Duration.seconds(state.notAfter.timeIntervalSinceNow)
            var wait = settings.checkInterval
            if !state.acquired || remaining < settings.renewBefore {
                do {
                    try await renew(http, challengeTypes: order)
                    retry = .seconds(5)
                } catch {
                    order = Self.challengeOrder(order, after: error)
                    logger.error("ACME certificate request failed", metadata: [
                        "error": "\(error)", "directory": "\(settings.directoryURL)",
                        "next": "\(order.map(\.rawValue).joined(separator: ","))",
                    ])
                    if (error as? ACMEError)?.challenge != nil { failedValidations.append(.now) }
                    wait = Self.waitAfterFailure(retry: retry, checkInterval: settings.checkInterval, failedValidations: &failedValidations)
                    retry = min(retry * 2, .seconds(3600))
                }
            }
            try? await Task.sleep(for: wait)
        }
        await http.shutdown()
    }

    /// How long to wait after a failed attempt: the doubling `retry`, but never a fifth
    /// failed validation within an hour. Let's Encrypt allows five per account, host and
    /// hour, and the fifth locks the host out for the rest of it; 5 s doubling failed ten
    /// in the first hour of a misconfigured port.
    /// - Parameter failedValidations: when validations failed; those an hour old are dropped.
    static func waitAfterFailure(
        retry: Duration, checkInterval: Duration, failedValidations: inout [ContinuousClock.Instant], now: ContinuousClock.Instant = .now
    ) -> Duration {
        let hour = Duration.seconds(3600)
        failedValidations.removeAll { now - $0 >= hour }
        var wait = min(retry, checkInterval)
        if failedValidations.count >= maximumFailedValidationsPerHour, let oldest = failedValidations.first {
            wait = max(wait, hour - (now - oldest))
        }
        return wait
    }

    /// Failed validations an hour may hold: one fewer than Let's Encrypt's limit.
    static let maximumFailedValidationsPerHour = 4

    /// The order of challenges for the attempt after one that failed with `error`: the
    /// challenge whose validation failed goes last, so another the listeners answer is tried
    /// first; any other failure (the ACME server unreachable, a rate limit) keeps the order.
    static func challengeOrder(_ current: [ACMEChallenge], after error: any Error) -> [ACMEChallenge] {
        guard let failed = (error as? ACMEError)?.challenge, current.contains(failed) else { return current }
        return current.filter { $0 != failed } + [failed]
    }

    private func renew(_ http: OutboundClient, challengeTypes: [ACMEChallenge]) async throws {
        var cache: Cache
        if let cached = Self.readCache(settings.cacheFile, hosts: settings.hosts) {
            cache = cached
        } else {
            // Kept before the first attempt, so retries reuse one account instead of
            // registering a new one each time (ACME servers limit new accounts).
            cache = Cache(accountKey: P256.Signing.PrivateKey().pemRepresentation)
            try Self.writeCache(cache, to: settings.cacheFile, hosts: settings.hosts)
        }
        let accountKey = try P256.Signing.PrivateKey(pemRepresentation: cache.accountKey)
        let client = ACMEClient(
            http: http, directoryURL: settings.directoryURL, account: AccountKey(accountKey), challenges: challenges,
            alpnChallenges: alpnChallenges, challengeTypes: challengeTypes
        )
        let key = P256.Signing.PrivateKey()
        let pem = try await client.obtain(hosts: settings.hosts, key: key, email: settings.email)
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
        let leaf = try Self.leaf(pem)
        cache.certificate = pem
        cache.certificateKey = key.pemRepresentation
        try Self.writeCache(cache, to: settings.cacheFile, hosts: settings.hosts)
        let nioKey = try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem)
        current.withLock { $0 = Current(chain: chain, key: nioKey, notAfter: leaf.notValidAfter, acquired: true) }
        logger.info("ACME certificate installed", metadata: [
            "hosts": "\(settings.hosts.joined(separator: ","))",
            "notAfter": "\(leaf.notValidAfter)",
            "serial": "\(leaf.serialNumber)",
        ])
    }

    /// Trust for the ACME server: the system's roots plus `SSL_CERT_FILE` when it names a
    /// file, as other TLS clients on the machine honour it.
    static func clientTLS() -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        let environment = ProcessInfo.processInfo.environment
        if let file = environment["SSL_CERT_FILE"], FileManager.default.fileExists(atPath: file),
           let roots = try? NIOSSLCertificate.fromPEMFile(file), !roots.isEmpty {
            tls.additionalTrustRoots = [.certificates(roots)]
        }
        return tls
    }

    /// Whether a certificate names every configured host; one that does not is replaced at once.
    static func covers(_ certificate: Certificate, _ hosts: [String]) -> Bool {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return false }
        var dns = Set<String>()
        for name in names {
            if case .dnsName(let host) = name { dns.insert(host.lowercased()) }
        }
        return hosts.allSatisfy { dns.contains($0.lowercased()) }
    }

    /// The first certificate of a PEM chain: the one for our hosts.
    static func leaf(_ pem: String) throws -> Certificate {
        guard let first = try PEMDocument.parseMultiple(pemString: pem).first(where: { $0.discriminator == "CERTIFICATE" }) else {
            throw ACMEError("the PEM chain holds no certificate")
        }
        return try Certificate(derEncoded: first.derBytes)
    }

    /// Whether the cache is Pier's earlier JSON file rather than distribution's directory:
    /// only when such a file is already there. A new cache is a directory, as distribution
    /// makes it (autocert's `DirCache`), so going back to distribution finds it.
    static func isJSONFile(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && !directory.boolValue
    }

    /// autocert's names in its directory: the account key, and one file per host holding
    /// the certificate's key and then its chain (`+rsa` after the host for an RSA one).
    static let autocertAccountFile = "acme_account+key"

    /// The file autocert keeps `host`'s certificate in: the name as a server name arrives,
    /// lower case and without a trailing dot.
    static func autocertName(_ host: String) -> String {
        var name = host.lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }

    static func readCache(_ path: String, hosts: [String]) -> Cache? {
        if isJSONFile(path) {
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            return try? JSONDecoder().decode(Cache.self, from: data)
        }
        let directory = URL(fileURLWithPath: path)
        // Older autocert versions named the account key `acme_account.key`.
        let account = [autocertAccountFile, "acme_account.key"].lazy.compactMap {
            try? String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)
        }.first
        guard let account,
              let accountKey = try? PEMDocument.parseMultiple(pemString: account).first(where: { $0.discriminator.hasSuffix("PRIVATE KEY") })
        else { return nil }
        var cache = Cache(accountKey: accountKey.pemString)
        // autocert keeps one certificate per host, fetched as each is first asked for: any of
        // them will do until the one covering every host is in place.
        for host in hosts.map(autocertName) where !host.isEmpty {
            for name in [host, host + "+rsa"] {
                guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8),
                      let documents = try? PEMDocument.parseMultiple(pemString: text),
                      let key = documents.first(where: { $0.discriminator.hasSuffix("PRIVATE KEY") })
                else { continue }
                let chain = documents.filter { $0.discriminator == "CERTIFICATE" }.map(\.pemString).joined(separator: "\n")
                guard !chain.isEmpty else { continue }
                cache.certificate = chain + "\n"
                cache.certificateKey = key.pemString
                return cache
            }
        }
        return cache
    }

    /// Writes the cache readable by its owner only (it holds private keys), atomically: in
    /// distribution's directory (made 0700 as autocert makes it) the account key and a file
    /// per host (the certificate names every host, so distribution finds it under each), or
    /// an earlier Pier's JSON file.
    static func writeCache(_ cache: Cache, to path: String, hosts: [String]) throws {
        if isJSONFile(path) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try writePrivately(try encoder.encode(cache), to: path)
            return
        }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let directory = URL(fileURLWithPath: path)
        try writePrivately(Data((cache.accountKey + "\n").utf8), to: directory.appendingPathComponent(autocertAccountFile).path)
        if let certificate = cache.certificate, let key = cache.certificateKey {
            // autocert reads the key, then certificates to the file's very end: nothing after
            // the last one, not even a blank line, or it takes the file for corrupt.
            let chain = try PEMDocument.parseMultiple(pemString: certificate).filter { $0.discriminator == "CERTIFICATE" }
            let file = ([key.trimmingCharacters(in: .whitespacesAndNewlines)] + chain.map(\.pemString)).joined(separator: "\n") + "\n"
            for host in Set(hosts.map(autocertName)) where !host.isEmpty {
                try writePrivately(Data(file.utf8), to: directory.appendingPathComponent(host).path)
            }
        }
    }

    /// Through ``PrivateFile``: the keys are never readable by others, not even while written.
    private static func writePrivately(_ data: Data, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        do {
            try PrivateFile.save(Array(data), to: path)
        } catch {
            throw ACMEError("cannot write the ACME cache file: \(error)")
        }
    }

    /// A short-lived self-signed certificate so the listener can start before ACME is done.
    static func placeholder(hosts: [String]) throws -> Current {
        let made = try SelfSignedCertificate(hosts: hosts, lifetime: 86400)
        return Current(chain: made.chain, key: made.key, notAfter: made.certificate.notValidAfter, acquired: false)
    }
}
