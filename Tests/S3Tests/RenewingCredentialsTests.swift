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
            /// How far the clock moves while a fetch runs.
            var fetchTakes: TimeInterval = 0
        }

        let state = Mutex(State())

        var fetches: Int { state.withLock { $0.fetches } }
        func advance(_ seconds: TimeInterval) { state.withLock { $0.now.addTimeInterval(seconds) } }

        func source() -> RenewingCredentials {
            RenewingCredentials(origin: "the test endpoint", now: { [self] in state.withLock { $0.now } }) { [self] in
                let (number, failing, expiration) = state.withLock { state in
                    state.fetches += 1
                    state.now.addTimeInterval(state.fetchTakes)
                    return (state.fetches, state.failing, state.lifetime.map { state.now.addingTimeInterval($0) })
                }
                if failing { throw CredentialEndpoint.FetchError(description: "connection refused") }
                return .init(credentials: .init(accessKey: "AK\(number)", secretKey: "SK\(number)", sessionToken: "T\(number)"), expiration: expiration)
            }
        }

    }

    /// The key `source` gives once a renewal has landed: asked until it is `expected`, for
    /// a few seconds at most (the renewal runs in a task of its own).
    func eventually(_ source: RenewingCredentials, gives expected: String) async throws -> String {
        var key = ""
        for _ in 0..<1000 {
            key = try await source.credentials().accessKey
            if key == expected { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        return key
    }

    /// Until no fetch is under way.
    func settled(_ source: RenewingCredentials) async throws {
        for _ in 0..<1000 where source.isFetching { try await Task.sleep(for: .milliseconds(5)) }
        #expect(!source.isFetching)
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
        #expect(try await eventually(source, gives: "AK2") == "AK2")
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
        // A fetch that takes 3 s to fail: the interval runs from its end, not its start.
        endpoint.state.withLock { $0.failing = true; $0.fetchTakes = 3 }
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
        endpoint.advance(RenewingCredentials.retryInterval - 1)
        await #expect(throws: StorageError.self) { try await source.credentials() }
        #expect(endpoint.fetches == 1)
        endpoint.state.withLock { $0.failing = false }
        endpoint.advance(1)
        #expect(try await source.credentials().accessKey == "AK2")
    }

    @Test func aFailedRenewalKeepsTheValidKeysInUse() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        _ = try await source.credentials()
        endpoint.state.withLock { $0.failing = true }
        endpoint.advance(3600 - 120)
        #expect(try await source.credentials().accessKey == "AK1")
        try await settled(source)
        #expect(endpoint.fetches == 2)
        #expect(try await source.credentials().accessKey == "AK1")
        endpoint.state.withLock { $0.failing = false }
        endpoint.advance(RenewingCredentials.retryInterval)
        #expect(try await eventually(source, gives: "AK3") == "AK3")
    }

    @Test func keysAreNotUsedInTheirLastMinute() async throws {
        let endpoint = Endpoint()
        let source = endpoint.source()
        _ = try await source.credentials()
        endpoint.advance(3600 - RenewingCredentials.expiryMargin)
        #expect(try await source.credentials().accessKey == "AK2")
    }

    @Test func aFetchThatDoesNotAnswerFailsAfterTheTimeout() async throws {
        let source = RenewingCredentials(origin: "a stalled endpoint", fetchTimeout: .milliseconds(50)) {
            try await Task.sleep(for: .seconds(60))
            throw CredentialEndpoint.FetchError(description: "unreachable")
        }
        let started = ContinuousClock.now
        await #expect(throws: StorageError.self) { try await source.credentials() }
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(!source.isFetching)
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
}
