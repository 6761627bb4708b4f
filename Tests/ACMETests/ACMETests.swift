import JOSE
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import Testing
import X509
@testable import ACME

@Suite struct ACMETests {
    @Test func requestsAreFlattenedJWSSignedByTheAccountKey() throws {
        let key = P256.Signing.PrivateKey()
        let account = AccountKey(key)
        let jws = try account.sign(Data(#"{"a":1}"#.utf8), url: "https://acme/new-order", nonce: "n1", kid: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: jws) as? [String: String])
        let protected = try #require(object["protected"]), payload = try #require(object["payload"]), signature = try #require(object["signature"])
        let header = try #require(try JSONSerialization.jsonObject(with: Self.decode(protected)) as? [String: Any])
        #expect(header["alg"] as? String == "ES256" && header["nonce"] as? String == "n1" && header["url"] as? String == "https://acme/new-order")
        #expect(header["jwk"] != nil && header["kid"] == nil)
        let raw = try P256.Signing.ECDSASignature(rawRepresentation: Self.decode(signature))
        #expect(key.publicKey.isValidSignature(raw, for: Data("\(protected).\(payload)".utf8)))
    }

    @Test func onceTheAccountExistsRequestsNameItByKidAndPostAsGetHasAnEmptyPayload() throws {
        let account = AccountKey(P256.Signing.PrivateKey())
        let jws = try account.sign(nil, url: "https://acme/authz/1", nonce: "n2", kid: "https://acme/acct/7")
        let object = try #require(try JSONSerialization.jsonObject(with: jws) as? [String: String])
        #expect(object["payload"] == "")
        let header = try #require(try JSONSerialization.jsonObject(with: Self.decode(object["protected"] ?? "")) as? [String: Any])
        #expect(header["kid"] as? String == "https://acme/acct/7" && header["jwk"] == nil)
    }

    @Test func theThumbprintIsRFC7638sCanonicalJWKHashed() {
        let account = AccountKey(P256.Signing.PrivateKey())
        let jwk = account.jwk.members
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(jwk["x"] ?? "")","y":"\#(jwk["y"] ?? "")"}"#
        #expect(account.thumbprint == Base64URL.encode(SHA256.hash(data: Data(canonical.utf8))))
        #expect(!account.thumbprint.contains("=") && account.thumbprint.count == 43)
    }

    @Test func theCSRNamesEveryHostAndIsSignedByTheCertificateKey() throws {
        let key = P256.Signing.PrivateKey()
        let der = try ACMEClient.signingRequest(hosts: ["registry.example.com", "r.example.com"], key: key)
        let csr = try CertificateSigningRequest(derEncoded: der)
        #expect(csr.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        let extensions = try #require(try csr.attributes.extensionRequest?.extensions)
        let names = try #require(try extensions.subjectAlternativeNames)
        #expect(Array(names) == [.dnsName("registry.example.com"), .dnsName("r.example.com")])
    }

    @Test func http01AnswersExistOnlyWhileOffered() {
        let challenges = HTTP01Challenges()
        challenges.offer(token: "tok", keyAuthorization: "tok.thumb")
        #expect(challenges.answer(for: "tok") == "tok.thumb")
        challenges.withdraw(token: "tok")
        #expect(challenges.answer(for: "tok") == nil)
    }

    @Test func aCertificateMissingAConfiguredHostIsReplaced() throws {
        let placeholder = try CertificateManager.placeholder(hosts: ["a.example"])
        let pem = try Certificate(derEncoded: try placeholder.chain[0].toDERBytes()).serializeAsPEM().pemString
        let leaf = try CertificateManager.leaf(pem)
        #expect(CertificateManager.covers(leaf, ["a.example"]))
        #expect(!CertificateManager.covers(leaf, ["a.example", "b.example"]))
        #expect(!placeholder.acquired)
    }

    /// An invalid authorization as Let's Encrypt answers it after a failed http-01 check.
    static let invalidAuthorization = #"""
        {
          "identifier": {"type": "dns", "value": "registry.example.com"},
          "status": "invalid",
          "expires": "2025-03-14T09:26:53Z",
          "challenges": [
            {
              "type": "http-01",
              "status": "invalid",
              "error": {
                "type": "urn:ietf:params:acme:error:connection",
                "detail": "203.0.113.7: Fetching http://registry.example.com/.well-known/acme-challenge/Nxk1m0Ar: Timeout during connect (likely firewall problem)",
                "status": 400
              },
              "url": "https://acme-v02.api.letsencrypt.org/acme/chall-v3/4895236/_2A1Xw",
              "token": "Nxk1m0Ar",
              "validationRecord": [
                {"url": "http://registry.example.com/.well-known/acme-challenge/Nxk1m0Ar", "hostname": "registry.example.com",
                 "port": "80", "addressesResolved": ["203.0.113.7"], "addressUsed": "203.0.113.7"}
              ],
              "validated": "2025-03-07T09:26:55Z"
            }
          ]
        }
        """#

    @Test func aFailedChallengeIsReportedWithTheACMEServersReason() throws {
        let authorization = try JSONDecoder().decode(ACMEClient.Authorization.self, from: Data(Self.invalidAuthorization.utf8))
        let error = ACMEClient.failure(of: authorization, answering: .http01)
        #expect(error.type == "urn:ietf:params:acme:error:connection")
        #expect(error.reason.hasPrefix("authorization for registry.example.com ended invalid"))
        #expect(error.description.contains("Timeout during connect (likely firewall problem)"))
        #expect(error.description.contains("urn:ietf:params:acme:error:connection"))
    }

    @Test func aProblemsSubproblemsNameTheirHosts() throws {
        let problem = try JSONDecoder().decode(ACMEClient.Problem.self, from: Data(#"""
            {
              "type": "urn:ietf:params:acme:error:malformed",
              "detail": "Some of the identifiers requested were rejected",
              "subproblems": [
                {"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "Invalid underscore in DNS name",
                 "identifier": {"type": "dns", "value": "_example.org"}},
                {"type": "urn:ietf:params:acme:error:rejectedIdentifier", "detail": "This CA will not issue for \"example.net\""}
              ]
            }
            """#.utf8))
        #expect(problem.explanation == #"Some of the identifiers requested were rejected; _example.org: Invalid underscore in DNS name; This CA will not issue for "example.net""#)
    }

    static func offered(_ types: String...) -> [ACMEClient.Authorization.Challenge] {
        types.map { .init(type: $0, url: "https://acme/chall/\($0)", token: "tok-\($0)", status: "pending") }
    }

    @Test func eachHostIsProvedByTheFirstListedChallengeItsServerOffers() throws {
        let all = Self.offered("http-01", "dns-01", "tls-alpn-01")
        #expect(ACMEClient.choose(from: all, preferring: [.http01, .tlsALPN01])?.type == .http01)
        #expect(ACMEClient.choose(from: all, preferring: [.tlsALPN01, .http01])?.type == .tlsALPN01)
        let chosen = try #require(ACMEClient.choose(from: Self.offered("dns-01", "tls-alpn-01"), preferring: [.http01, .tlsALPN01]))
        #expect(chosen.type == .tlsALPN01 && chosen.token == "tok-tls-alpn-01" && chosen.challenge.url == "https://acme/chall/tls-alpn-01")
        #expect(ACMEClient.choose(from: Self.offered("dns-01"), preferring: [.http01, .tlsALPN01]) == nil)
    }

    @Test func aChallengeThatEndedInvalidIsTriedLastByTheNextAttempt() throws {
        let authorization = try JSONDecoder().decode(ACMEClient.Authorization.self, from: Data(Self.invalidAuthorization.utf8))
        let http01Failed = ACMEClient.failure(of: authorization, answering: .http01)
        #expect(http01Failed.challenge == .http01)
        let next = CertificateManager.challengeOrder([.http01, .tlsALPN01], after: http01Failed)
        #expect(next == [.tlsALPN01, .http01])
        // When tls-alpn-01 fails as well, http-01 has its turn again.
        #expect(CertificateManager.challengeOrder(next, after: ACMEClient.failure(of: authorization, answering: .tlsALPN01)) == [.http01, .tlsALPN01])
        // With one challenge there is nothing else to try; a failure that is not a challenge's keeps the order.
        #expect(CertificateManager.challengeOrder([.http01], after: http01Failed) == [.http01])
        let rateLimited = ACMEError("https://acme/new-order answered 429", type: "urn:ietf:params:acme:error:rateLimited")
        #expect(CertificateManager.challengeOrder([.http01, .tlsALPN01], after: rateLimited) == [.http01, .tlsALPN01])
    }

    @Test func failedValidationsNeverReachLetsEncryptsFiveAnHour() {
        let start = ContinuousClock.now
        var failed = [ContinuousClock.Instant]()
        var now = start
        var retry = Duration.seconds(5)
        var attempts = 0
        // A port that never answers: every attempt's validation fails.
        while now - start < .seconds(3 * 3600) {
            if now - start < .seconds(3600) { attempts += 1 }
            failed.append(now)
            let inLastHour = failed.filter { now - $0 < .seconds(3600) }.count
            #expect(inLastHour <= CertificateManager.maximumFailedValidationsPerHour)
            now += CertificateManager.waitAfterFailure(retry: retry, checkInterval: .seconds(43200), failedValidations: &failed, now: now)
            retry = min(retry * 2, .seconds(3600))
        }
        #expect(attempts == CertificateManager.maximumFailedValidationsPerHour)
        // Failures that were no validation (the ACME server unreachable) keep the doubling.
        var none = [ContinuousClock.Instant]()
        #expect(CertificateManager.waitAfterFailure(retry: .seconds(5), checkInterval: .seconds(43200), failedValidations: &none) == .seconds(5))
    }

    @Test func withAPlainListenerBothChallengesCanBeOfferedAndTheTLSListenerAnswersItsOwn() {
        func settings(_ challengeTypes: [ACMEChallenge]) -> CertificateManager.Settings {
            .init(
                directoryURL: "https://acme/dir", email: nil, hosts: ["r.example"], cacheFile: "/c", renewBefore: .seconds(1),
                checkInterval: .seconds(1), challengeTypes: challengeTypes
            )
        }
        #expect(settings([.http01, .tlsALPN01]).overTLS)
        #expect(!settings([.http01]).overTLS)
        #expect(settings([]).challengeTypes == [.http01])
        let plainOnly = CertificateManager.Settings(
            directoryURL: "https://acme/dir", email: nil, hosts: ["r.example"], cacheFile: "/c", renewBefore: .seconds(1), checkInterval: .seconds(1)
        )
        #expect(plainOnly.challengeTypes == [.http01] && !plainOnly.overTLS)
        let tlsOnly = CertificateManager.Settings(
            directoryURL: "https://acme/dir", email: nil, hosts: ["r.example"], cacheFile: "/c", renewBefore: .seconds(1), checkInterval: .seconds(1),
            overTLS: true
        )
        #expect(tlsOnly.challengeTypes == [.tlsALPN01])
    }

    static func decode(_ text: String) -> Data {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64) ?? Data()
    }

    @Test func aTLSALPNChallengeCertificateNamesItsHostAndCarriesTheKeyAuthorizationsDigest() throws {
        let answer = try TLSALPN01Challenges.certificate(host: "registry.example.com", keyAuthorization: "token.thumbprint")
        let certificate = try Certificate(derEncoded: try answer.chain[0].toDERBytes())
        let identifier = try #require(certificate.extensions.first { $0.oid == TLSALPN01Challenges.acmeIdentifier })
        #expect(identifier.critical)
        #expect(Array(identifier.value) == [0x04, 0x20] + Array(SHA256.hash(data: Array("token.thumbprint".utf8))))
        #expect(try certificate.extensions.subjectAlternativeNames?.contains(.dnsName("registry.example.com")) == true)
        let challenges = TLSALPN01Challenges()
        #expect(!challenges.isPending)
        try challenges.offer(host: "Registry.Example.com", keyAuthorization: "k")
        #expect(challenges.isPending && challenges.answer(for: "registry.example.com") != nil)
        challenges.withdraw(host: "registry.example.com")
        #expect(!challenges.isPending)
    }
}
