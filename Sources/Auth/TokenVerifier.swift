import JOSE
import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Verifies bearer tokens as distribution's token specification defines them: signature by
/// a trusted key, issuer, audience, validity window, and the `access` claim.
public struct TokenVerifier: Sendable {
    /// What a verified token says.
    public struct Verified: Sendable {
        public var subject: String?
        public var access: [AccessScope]
        /// A personal access token's scopes, when the token was issued for one.
        public var limit: AccessActions?
    }

    public let issuer: String
    public let service: String
    /// Trusted keys by `kid`: libtrust fingerprints of the bundle's keys and JWKS key ids.
    let keys: [String: Certificate.PublicKey]
    /// The bundle's certificates, roots for `x5c` chains.
    let roots: [Certificate]
    let algorithms: Set<String>
    /// Clock skew tolerated on `exp` and `nbf`, as distribution allows.
    let leeway: TimeInterval = 60
    /// The longest a token may still be valid (`auth.token.maxlifetime`): a token whose
    /// `exp` lies further ahead is refused, however well it is signed, so one leaked token
    /// from a careless token server is not a key for years.
    let maximumLifetime: TimeInterval?

    public init(
        issuer: String, service: String, certificates: [Certificate], jwks: [String: Certificate.PublicKey] = [:],
        algorithms: Set<String>? = nil, maximumLifetime: Duration? = nil
    ) {
        self.maximumLifetime = maximumLifetime.map { TimeInterval($0.components.seconds) + TimeInterval($0.components.attoseconds) / 1e18 }
        self.issuer = issuer
        self.service = service
        var keys = jwks
        for certificate in certificates {
            // distribution 2.x names bundle keys by libtrust fingerprint, 3.x by RFC 7638
            // thumbprint: tokens from either kind of token server find their key.
            keys[JSONWebToken.libtrustKeyID(certificate.publicKey)] = certificate.publicKey
            if let thumbprint = JSONWebToken.thumbprint(certificate.publicKey) { keys[thumbprint] = certificate.publicKey }
        }
        self.keys = keys
        self.roots = certificates
        self.algorithms = algorithms.map { $0.intersection(JSONWebToken.supportedAlgorithms) } ?? JSONWebToken.supportedAlgorithms
    }

    public func verify(_ text: some StringProtocol, now: Date = Date()) throws(TokenError) -> Verified {
        let token = try JSONWebToken(parsing: text)
        guard algorithms.contains(token.header.alg) else {
            throw TokenError("token signing algorithm '\(token.header.alg.prefix(20))' is not accepted")
        }
        let key = try signingKey(for: token, now: now)
        guard token.isSigned(by: key) else { throw TokenError("token signature is not valid") }
        let claims = token.claims
        guard claims.iss == issuer else { throw TokenError("token issuer is not trusted") }
        guard claims.aud?.values.contains(service) == true else { throw TokenError("token is for another service") }
        let time = now.timeIntervalSince1970
        guard let exp = claims.exp else { throw TokenError("token has no expiry") }
        guard time <= exp + leeway else { throw TokenError("token has expired") }
        if let maximumLifetime, exp > time + maximumLifetime + leeway {
            throw TokenError("token is valid for longer than this registry accepts")
        }
        if let nbf = claims.nbf, time + leeway < nbf { throw TokenError("token is not valid yet") }
        if let iat = claims.iat, time + leeway < iat { throw TokenError("token was issued in the future") }
        let access = (claims.access ?? []).map { AccessScope(type: $0.type, name: $0.name, actions: $0.actions) }
        let limit = claims.pier_limit.map { words in words.reduce(into: AccessActions()) { $0.formUnion(AccessActions(word: $1) ?? []) } }
        return Verified(subject: claims.sub, access: access, limit: limit)
    }

    private func signingKey(for token: JSONWebToken, now: Date) throws(TokenError) -> Certificate.PublicKey {
        if let chain = token.header.x5c, !chain.isEmpty {
            return try chainKey(chain, now: now)
        }
        guard let kid = token.header.kid else { throw TokenError("token names no key (kid or x5c)") }
        guard let key = keys[kid] else { throw TokenError("token is signed by an unknown key") }
        return key
    }

    /// The leaf key of an `x5c` chain whose every link is signed by the next and whose last
    /// certificate is, or is signed by, a root of the bundle.
    private func chainKey(_ chain: [String], now: Date) throws(TokenError) -> Certificate.PublicKey {
        var certificates = [Certificate]()
        for entry in chain.prefix(8) {
            guard let der = Data(base64Encoded: entry), let certificate = try? Certificate(derEncoded: Array(der)) else {
                throw TokenError("token x5c chain is malformed")
            }
            guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
                throw TokenError("token x5c certificate is not valid now")
            }
            certificates.append(certificate)
        }
        for (child, parent) in zip(certificates, certificates.dropFirst()) {
            guard parent.publicKey.isValidSignature(child.signature, for: child) else {
                throw TokenError("token x5c chain is broken")
            }
        }
        guard let last = certificates.last else { throw TokenError("token x5c chain is empty") }
        let anchored = roots.contains { root in
            root == last || (root.subject == last.issuer && root.publicKey.isValidSignature(last.signature, for: last))
        }
        guard anchored, let leaf = certificates.first else { throw TokenError("token x5c chain is not trusted") }
        return leaf.publicKey
    }

    /// Reads every certificate of a PEM bundle (`auth.token.rootcertbundle`).
    public static func certificates(pem text: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: text)
            .filter { $0.discriminator == "CERTIFICATE" }
            .map { try Certificate(derEncoded: $0.derBytes) }
    }

    /// Reads a JSON Web Key Set (`auth.token.jwks`): EC P-256/P-384, RSA and Ed25519 keys.
    public static func keys(jwks data: Data) throws -> [String: Certificate.PublicKey] {
        struct Set: Decodable { var keys: [Key] }
        struct Key: Decodable {
            var kty: String
            var kid: String?
            var crv: String?
            var x: String?
            var y: String?
            var n: String?
            var e: String?
        }
        let set = try JSONDecoder().decode(Set.self, from: data)
        var keys = [String: Certificate.PublicKey]()
        for key in set.keys {
            guard let kid = key.kid else { continue }
            func bytes(_ field: String?) throws -> [UInt8] {
                guard let field, let decoded = Base64URL.decode(field) else { throw TokenError("JWKS key \(kid) is incomplete") }
                return decoded
            }
            switch (key.kty, key.crv) {
            case ("EC", "P-256"):
                keys[kid] = .init(try P256.Signing.PublicKey(rawRepresentation: try bytes(key.x) + bytes(key.y)))
            case ("EC", "P-384"):
                keys[kid] = .init(try P384.Signing.PublicKey(rawRepresentation: try bytes(key.x) + bytes(key.y)))
            case ("RSA", _):
                keys[kid] = .init(try _RSA.Signing.PublicKey(n: try bytes(key.n), e: try bytes(key.e)))
            case ("OKP", "Ed25519"):
                keys[kid] = .init(try Curve25519.Signing.PublicKey(rawRepresentation: try bytes(key.x)))
            default:
                continue
            }
        }
        return keys
    }
}
