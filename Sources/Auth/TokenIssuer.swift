import Crypto
import Foundation
import OCI
import Storage
import SwiftASN1
import X509

/// Pier's own token server: signs short-lived ES256 tokens granting what the access policy
/// allows of what a client asked for, so token authentication needs no other software.
public struct TokenIssuer: Sendable {
    /// The signing key's raw scalar: swift-crypto's key type is not `Sendable`.
    let keyBytes: Data

    public struct Issued: Sendable {
        public var token: String
        public var expiresIn: Int
        public var issuedAt: Date
    }

    public let certificate: Certificate
    public let keyID: String
    public let issuer: String
    public let service: String
    public let lifetime: Duration

    public init(key: P256.Signing.PrivateKey, certificate: Certificate, issuer: String, service: String, lifetime: Duration) {
        self.keyBytes = key.rawRepresentation
        self.certificate = certificate
        self.keyID = JSONWebToken.libtrustKeyID(certificate.publicKey)
        self.issuer = issuer
        self.service = service
        self.lifetime = lifetime
    }

    /// Reads the signing key and its certificate, creating both on first start (the key
    /// readable by its owner only, from the moment it exists), so tokens stay valid across restarts.
    public static func loadOrCreate(keyPath: String, certificatePath: String) throws -> (P256.Signing.PrivateKey, Certificate) {
        let files = FileManager.default
        let key: P256.Signing.PrivateKey
        if files.fileExists(atPath: keyPath) {
            key = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: keyPath, encoding: .utf8))
        } else {
            key = P256.Signing.PrivateKey()
            try files.createDirectory(atPath: (keyPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            do {
                try PrivateFile.save(Array(key.pemRepresentation.utf8), to: keyPath)
            } catch {
                throw TokenError("cannot write the token signing key: \(error)")
            }
        }
        if files.fileExists(atPath: certificatePath),
           let existing = try? Certificate(pemEncoded: String(contentsOfFile: certificatePath, encoding: .utf8)),
           existing.publicKey == Certificate.PublicKey(key.publicKey) {
            return (key, existing)
        }
        let signer = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName("pier token signer") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: signer.publicKey,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(20 * 365 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                KeyUsage(digitalSignature: true, keyCertSign: true)
            },
            issuerPrivateKey: signer
        )
        try certificate.serializeAsPEM().pemString.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        return (key, certificate)
    }

    /// A token for `subject` (nil: anonymous) carrying `access`.
    /// - Parameter limit: the scopes of the personal access token the subject logged in
    ///   with, carried in the token so the registry and the index API keep to them.
    public func issue(subject: String?, access: [AccessScope], limit: AccessActions? = nil, now: Date = Date()) throws -> Issued {
        let seconds = Int(lifetime.components.seconds)
        let issuedAt = now.timeIntervalSince1970.rounded(.down)
        let claims = JSONWebToken.Claims(
            iss: issuer,
            sub: subject ?? "",
            aud: .init([service]),
            exp: issuedAt + Double(seconds),
            nbf: issuedAt - 1,
            iat: issuedAt,
            jti: UUID.random().uuidString.lowercased(),
            access: access.map { .init(type: $0.type, name: $0.name, actions: $0.actions) },
            pier_limit: limit?.words
        )
        let token = try JSONWebToken.sign(claims, with: try P256.Signing.PrivateKey(rawRepresentation: keyBytes), keyID: keyID)
        return Issued(token: token, expiresIn: seconds, issuedAt: Date(timeIntervalSince1970: issuedAt))
    }

    /// A verifier that trusts this issuer's key, for when no bundle is configured.
    public var verifier: TokenVerifier {
        TokenVerifier(issuer: issuer, service: service, certificates: [certificate], algorithms: ["ES256"])
    }
}
