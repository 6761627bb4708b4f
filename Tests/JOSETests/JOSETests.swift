import Crypto
import Foundation
import JOSE
import Testing
import X509
import _CryptoExtras

@Suite struct JOSETests {
    @Test func base64URLRoundTripsWithoutPaddingAndRefusesPaddedInput() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x00, 0x01]
        let text = Base64URL.encode(bytes)
        #expect(text == "-_-_AAE")
        #expect(Base64URL.decode(text) == bytes)
        #expect(Base64URL.decode("-_-_AAE=") == nil)
    }

    /// RFC 7638 §3.1's example key and thumbprint.
    @Test func thumbprintMatchesRFC7638sExample() throws {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        let key = try JSONWebKeyFixture.rsa(n: n, e: "AQAB")
        #expect(key.thumbprint == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    }

    @Test func canonicalJSONSortsMembersWithoutWhiteSpace() {
        let key = JSONWebKey(P256.Signing.PrivateKey().publicKey)
        let json = key.canonicalJSON
        #expect(json.hasPrefix(#"{"crv":"P-256","kty":"EC","x":""#))
        #expect(!json.contains(" "))
        #expect(key.thumbprint.count == 43)
    }

    @Test func compactSignatureVerifiesOverHeaderDotPayload() throws {
        let key = P256.Signing.PrivateKey()
        let jws = try JSONWebSignature(header: ["alg": "ES256"], payload: Data("{}".utf8), key: key)
        let parts = jws.compact.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 3)
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Base64URL.decode(parts[2])))
        #expect(key.publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)))
    }

    @Test func anEmptyPayloadIsAnEmptyStringAsACMEsPostAsGetNeeds() throws {
        let jws = try JSONWebSignature(header: ["alg": "ES256"], payload: nil, key: P256.Signing.PrivateKey())
        let object = try #require(try JSONSerialization.jsonObject(with: jws.flattenedJSON()) as? [String: String])
        #expect(object["payload"] == "")
        #expect(object["protected"] == jws.protected)
    }
}

/// Keys built from their JWK members, for checking against published examples.
enum JSONWebKeyFixture {
    static func rsa(n: String, e: String) throws -> JSONWebKey {
        let modulus = try #require(Base64URL.decode(n))
        let exponent = try #require(Base64URL.decode(e))
        let key = try _RSA.Signing.PublicKey(n: modulus, e: exponent)
        return try #require(JSONWebKey(Certificate.PublicKey(key)))
    }
}
