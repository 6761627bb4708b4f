import JOSE
import Crypto
import Foundation
import Testing
import X509
import _CryptoExtras
@testable import Auth

/// Tokens from other token servers: RS256 and EdDSA keys named by certificate, and keys
/// from a JWKS.
@Suite struct TokenAlgorithmTests {
    static func token(alg: String, kid: String, sign: (Data) throws -> Data) throws -> String {
        let header = Base64URL.encode(Array(#"{"alg":"\#(alg)","kid":"\#(kid)","typ":"JWT"}"#.utf8))
        let exp = Int(Date().timeIntervalSince1970) + 300
        let claims = #"{"iss":"auth.example","aud":"registry","sub":"bob","exp":\#(exp),"access":[{"type":"repository","name":"app","actions":["pull"]}]}"#
        let input = header + "." + Base64URL.encode(Array(claims.utf8))
        return input + "." + Base64URL.encode(try sign(Data(input.utf8)))
    }

    static func certificate(for key: Certificate.PrivateKey, algorithm: Certificate.SignatureAlgorithm) throws -> Certificate {
        let name = try DistinguishedName { CommonName("token signer") }
        return try Certificate(
            version: .v3, serialNumber: .init(), publicKey: key.publicKey,
            notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(3600),
            issuer: name, subject: name, signatureAlgorithm: algorithm, extensions: .init(), issuerPrivateKey: key
        )
    }

    @Test func rs256TokensVerifyAgainstTheBundlesCertificate() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let certificate = try Self.certificate(for: .init(key), algorithm: .sha256WithRSAEncryption)
        let verifier = TokenVerifier(issuer: "auth.example", service: "registry", certificates: [certificate])
        let token = try Self.token(alg: "RS256", kid: JSONWebToken.libtrustKeyID(certificate.publicKey)) {
            try key.signature(for: $0, padding: .insecurePKCS1v1_5).rawRepresentation
        }
        #expect(try verifier.verify(token).subject == "bob")
    }

    @Test func edDSATokensVerifyAgainstTheBundlesCertificate() throws {
        let key = Curve25519.Signing.PrivateKey()
        let certificate = try Self.certificate(for: .init(key), algorithm: .ed25519)
        let verifier = TokenVerifier(issuer: "auth.example", service: "registry", certificates: [certificate])
        let token = try Self.token(alg: "EdDSA", kid: JSONWebToken.libtrustKeyID(certificate.publicKey)) {
            try key.signature(for: $0)
        }
        #expect(try verifier.verify(token).access == [.repository("app", .pull)])
    }

    @Test func jwksKeysAreFoundByKid() throws {
        let key = P256.Signing.PrivateKey()
        let point = key.publicKey.rawRepresentation
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"\#(Base64URL.encode(point.prefix(32)))","y":"\#(Base64URL.encode(point.suffix(32)))"}]}"#
        let verifier = TokenVerifier(issuer: "auth.example", service: "registry", certificates: [], jwks: try TokenVerifier.keys(jwks: Data(jwks.utf8)))
        let token = try Self.token(alg: "ES256", kid: "k1") { try key.signature(for: $0).rawRepresentation }
        #expect(try verifier.verify(token).subject == "bob")
        let unknown = try Self.token(alg: "ES256", kid: "k2") { try key.signature(for: $0).rawRepresentation }
        #expect(throws: TokenError.self) { try verifier.verify(unknown) }
    }

    @Test func algorithmsOutsideTheAllowedListAreRefused() throws {
        let key = P256.Signing.PrivateKey()
        let point = key.publicKey.rawRepresentation
        let jwks = #"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"\#(Base64URL.encode(point.prefix(32)))","y":"\#(Base64URL.encode(point.suffix(32)))"}]}"#
        let verifier = TokenVerifier(issuer: "auth.example", service: "registry", certificates: [], jwks: try TokenVerifier.keys(jwks: Data(jwks.utf8)), algorithms: ["RS256"])
        let token = try Self.token(alg: "ES256", kid: "k1") { try key.signature(for: $0).rawRepresentation }
        #expect(throws: TokenError.self) { try verifier.verify(token) }
    }
}
