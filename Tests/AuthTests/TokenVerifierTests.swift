import JOSE
import Crypto
import Foundation
import Testing
import X509
@testable import Auth

@Suite struct TokenVerifierTests {
    let issuer: TokenIssuer
    let verifier: TokenVerifier

    init() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pier-token-\(UUID().uuidString)").path
        let (key, certificate) = try TokenIssuer.loadOrCreate(keyPath: directory + "/token.key", certificatePath: directory + "/token.crt")
        issuer = TokenIssuer(key: key, certificate: certificate, issuer: "pier", service: "registry", lifetime: .seconds(300))
        verifier = issuer.verifier
    }

    @Test func anIssuedTokenVerifiesWithItsAccess() throws {
        let issued = try issuer.issue(subject: "alice", access: [.repository("team/app", [.pull, .push])])
        let verified = try verifier.verify(issued.token)
        #expect(verified.subject == "alice")
        #expect(verified.access == [.repository("team/app", [.pull, .push])])
    }

    @Test func theKeyAndCertificateAreKeptAcrossRestarts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pier-token-\(UUID().uuidString)").path
        let first = try TokenIssuer.loadOrCreate(keyPath: directory + "/k", certificatePath: directory + "/c")
        let second = try TokenIssuer.loadOrCreate(keyPath: directory + "/k", certificatePath: directory + "/c")
        #expect(first.1 == second.1)
    }

    @Test func theKeyIDIsLibtrustsFingerprintFormat() {
        let parts = issuer.keyID.split(separator: ":")
        #expect(parts.count == 12 && parts.allSatisfy { $0.count == 4 })
    }

    @Test func expiredNotYetValidAndForeignTokensAreRefused() throws {
        let now = Date()
        let expired = try issuer.issue(subject: "a", access: [], now: now.addingTimeInterval(-3600))
        #expect(throws: TokenError.self) { try verifier.verify(expired.token, now: now) }
        let future = try issuer.issue(subject: "a", access: [], now: now.addingTimeInterval(3600))
        #expect(throws: TokenError.self) { try verifier.verify(future.token, now: now) }
        let otherService = TokenVerifier(issuer: "pier", service: "elsewhere", certificates: [issuer.certificate])
        #expect(throws: TokenError.self) { try otherService.verify(try issuer.issue(subject: "a", access: []).token) }
        let otherIssuer = TokenVerifier(issuer: "someone", service: "registry", certificates: [issuer.certificate])
        #expect(throws: TokenError.self) { try otherIssuer.verify(try issuer.issue(subject: "a", access: []).token) }
    }

    @Test func aTokenValidForLongerThanTheMaximumLifetimeIsRefused() throws {
        let longLived = TokenIssuer(key: try P256.Signing.PrivateKey(rawRepresentation: issuer.keyBytes), certificate: issuer.certificate, issuer: "pier", service: "registry", lifetime: .seconds(30 * 86400))
        let strict = TokenVerifier(issuer: "pier", service: "registry", certificates: [issuer.certificate], maximumLifetime: .seconds(3600))
        #expect(throws: TokenError.self) { try strict.verify(try longLived.issue(subject: "a", access: []).token) }
        // Within the limit (5 minutes), and without a limit, the same key's tokens pass.
        #expect(try strict.verify(try issuer.issue(subject: "a", access: []).token).subject == "a")
        #expect(try verifier.verify(try longLived.issue(subject: "a", access: []).token).subject == "a")
    }

    @Test func aTamperedOrUnsignedTokenIsRefused() throws {
        let token = try issuer.issue(subject: "alice", access: [.repository("a", .pull)]).token
        let parts = token.split(separator: ".").map(String.init)
        let claims = #"{"iss":"pier","aud":"registry","sub":"alice","exp":9999999999,"access":[{"type":"repository","name":"a","actions":["push"]}]}"#
        let forged = parts[0] + "." + Base64URL.encode(Array(claims.utf8)) + "." + parts[2]
        #expect(throws: TokenError.self) { try verifier.verify(forged) }
        let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
        #expect(throws: TokenError.self) { try verifier.verify(none) }
        #expect(throws: TokenError.self) { try verifier.verify("not-a-token") }
    }

    @Test func aTokenFromAnotherKeyIsRefused() throws {
        let stranger = TokenIssuer(
            key: P256.Signing.PrivateKey(),
            certificate: issuer.certificate,  // claims the trusted certificate's kid
            issuer: "pier",
            service: "registry",
            lifetime: .seconds(60)
        )
        #expect(throws: TokenError.self) { try verifier.verify(try stranger.issue(subject: "a", access: []).token) }
    }
}
