import Config
import Foundation
import Logging
import NIOSSL
import Synchronization
import X509

/// The certificate and key files `http.tls` names, read again whenever they change.
///
/// certbot, cert-manager or an internal CA renew certificates in place, every 60–90 days;
/// a server that read its files once serves the old certificate until it expires and every
/// client fails. The files are checked every few seconds (two `stat`s) and on `SIGHUP`; a
/// new pair is taken only when it parses and the key belongs to the certificate, since a
/// renewal writes the two files one after the other. Until then the old pair keeps serving.
final class CertificateFiles: Sendable {
    /// What a file looked like when read: a renewal changes at least one of these.
    struct Stamp: Equatable {
        var modified: timespec
        var size: Int64
        var inode: UInt64

        static func == (a: Stamp, b: Stamp) -> Bool {
            a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec && a.size == b.size && a.inode == b.inode
        }

        /// The file's stamp, following symbolic links as certbot's `live/` directory needs.
        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            modified = info.st_mtim
            size = Int64(info.st_size)
            inode = UInt64(info.st_ino)
        }
    }

    private struct Loaded {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var stamps: [Stamp?]
        /// 0 for the pair read at start, which the listener's own configuration holds.
        var generation: Int
    }

    let certificatePath: String
    let keyPath: String
    private let loaded: Mutex<Loaded>

    /// Reads the pair; a start with files that cannot be read fails here, naming them.
    init(certificate: String, key: String) throws {
        certificatePath = certificate
        keyPath = key
        let stamps = [Stamp(path: certificate), Stamp(path: key)]
        let (chain, privateKey) = try Self.read(certificate: certificate, key: key)
        loaded = Mutex(Loaded(chain: chain, key: privateKey, stamps: stamps, generation: 0))
    }

    /// The pair read at start, for the listener's configuration.
    var initial: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        loaded.withLock { ($0.chain, $0.key) }
    }

    /// What a handshake changes of the listener's configuration: nothing until a renewal
    /// was read, so an unchanged pair costs no handshake anything.
    var override: NIOSSLContextConfigurationOverride {
        let now = loaded.withLock { $0 }
        guard now.generation > 0 else { return .noChanges }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = now.chain.map { .certificate($0) }
        override.privateKey = .privateKey(now.key)
        return override
    }

    /// Reads the pair again if either file changed since it was last read.
    /// - Returns: whether a new pair is served from now on.
    @discardableResult
    func reloadIfChanged(logger: Logger, force: Bool = false) -> Bool {
        let stamps = [Stamp(path: certificatePath), Stamp(path: keyPath)]
        guard force || stamps != loaded.withLock({ $0.stamps }) else { return false }
        do {
            let (chain, key) = try Self.read(certificate: certificatePath, key: keyPath)
            try Self.check(chain[0], key: keyPath, certificate: certificatePath)
            let generation = loaded.withLock { current in
                current = Loaded(chain: chain, key: key, stamps: stamps, generation: current.generation + 1)
                return current.generation
            }
            logger.info("TLS certificate read again", metadata: ["certificate": "\(certificatePath)", "generation": "\(generation)"])
            return true
        } catch {
            // A half-written renewal: the old pair serves, and the next look tries again.
            logger.warning("TLS certificate files changed but cannot be used yet", metadata: [
                "certificate": "\(certificatePath)", "reason": "\(error)",
            ])
            return false
        }
    }

    /// Looks at the files every `interval` until cancelled.
    func watch(every interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            reloadIfChanged(logger: logger)
        }
    }

    private static func read(certificate: String, key: String) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate)
        guard !chain.isEmpty else {
            throw ConfigurationError(key: "http.tls.certificate", message: "\(certificate) holds no PEM certificate")
        }
        return (chain, try NIOSSLPrivateKey(file: key, format: .pem))
    }

    /// Refuses a key that is not the certificate's: certificate and key are two files, and a
    /// renewal replaces them one at a time. A key in a form swift-certificates does not read
    /// is left to the TLS library, as at start.
    private static func check(_ first: NIOSSLCertificate, key: String, certificate: String) throws {
        let leaf = try Certificate(derEncoded: first.toDERBytes())
        guard let privateKey = try? Certificate.PrivateKey(pemEncoded: String(contentsOfFile: key, encoding: .utf8)) else { return }
        guard privateKey.publicKey == leaf.publicKey else {
            throw ConfigurationError(key: "http.tls.key", message: "\(key) is not the key of the certificate in \(certificate)")
        }
    }
}
