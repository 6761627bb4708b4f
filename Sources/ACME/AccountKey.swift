import Crypto
import Foundation
import JOSE

/// The ACME account's ES256 key and the JWS signing ACME requests need (RFC 8555 §6.2).
struct AccountKey: Sendable {
    /// Raw scalar: swift-crypto's key type is not `Sendable`.
    let raw: Data

    init(_ key: P256.Signing.PrivateKey) { raw = key.rawRepresentation }

    var key: P256.Signing.PrivateKey {
        // The bytes came from a valid key; a failure here would be memory corruption.
        (try? P256.Signing.PrivateKey(rawRepresentation: raw)) ?? P256.Signing.PrivateKey()
    }

    /// The public key as a JWK.
    var jwk: JSONWebKey { JSONWebKey(key.publicKey) }

    /// RFC 7638 thumbprint, the account's part of every key authorization.
    var thumbprint: String { jwk.thumbprint }

    /// A flattened JWS of `payload` (nil: POST-as-GET's empty payload), naming the key by
    /// `kid` once the account exists, by `jwk` before.
    func sign(_ payload: Data?, url: String, nonce: String, kid: String?) throws -> Data {
        var protected: [String: any Sendable] = ["alg": "ES256", "nonce": nonce, "url": url]
        if let kid { protected["kid"] = kid } else { protected["jwk"] = jwk.members }
        return try JSONWebSignature(header: protected, payload: payload, key: key).flattenedJSON()
    }
}
