import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// The tls-alpn-01 answers (RFC 8737) being offered right now, by host.
///
/// Distribution proves control of its hosts this way, on the TLS port alone (autocert with
/// `acme-tls/1`), so a `registry:2` set up for Let's Encrypt has no port 80 to offer http-01
/// on. While an order is validated, a handshake that names a pending host and offers
/// `acme-tls/1` as its only protocol gets a self-signed certificate for that host carrying the
/// SHA-256 of the key authorization in a critical `acmeIdentifier` extension; every other
/// handshake is the listener's own.
public final class TLSALPN01Challenges: Sendable {
    /// The ALPN protocol an ACME server's validation handshake offers.
    public static let protocolName = "acme-tls/1"
    /// `id-pe-acmeIdentifier`, RFC 8737 §6.1.
    static let acmeIdentifier: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 31]

    /// The TLS context one validation handshake is answered with: the challenge
    /// certificate, its key and `acme-tls/1` as the only protocol. Built once per offer, so
    /// a failure shows in the ACME log and handshakes pay nothing for it.
    public struct Answer: Sendable {
        /// The self-signed challenge certificate (tests read its extension).
        public let chain: [NIOSSLCertificate]
        /// What the validation handshake's TLS handler is made from.
        public let context: NIOSSLContext
    }

    private let answers = Mutex([String: Answer]())

    /// An empty store: nothing is pending until an order offers an answer.
    public init() {}

    /// The answer for a handshake naming `host`, nil when none is pending.
    public func answer(for host: String) -> Answer? {
        answers.withLock { $0[host.lowercased()] }
    }

    /// Whether any validation is pending: until one is, no handshake is looked at.
    public var isPending: Bool { answers.withLock { !$0.isEmpty } }

    func offer(host: String, keyAuthorization: String) throws {
        let answer = try Self.certificate(host: host, keyAuthorization: keyAuthorization)
        answers.withLock { $0[host.lowercased()] = answer }
    }

    func withdraw(host: String) {
        _ = answers.withLock { $0.removeValue(forKey: host.lowercased()) }
    }

    /// A self-signed certificate for `host` whose `acmeIdentifier` extension holds the
    /// SHA-256 of `keyAuthorization` (as a DER OCTET STRING, inside the extension's own).
    static func certificate(host: String, keyAuthorization: String) throws -> Answer {
        let digest = Array(SHA256.hash(data: Array(keyAuthorization.utf8)))
        let made = try SelfSignedCertificate(
            hosts: [host], lifetime: 3600,
            extra: [Certificate.Extension(oid: acmeIdentifier, critical: true, value: ArraySlice([0x04, 0x20] + digest))]
        )
        let chain = made.chain
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(made.key)
        )
        tls.applicationProtocols = [protocolName]
        return Answer(chain: chain, context: try NIOSSLContext(configuration: tls))
    }
}
