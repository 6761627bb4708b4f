import Crypto
import Foundation

/// The ACME account's ES256 key and the JWS signing ACME requests need (RFC 8555 §6.2).
struct AccountKey: Sendable {
    /// Raw scalar: swift-crypto's key type is not `Sendable`.
    let raw: Data

    init(_ key: P256.Signing.PrivateKey) { raw = key.rawRepresentation }

    var key: P256.Signing.PrivateKey {
        // The bytes came from a valid key; a failure here would be memory corruption.
        (try? P256.Signing.PrivateKey(rawRepresentation: raw)) ?? P256.Signing.PrivateKey()
    }

    /// The public key as a JWK, members in the lexicographic order RFC 7638 needs for the
    /// thumbprint.
    var jwk: [String: String] {
        let point = key.publicKey.rawRepresentation
        return ["crv": "P-256", "kty": "EC", "x": base64url(point.prefix(32)), "y": base64url(point.suffix(32))]
    }

    /// RFC 7638 thumbprint, the account's part of every key authorization.
    var thumbprint: String {
        let jwk = self.jwk
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(jwk["x"] ?? "")","y":"\#(jwk["y"] ?? "")"}"#
        return base64url(Data(SHA256.hash(data: Data(canonical.utf8))))
    }

    /// A flattened JWS of `payload` (nil: POST-as-GET's empty payload), naming the key by
    /// `kid` once the account exists, by `jwk` before.
    func sign(_ payload: Data?, url: String, nonce: String, kid: String?) throws -> Data {
        var protected: [String: Any] = ["alg": "ES256", "nonce": nonce, "url": url]
        if let kid { protected["kid"] = kid } else { protected["jwk"] = jwk }
        let header = base64url(try JSONSerialization.data(withJSONObject: protected, options: [.sortedKeys, .withoutEscapingSlashes]))
        let body = payload.map(base64url) ?? ""
        let signature = try key.signature(for: Data("\(header).\(body)".utf8))
        let jws = ["protected": header, "payload": body, "signature": base64url(signature.rawRepresentation)]
        return try JSONSerialization.data(withJSONObject: jws, options: [.sortedKeys])
    }
}

/// Base64url without padding.
func base64url(_ data: some DataProtocol) -> String {
    Data(data).base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}
