import Auth
import Config
import Foundation
import Logging
import NIOPosix
import NIOSSL
import Synchronization

/// The certificate and key files `http.tls` names, read again whenever they change.
///
/// certbot, cert-manager or an internal CA renew certificates in place, every 60–90 days;
/// a server that read its files once serves the old certificate until it expires and every
/// client fails. The files are checked every few seconds (two `stat`s) and on `SIGHUP`; a
/// new pair is taken only when the TLS library accepts it as a pair (the key is the
/// certificate's), since a renewal writes the two files one after the other. Until then the
/// old pair keeps serving.
final class CertificateFiles: Sendable {
    private struct Loaded {
        var chain: [NIOSSLCertificate]
        var key: NIOSSLPrivateKey
        var stamps: [FileStamp?]
        /// 0 for the pair read at start, which the listener's own configuration holds.
        var generation: Int
    }

    let certificatePath: String
    let keyPath: String
    private let loaded: Mutex<Loaded>
    /// Held through a whole reload, so the poll and a `SIGHUP` never store in the wrong
    /// order; also remembers the stamps of a pair that could not be used, so it is reported
    /// once rather than at every look.
    private let reloading = Mutex<[FileStamp?]?>(nil)

    /// Reads the pair; a start with files that cannot be read fails here, naming them.
    init(certificate: String, key: String) throws {
        certificatePath = certificate
        keyPath = key
        let stamps = [FileStamp(path: certificate), FileStamp(path: key)]
        let (chain, privateKey) = try Self.read(certificate: certificate, key: key)
        loaded = Mutex(Loaded(chain: chain, key: privateKey, stamps: stamps, generation: 0))
    }

    /// The pair read at start, for the listener's configuration.
    var initial: (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        loaded.withLock { ($0.chain, $0.key) }
    }

    /// What a handshake changes of the listener's configuration: nothing until a renewal
    /// was read (the callback that asks still costs each handshake a pause and a resume).
    var override: NIOSSLContextConfigurationOverride {
        guard loaded.withLock({ $0.generation }) > 0 else { return .noChanges }
        let now = loaded.withLock { $0 }
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = now.chain.map { .certificate($0) }
        override.privateKey = .privateKey(now.key)
        return override
    }

    /// Reads the pair again if either file changed since it was last read.
    /// - Returns: whether a new pair is served from now on.
    @discardableResult
    func reloadIfChanged(logger: Logger, force: Bool = false) -> Bool {
        reloading.withLock { failed in
            let stamps = [FileStamp(path: certificatePath), FileStamp(path: keyPath)]
            guard force || (stamps != loaded.withLock({ $0.stamps }) && stamps != failed) else { return false }
            do {
                let (chain, key) = try Self.read(certificate: certificatePath, key: keyPath)
                let generation = loaded.withLock { current in
                    current = Loaded(chain: chain, key: key, stamps: stamps, generation: current.generation + 1)
                    return current.generation
                }
                failed = nil
                logger.info("TLS certificate read again", metadata: ["certificate": "\(certificatePath)", "generation": "\(generation)"])
                return true
            } catch {
                // A half-written renewal: the old pair serves, and the next change is tried.
                failed = stamps
                logger.warning("TLS certificate files changed but cannot be used yet", metadata: [
                    "certificate": "\(certificatePath)", "reason": "\(error)",
                ])
                return false
            }
        }
    }

    /// Looks at the files every `interval` until cancelled.
    func watch(every interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            await reloadOffTheExecutor(logger: logger)
        }
    }

    /// ``reloadIfChanged(logger:force:)`` on the I/O pool: it stats and reads files and
    /// builds a TLS context, none of which may hold a cooperative thread.
    @discardableResult
    func reloadOffTheExecutor(logger: Logger, force: Bool = false) async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { self.reloadIfChanged(logger: logger, force: force) }) ?? false
    }

    /// The pair, checked as the listener will use it: BoringSSL refuses a key that is not
    /// the certificate's, whatever the key file's form.
    static func read(certificate: String, key: String) throws -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            // BoringSSL's error names neither the key nor the file (`failedToLoadCertificate`).
            throw ConfigurationError(key: "http.tls.certificate", message: "\(certificate) cannot be read as PEM certificates (\(error))")
        }
        guard !chain.isEmpty else {
            throw ConfigurationError(key: "http.tls.certificate", message: "\(certificate) holds no PEM certificate")
        }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ConfigurationError(key: "http.tls.key", message: "\(key) cannot be read as a PEM private key (\(error))")
        }
        do {
            _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey)))
        } catch {
            throw ConfigurationError(key: "http.tls.key", message: "\(key) is not the key of the certificate in \(certificate) (\(error))")
        }
        return (chain, privateKey)
    }
}
