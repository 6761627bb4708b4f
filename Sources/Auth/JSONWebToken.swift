import Crypto
import Foundation
import JOSE
import SwiftASN1
import X509
import _CryptoExtras

/// A compact JWS as distribution's token specification uses it: header, claims and the
/// signature over `header.claims`, parsed without trusting anything yet.
public struct JSONWebToken: Sendable {
    public struct Header: Codable, Sendable {
        public var alg: String
        public var typ: String?
        public var kid: String?
        public var x5c: [String]?
    }

    /// One entry of the `access` claim.
    public struct ResourceActions: Codable, Sendable, Hashable {
        public var type: String
        public var name: String
        public var actions: [String]
    }

    public struct Claims: Codable, Sendable {
        public var iss: String?
        public var sub: String?
        public var aud: Audience?
        public var exp: Double?
        public var nbf: Double?
        public var iat: Double?
        public var jti: String?
        public var access: [ResourceActions]?
        /// Pier's own claim: the scopes of the personal access token the holder logged in
        /// with (`pull`, `push`, `delete`), which nothing done with this token may exceed.
        public var pier_limit: [String]?
    }

    /// `aud` is a string or a list of strings (RFC 7519 §4.1.3).
    public struct Audience: Codable, Sendable {
        public var values: [String]
        public init(_ values: [String]) { self.values = values }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let one = try? container.decode(String.self) {
                values = [one]
            } else {
                values = try container.decode([String].self)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if values.count == 1 { try container.encode(values[0]) } else { try container.encode(values) }
        }
    }

    public let header: Header
    public let claims: Claims
    let signingInput: [UInt8]
    let signature: [UInt8]

    /// Splits and decodes a token; nothing is verified here.
    public init(parsing token: some StringProtocol) throws(TokenError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 64 * 1024 else { throw TokenError("malformed token") }
        guard let headerBytes = Base64URL.decode(parts[0]), let claimBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2])
        else { throw TokenError("malformed token: not base64url") }
        let decoder = JSONDecoder()
        do {
            header = try decoder.decode(Header.self, from: Data(headerBytes))
            claims = try decoder.decode(Claims.self, from: Data(claimBytes))
        } catch {
            throw TokenError("malformed token: header or claims are not valid JSON")
        }
        signingInput = Array("\(parts[0]).\(parts[1])".utf8)
        self.signature = signature
    }

    /// Whether the signature was made by `key` with the header's algorithm.
    func isSigned(by key: Certificate.PublicKey) -> Bool {
        switch header.alg {
        case "ES256":
            guard let raw = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(raw.derRepresentation, for: signingInput, signatureAlgorithm: .ecdsaWithSHA256)
        case "ES384":
            guard let raw = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(raw.derRepresentation, for: signingInput, signatureAlgorithm: .ecdsaWithSHA384)
        case "RS256":
            return key.isValidSignature(signature, for: signingInput, signatureAlgorithm: .sha256WithRSAEncryption)
        case "RS384":
            return key.isValidSignature(signature, for: signingInput, signatureAlgorithm: .sha384WithRSAEncryption)
        case "RS512":
            return key.isValidSignature(signature, for: signingInput, signatureAlgorithm: .sha512WithRSAEncryption)
        case "EdDSA":
            return key.isValidSignature(signature, for: signingInput, signatureAlgorithm: .ed25519)
        default:
            return false
        }
    }

    /// The algorithms ``isSigned(by:)`` checks.
    public static let supportedAlgorithms: Set<String> = ["ES256", "ES384", "RS256", "RS384", "RS512", "EdDSA"]

    /// Signs claims with an ES256 key, for Pier's token server.
    public static func sign(_ claims: Claims, with key: P256.Signing.PrivateKey, keyID: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = Header(alg: "ES256", typ: "JWT", kid: keyID, x5c: nil)
        return try JSONWebSignature(
            encodedHeader: Base64URL.encode(try encoder.encode(header)),
            payload: try encoder.encode(claims),
            key: key
        ).compact
    }

    /// The RFC 7638 JWK thumbprint of a key (distribution 3's key id); nil for key types
    /// without a JWK form here.
    public static func thumbprint(_ key: Certificate.PublicKey) -> String? {
        JSONWebKey(key)?.thumbprint
    }

    /// The key id distribution (through libtrust) gives a public key: the SHA-256 of its
    /// DER SubjectPublicKeyInfo, first 240 bits, base32, in twelve groups of four. Tokens
    /// name their key by it, so Pier's tokens verify in distribution and the reverse.
    public static func libtrustKeyID(_ key: Certificate.PublicKey) -> String {
        // The whole DER SubjectPublicKeyInfo (`subjectPublicKeyInfoBytes` is only the key's
        // bit string): that is what libtrust hashes.
        var serializer = DER.Serializer()
        let spki = (try? serializer.serialize(key)).map { serializer.serializedBytes } ?? Array(key.subjectPublicKeyInfoBytes)
        let digest = Array(SHA256.hash(data: spki)).prefix(30)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var text = ""
        var buffer = 0
        var bits = 0
        for byte in digest {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                text.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        var grouped = ""
        for (index, character) in text.enumerated() {
            if index > 0 && index % 4 == 0 { grouped.append(":") }
            grouped.append(character)
        }
        return grouped
    }
}
