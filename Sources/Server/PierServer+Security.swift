import ACME
import Auth
import Foundation
import Logging
import NIOSSL
import X509

extension PierServer {
    /// The door and the token server the configuration asks for; nil, nil without `auth`.
    func makeAccess() throws -> (AccessController?, TokenEndpoint?) {
        guard let authentication = configuration.authentication else { return (nil, nil) }
        // One count of failures per client, whichever door they knock on.
        let throttle = FailureThrottle()
        switch authentication {
        case .htpasswd(let realm, let path):
            let store = try htpasswdStore(path)
            return (AccessController(provider: HtpasswdProvider(realm: realm, store: store, throttle: throttle), policy: configuration.accessPolicy, throttle: throttle), nil)
        case .token(let settings):
            var issuer: TokenIssuer?
            if let server = configuration.tokenServer {
                let (key, certificate) = try TokenIssuer.loadOrCreate(keyPath: server.key, certificatePath: server.certificate)
                issuer = TokenIssuer(key: key, certificate: certificate, issuer: settings.issuer, service: settings.service, lifetime: server.lifetime)
            }
            var certificates = [Certificate]()
            if let bundle = settings.rootCertBundle {
                certificates = try TokenVerifier.certificates(pem: String(contentsOfFile: bundle, encoding: .utf8))
            }
            // Pier's own key is always trusted by the registry it issues for.
            if let issuer, !certificates.contains(issuer.certificate) { certificates.append(issuer.certificate) }
            let jwks = try settings.jwks.map { try TokenVerifier.keys(jwks: Data(contentsOf: URL(fileURLWithPath: $0))) } ?? [:]
            let verifier = TokenVerifier(
                issuer: settings.issuer,
                service: settings.service,
                certificates: certificates,
                jwks: jwks,
                algorithms: settings.algorithms
            )
            let access = AccessController(provider: TokenProvider(realm: settings.realm, verifier: verifier), policy: configuration.accessPolicy, throttle: throttle)
            guard let issuer, let server = configuration.tokenServer else { return (access, nil) }
            let users = HtpasswdProvider(realm: "\(settings.service) token server", store: try htpasswdStore(server.htpasswd), throttle: throttle)
            let path = URL(string: settings.realm)?.path ?? "/token"
            return (access, TokenEndpoint(path: path.isEmpty ? "/token" : path, issuer: issuer, users: users, access: access))
        }
    }

    /// Opens an htpasswd file, creating it with a first user when missing.
    private func htpasswdStore(_ path: String) throws -> HtpasswdStore {
        if let password = try HtpasswdStore.createIfMissing(path: path) {
            logger.warning(
                "htpasswd file was missing: created it with user docker; change this password",
                metadata: ["path": "\(path)", "user": "docker", "password": "\(password)"]
            )
        }
        return HtpasswdStore(path: path) { [logger] file in
            for user in file.unusable {
                logger.warning("htpasswd user has a hash that is not bcrypt and cannot log in", metadata: ["path": "\(path)", "user": "\(user)"])
            }
        }
    }

    /// swift-nio-ssl's server configuration for `http.tls`.
    static func tlsConfiguration(_ settings: PierConfiguration.TLSSettings, chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        switch settings.minimumVersion {
        case "tls1.0": tls.minimumTLSVersion = .tlsv1
        case "tls1.1": tls.minimumTLSVersion = .tlsv11
        case "tls1.3": tls.minimumTLSVersion = .tlsv13
        default: tls.minimumTLSVersion = .tlsv12
        }
        // The list sets TLS 1.2 and older suites; TLS 1.3's are fixed by BoringSSL, and a list
        // of only those would leave TLS 1.2 with none (which swift-nio-ssl cannot load).
        let legacySuites = settings.cipherSuites.compactMap { PierConfiguration.cipherSuites[$0] }.filter { $0 >> 8 != 0x13 }
        if !legacySuites.isEmpty {
            tls.cipherSuiteValues = legacySuites.map(NIOTLSCipher.init(rawValue:))
        }
        if !settings.clientCAs.isEmpty {
            var roots = [NIOSSLCertificate]()
            for file in settings.clientCAs { roots += try NIOSSLCertificate.fromPEMFile(file) }
            tls.trustRoots = .certificates(roots)
            tls.certificateVerification = .noHostnameVerification
        }
        return tls
    }
}

extension PierServer {
    /// The TLS configuration for the main listener, from `http.tls.certificate` and `key`.
    func makeTLSConfiguration(_ settings: PierConfiguration.TLSSettings, acme: CertificateManager?) throws -> TLSConfiguration {
        if let acme {
            let (chain, key) = acme.initial
            var tls = try Self.tlsConfiguration(settings, chain: chain, key: key)
            // Every handshake takes the certificate ACME holds now, so renewals need no restart.
            tls.sslContextCallback = { _, promise in promise.succeed(acme.override) }
            return tls
        }
        guard let certificate = settings.certificate, let key = settings.key else {
            throw ConfigurationError(key: "http.tls", message: "TLS needs both certificate and key")
        }
        let chain = try NIOSSLCertificate.fromPEMFile(certificate)
        guard !chain.isEmpty else {
            throw ConfigurationError(key: "http.tls.certificate", message: "\(certificate) holds no PEM certificate")
        }
        return try Self.tlsConfiguration(settings, chain: chain, key: try NIOSSLPrivateKey(file: key, format: .pem))
    }
}
