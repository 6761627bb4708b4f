import Crypto
public import Foundation

/// ES256 signing of a JWS (RFC 7515): the protected header and payload, base64url-encoded,
/// and the signature over `header.payload`. Pier's token server emits the compact form and
/// the ACME client the flattened JSON form; both are this one computation.
public struct JSONWebSignature: Sendable {
    /// The encoded protected header.
    public let protected: String
    /// The encoded payload (empty for ACME's POST-as-GET).
    public let payload: String
    /// The encoded raw `r || s` signature.
    public let signature: String

    /// Signs `payload` under `header` with a P-256 key. The header is serialized with
    /// sorted keys, so the same input always produces the same bytes to sign.
    public init(header: [String: any Sendable], payload: Data?, key: P256.Signing.PrivateKey) throws {
        let headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        try self.init(encodedHeader: Base64URL.encode(headerBytes), payload: payload, key: key)
    }

    /// Signs with an already encoded header (a `Codable` header encoded by the caller).
    public init(encodedHeader: String, payload: Data?, key: P256.Signing.PrivateKey) throws {
        protected = encodedHeader
        self.payload = payload.map { Base64URL.encode($0) } ?? ""
        let signed = try key.signature(for: Data("\(protected).\(self.payload)".utf8))
        signature = Base64URL.encode(signed.rawRepresentation)
    }

    /// `header.payload.signature`, as tokens travel.
    public var compact: String { "\(protected).\(payload).\(signature)" }

    /// `{"payload":…,"protected":…,"signature":…}`, as ACME requests travel.
    public func flattenedJSON() throws -> Data {
        try JSONSerialization.data(
            withJSONObject: ["protected": protected, "payload": payload, "signature": signature],
            options: [.sortedKeys]
        )
    }
}
