import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A self-signed certificate for some host names, made in memory with a fresh P-256 key.
///
/// ACME needs two: the stand-in the listener serves until the first certificate arrives,
/// and the tls-alpn-01 challenge certificate a validator is shown. Both are for names only
/// this server answers to, trusted by nobody, and short-lived.
struct SelfSignedCertificate {
    let certificate: Certificate
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey

    /// - Parameters:
    ///   - hosts: the subject alternative names; the first is the common name.
    ///   - lifetime: from a few minutes ago (clocks differ) until this much after now.
    ///   - extra: extensions besides the names (tls-alpn-01's `acmeIdentifier`).
    init(hosts: [String], lifetime: TimeInterval, extra: [Certificate.Extension] = []) throws {
        let privateKey = P256.Signing.PrivateKey()
        let signer = Certificate.PrivateKey(privateKey)
        let name = try DistinguishedName { CommonName(hosts.first ?? "pier") }
        let now = Date()
        var extensions = try Certificate.Extensions { SubjectAlternativeNames(hosts.map { .dnsName($0) }) }
        for item in extra { try extensions.append(item) }
        certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: signer.publicKey,
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(lifetime),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: signer
        )
        chain = try NIOSSLCertificate.fromPEMBytes(Array(try certificate.serializeAsPEM().pemString.utf8))
        key = try NIOSSLPrivateKey(bytes: Array(privateKey.pemRepresentation.utf8), format: .pem)
    }
}
