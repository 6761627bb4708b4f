import Foundation
import Storage
import Synchronization
import Testing
@testable import S3

@Suite struct RenewingCredentialsTests {
    /// A clock the test moves, and an endpoint that counts its fetches and answers keys
    /// numbered by the fetch, valid for an hour from the clock's time.
    final class Endpoint: Sendable {
        struct State {
            var now = Date(timeIntervalSince1970: 1_800_000_000)
            var fetches = 0
            var failing = false
            var lifetime: TimeInterval? = 3600
        }

        let state = Mutex(State())

        var fetches: Int { state.withLock { $0.fetches } }
        func advance(_ seconds: TimeInterval) { state.withLock { $0.now.addTimeInterval(seconds) } }

        func source() -> RenewingCredentials {
            RenewingCredentials(origin: "the test endpoint", now: { [self] in state.withLock { $0.now } }) { [self] in
                let (number, failing, expiration) = state.withLock { state in
                    state.fetches += 1
                    return (state.fetches, state.failing, state.lifetime.map { state.now.addingTimeInterval($0) })
                }
                if failing { throw CredentialEndpoint.FetchError(description: "connection refused") }
                return .init(credentials: .init(accessKey: "AK\(number)", secretKey: "SK\(number)", sessionToken: "T\(number)"), expiration: expiration)
            }
        }

        /// Waits until `count` fetches have been filed (a renewal nobody waits for).
        func awaitFetches(_ count: Int) async throws {
            for _ in 0..<500 where fetches < count { try await Task.sleep(for: .milliseconds(2)) }
            // The renewal files its keys after the fetch returns: give it the moment.
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func keysAreFetchedOnceAndServedFromMemoryWhileValid() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        #expect(try await source.credentials().accessKey == "AK1")
        endpoint.advance(3600 - RenewingCredentials.renewalWindow - 1)
        #expect(try await source.credentials() == .init(accessKey: "AK1", secretKey: "SK1", sessionToken: "T1"))
        #expect(endpoint.fetches == 1)
    }

    @Test func concurrentFirstRequestsShareOneFetch() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { try await source.credentials().accessKey } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["AK1"])
        #expect(endpoint.fetches == 1)
    }

    @Test func withinTheRenewalWindowRequestsKeepTheOldKeysWhileNewOnesAreFetched() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        _ = try await source.credentials()
        endpoint.advance(3600 - RenewingCredentials.renewalWindow + 1)
        // Still valid: answered at once, and the renewal starts behind it.
        #expect(try await source.credentials().accessKey == "AK1")
        try await endpoint.awaitFetches(2)
        #expect(try await source.credentials().accessKey == "AK2")
        #expect(endpoint.fetches == 2)
    }

    @Test func expiredKeysAreNeverUsed() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        _ = try await source.credentials()
        endpoint.advance(3600)
        #expect(try await source.credentials().accessKey == "AK2")
    }

    @Test func aFailedFetchIsReportedWithItsOriginAndNotRetriedAtOnce() async throws {
        let endpoint = Endpoint()
        endpoint.state.withLock { $0.failing = true }
        let source = endpoint.source()
        for _ in 0..<3 {
            do {
                _ = try await source.credentials()
                Issue.record("keys from a failing endpoint")
            } catch let StorageError.unavailable(what, reason) {
                #expect(what == "credentials")
                #expect(reason.contains("the test endpoint") && reason.contains("connection refused"))
            }
        }
        #expect(endpoint.fetches == 1)
        endpoint.state.withLock { $0.failing = false }
        endpoint.advance(RenewingCredentials.retryInterval)
        #expect(try await source.credentials().accessKey == "AK2")
    }

    @Test func aFailedRenewalKeepsTheValidKeysInUse() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        _ = try await source.credentials()
        endpoint.state.withLock { $0.failing = true }
        endpoint.advance(3600 - 60)
        #expect(try await source.credentials().accessKey == "AK1")
        try await endpoint.awaitFetches(2)
        #expect(try await source.credentials().accessKey == "AK1")
        endpoint.state.withLock { $0.failing = false }
        endpoint.advance(RenewingCredentials.retryInterval)
        #expect(try await source.credentials().accessKey == "AK1")
        try await endpoint.awaitFetches(3)
        #expect(try await source.credentials().accessKey == "AK3")
    }

    @Test func keysThatAreDueAlreadyAreUsedForTheRetryIntervalNotFetchedPerRequest() async throws {
        let endpoint = Endpoint()
        endpoint.state.withLock { $0.lifetime = -60 }
        let source = endpoint.source()
        for _ in 0..<10 { #expect(try await source.credentials().accessKey == "AK1") }
        #expect(endpoint.fetches == 1)
    }

    @Test func keysWithoutAnExpirationAreAskedForAgainAfterAnHour() async throws {
        let endpoint = Endpoint()
        endpoint.state.withLock { $0.lifetime = nil }
        let source = endpoint.source()
        _ = try await source.credentials()
        endpoint.advance(RenewingCredentials.undatedLifetime)
        #expect(try await source.credentials().accessKey == "AK2")
    }

    // MARK: the endpoints' documents

    @Test func anInstanceRoleDocumentGivesKeysTokenAndExpiration() throws {
        let lease = try CredentialEndpoint.lease(from: """
            {"Code": "Success", "LastUpdated": "2026-12-06T05:00:00Z", "Type": "AWS-HMAC",
             "AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret/+=", "Token": "IQoJb3JpZ2lu",
             "Expiration": "2026-12-06T11:00:00Z"}
            """, requireSuccess: true)
        #expect(lease.credentials == .init(accessKey: "ASIAEXAMPLE", secretKey: "secret/+=", sessionToken: "IQoJb3JpZ2lu"))
        #expect(lease.expiration == CredentialEndpoint.parseTime("2026-12-06T11:00:00Z"))
        #expect(CredentialEndpoint.parseTime("2026-12-06T11:00:00.123Z") != nil)
    }

    @Test(arguments: [
        #"{"Code": "AssumeRoleUnauthorizedAccess", "Message": "not allowed"}"#,
        #"{"Code": "Success", "AccessKeyId": "A"}"#,
        #"{"AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "tomorrow"}"#,
        "<html>captive portal</html>",
    ])
    func aDocumentWithoutUsableKeysIsRefused(_ text: String) {
        #expect(throws: CredentialEndpoint.FetchError.self) { try CredentialEndpoint.lease(from: text, requireSuccess: true) }
    }
}
