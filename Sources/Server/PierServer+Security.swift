import ACME
import Auth
import Config
import Foundation
import Logging
import NIOSSL
import UnixSignals
import X509

extension PierServer {
    /// swift-nio-ssl's server configuration for `http.tls`.
    static func tlsConfiguration(_ settings: PierConfiguration.TLSSettings, chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        switch settings.minimumVersion {
        case "tls1.0": tls.minimumTLSVersion = .tlsv1
        case "tls1.1": tls.minimumTLSVersion = .tlsv11
        case "tls1.3": tls.minimumTLSVersion = .tlsv13
        default: tls.minimumTLSVersion = .tlsv12
        }
        // The list sets TLS 1.2 and older suites; TLS 1.3's are fixed by BoringSSL. A list of
        // only those leaves TLS 1.2 distribution's defaults, not swift-nio-ssl's wider ones.
        func legacy(_ names: [String]) -> [UInt16] {
            names.compactMap { PierConfiguration.cipherSuites[$0] }.filter { $0 >> 8 != 0x13 }
        }
        let configured = legacy(settings.cipherSuites)
        let legacySuites = configured.isEmpty ? legacy(PierConfiguration.defaultCipherSuites) : configured
        tls.cipherSuiteValues = legacySuites.map(NIOTLSCipher.init(rawValue:))
        if !settings.clientCAs.isEmpty {
            var roots = [NIOSSLCertificate]()
            for file in settings.clientCAs { roots += try Self.clientCA(file) }
            tls.trustRoots = .certificates(roots)
            tls.certificateVerification = .noHostnameVerification
            // Named in the handshake, as Go's server names them: a Go client (docker,
            // containers/image, with every `*.cert` of a certs.d directory) picks the
            // certificate one of them issued; told none, it sends its first and is refused.
            tls.sendCANameList = true
        }
        return tls
    }
}

extension PierServer {
    /// The certificates of one `http.tls.clientcas` file, or an error naming the key and file.
    static func clientCA(_ file: String) throws -> [NIOSSLCertificate] {
        do {
            return try NIOSSLCertificate.fromPEMFile(file)
        } catch {
            throw ConfigurationError(key: "http.tls.clientcas", message: "\(file) cannot be read as PEM certificates (\(error))")
        }
    }

    /// Reads the files a configuration names as `serve` will (the TLS pair and client CAs,
    /// an htpasswd file that is there, the token signers' certificates or keys), so `pier config check` finds what would stop the
    /// start; it creates nothing (a missing htpasswd file is made by `serve`, as by
    /// distribution).
    public static func checkFiles(_ configuration: PierConfiguration) throws {
        if let tls = configuration.tls {
            if let certificate = tls.certificate, let key = tls.key { _ = try CertificateFiles.read(certificate: certificate, key: key) }
            for file in tls.clientCAs { _ = try clientCA(file) }
        }
        if case .htpasswd(_, let path) = configuration.authentication, FileManager.default.fileExists(atPath: path),
           (try? String(contentsOfFile: path, encoding: .utf8)) == nil {
            throw ConfigurationError(key: "auth.htpasswd.path", message: HtpasswdStore.unreadableReason(path))
        }
        if case .token(let settings) = configuration.authentication {
            try Bootstrap.checkTokenSigners(settings, tokenServer: configuration.tokenServer)
        }
    }

    /// The TLS configuration for the main listener: ACME's certificate, or the files
    /// `http.tls.certificate` and `key` name, each taken again at every handshake once renewed.
    func makeTLSConfiguration(_ settings: PierConfiguration.TLSSettings, acme: CertificateManager?, files: CertificateFiles?) throws -> TLSConfiguration {
        if let acme {
            let (chain, key) = acme.initial
            var tls = try Self.tlsConfiguration(settings, chain: chain, key: key)
            // Every handshake takes the certificate ACME holds now, so renewals need no restart.
            tls.sslContextCallback = { _, promise in promise.succeed(acme.override) }
            return tls
        }
        guard let files else {
            throw ConfigurationError(key: "http.tls", message: "TLS needs both certificate and key")
        }
        let (chain, key) = files.initial
        var tls = try Self.tlsConfiguration(settings, chain: chain, key: key)
        tls.sslContextCallback = { _, promise in promise.succeed(files.override) }
        return tls
    }

    /// The files `http.tls` names when it names them (not ACME), read once here.
    static func certificateFiles(_ settings: PierConfiguration.TLSSettings?) throws -> CertificateFiles? {
        guard let settings, settings.acme == nil, let certificate = settings.certificate, let key = settings.key else { return nil }
        return try CertificateFiles(certificate: certificate, key: key)
    }

    /// Reads the certificate files again on `SIGHUP` (`systemctl reload`, `kill -HUP`), as
    /// nginx users renew; without files the signal is only logged, never the end of the
    /// process it is by default.
    static func reloadOnHangup(_ hangups: UnixSignalsSequence, _ files: CertificateFiles?, logger: Logger) async {
        for await _ in hangups {
            if let files {
                await files.reloadOffTheExecutor(logger: logger, force: true)
            } else {
                logger.info("SIGHUP: nothing to read again")
            }
        }
    }
}
