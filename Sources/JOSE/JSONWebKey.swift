import Crypto
import Foundation
public import X509
import _CryptoExtras

/// A public key in JWK form (RFC 7517), holding only the members RFC 7638 requires, so the
/// key can be named by its thumbprint (distribution 3's token key id, an ACME account's
/// part of every key authorization) and embedded in a JWS header.
public struct JSONWebKey: Sendable, Equatable {
    /// The required members, by name; their lexicographic order is the thumbprint's input.
    public let members: [String: String]

    /// An EC P-256 key, the one ACME accounts and Pier's token server sign with.
    public init(_ key: P256.Signing.PublicKey) {
        let point = key.rawRepresentation
        self.init(members: ["crv": "P-256", "kty": "EC", "x": Base64URL.encode(point.prefix(32)), "y": Base64URL.encode(point.suffix(32))])
    }

    /// A key from its required members, as read from a JWKS.
    public init(members: [String: String]) {
        self.members = members
    }

    /// Any public key a certificate can carry; nil for key types without a JWK form here.
    public init?(_ key: Certificate.PublicKey) {
        if let ec = P256.Signing.PublicKey(key) {
            self.init(ec)
        } else if let ec = P384.Signing.PublicKey(key) {
            let point = ec.rawRepresentation
            self.init(members: ["crv": "P-384", "kty": "EC", "x": Base64URL.encode(point.prefix(48)), "y": Base64URL.encode(point.suffix(48))])
        } else if let ed = Curve25519.Signing.PublicKey(key) {
            self.init(members: ["crv": "Ed25519", "kty": "OKP", "x": Base64URL.encode(ed.rawRepresentation)])
        } else if let rsa = _RSA.Signing.PublicKey(key), let primitives = try? rsa.getKeyPrimitives() {
            self.init(members: ["e": Base64URL.encode(primitives.publicExponent), "kty": "RSA", "n": Base64URL.encode(primitives.modulus)])
        } else {
            return nil
        }
    }

    /// The canonical JSON of RFC 7638 §3: required members only, sorted, no white space.
    /// Member values are base64url or fixed names, so none needs escaping.
    public var canonicalJSON: String {
        "{" + members.sorted { $0.key < $1.key }.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",") + "}"
    }

    /// The RFC 7638 thumbprint: base64url of the SHA-256 of ``canonicalJSON``.
    public var thumbprint: String {
        Base64URL.encode(SHA256.hash(data: Array(canonicalJSON.utf8)))
    }
}
