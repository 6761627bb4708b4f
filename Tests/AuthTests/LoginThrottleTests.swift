import Foundation
import Synchronization
import Testing
@testable import Auth

@Suite struct LoginThrottleTests {
    /// A clock the test moves by hand, so a window can pass without waiting for it.
    final class ManualClock: Sendable {
        private let instant = Mutex(ContinuousClock.now)
        var now: ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(_ duration: Duration) { instant.withLock { $0 += duration } }
    }

    func basic(_ user: String, _ password: String) -> Substring {
        Substring("Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
    }

    func provider(_ users: [String: String], limits: LoginThrottle.Limits, clock: ManualClock = ManualClock()) throws -> HtpasswdProvider {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pier-throttle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("htpasswd").path
        let text = users.map { "\($0.key):\(HtpasswdFile.hashPassword($0.value, cost: 4))\n" }.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return HtpasswdProvider(realm: "r", store: HtpasswdStore(path: path), throttle: LoginThrottle(limits: limits, now: { clock.now }))
    }

    func limits(allowed: Int, inFlight: Int = 4, waiting: Int = 64) -> LoginThrottle.Limits {
        var limits = LoginThrottle.Limits()
        limits.allowed = allowed
        limits.checksInFlightPerAddress = inFlight
        limits.waitingPerAddress = waiting
        return limits
    }

    /// What an attempt came to: the user, or the kind of refusal.
    func attempt(_ provider: HtpasswdProvider, _ user: String, _ password: String, from client: String) async -> String {
        do {
            return try await provider.authenticate(basic(user, password), scopes: [], client: client).identity.userName ?? "anonymous"
        } catch {
            return "\(error.kind)"
        }
    }

    @Test func aBurstOfSimultaneousGuessesGetsNoMoreChecksThanTheLimit() async throws {
        let provider = try provider(["alice": "right"], limits: limits(allowed: 5))
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<60 {
                group.addTask { await self.attempt(provider, "alice", index == 45 ? "right" : "wrong-\(index)", from: "10.0.0.1") }
            }
            return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
        }
        // Five admitted and checked, whatever the order; every other attempt refused unchecked.
        #expect(outcomes["invalidCredentials", default: 0] + outcomes["alice", default: 0] == 5)
        #expect(outcomes["throttled"] == 55)
    }

    @Test func anotherUserOrTheSameUserElsewhereIsNotRefusedForSomeonesFailures() async throws {
        let provider = try provider(["alice": "alice-pw", "bob": "bob-pw"], limits: limits(allowed: 3))
        for index in 0..<5 { _ = await attempt(provider, "alice", "wrong-\(index)", from: "10.0.0.1") }
        #expect(await attempt(provider, "alice", "alice-pw", from: "10.0.0.1") == "throttled")
        #expect(await attempt(provider, "bob", "bob-pw", from: "10.0.0.1") == "bob")
        #expect(await attempt(provider, "alice", "alice-pw", from: "10.0.0.2") == "alice")
    }

    @Test func refusalsDoNotCountSoTheLockoutEndsAWindowAfterTheFirstFailure() async throws {
        let clock = ManualClock()
        var limits = limits(allowed: 3)
        limits.window = .seconds(60)
        let provider = try provider(["alice": "alice-pw"], limits: limits, clock: clock)
        for index in 0..<3 { #expect(await attempt(provider, "alice", "wrong-\(index)", from: "10.0.0.1") == "invalidCredentials") }
        clock.advance(.seconds(30))
        for index in 0..<20 { #expect(await attempt(provider, "alice", "again-\(index)", from: "10.0.0.1") == "throttled") }
        clock.advance(.seconds(31))
        #expect(await attempt(provider, "alice", "alice-pw", from: "10.0.0.1") == "alice")
    }

    @Test func theRefusalSaysWhenToTryAgain() async throws {
        let clock = ManualClock()
        let provider = try provider(["alice": "alice-pw"], limits: limits(allowed: 1), clock: clock)
        _ = await attempt(provider, "alice", "wrong", from: "10.0.0.1")
        clock.advance(.seconds(20))
        await #expect {
            _ = try await provider.authenticate(basic("alice", "alice-pw"), scopes: [], client: "10.0.0.1")
        } throws: { error in
            (error as? AuthFailure)?.kind == .throttled && (error as? AuthFailure)?.retryAfterSeconds == 40
        }
    }

    @Test func aSuccessClearsTheFailuresBeforeIt() async throws {
        let provider = try provider(["alice": "alice-pw"], limits: limits(allowed: 3))
        for index in 0..<2 { _ = await attempt(provider, "alice", "wrong-\(index)", from: "10.0.0.1") }
        #expect(await attempt(provider, "alice", "alice-pw", from: "10.0.0.1") == "alice")
        for index in 0..<3 { #expect(await attempt(provider, "alice", "typo-\(index)", from: "10.0.0.1") == "invalidCredentials") }
    }

    @Test func theSameCredentialsArrivingTogetherShareOneCheck() async throws {
        // With one attempt allowed, twenty separate checks of the same credentials would be
        // nineteen refusals; joined, they are one check that lets all twenty in.
        let provider = try provider(["alice": "alice-pw"], limits: limits(allowed: 1))
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { await self.attempt(provider, "alice", "alice-pw", from: "10.0.0.1") } }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: "alice", count: 20))
    }

    @Test func checksInFlightPerAddressAreBoundedAndTheQueueToo() async throws {
        let throttle = LoginThrottle(limits: limits(allowed: 10, inFlight: 1, waiting: 1))
        let first = try await throttle.admit(user: "a", client: "10.0.0.1")
        let admitted = Atomic<Bool>(false)
        let second = Task {
            let ticket = try await throttle.admit(user: "b", client: "10.0.0.1")
            admitted.store(true, ordering: .sequentiallyConsistent)
            return ticket
        }
        while throttle.waiting(at: "10.0.0.1") == 0 { await Task.yield() }
        // A third attempt finds one running and one waiting: refused at once.
        await #expect(throws: LoginThrottle.Refusal.self) { _ = try await throttle.admit(user: "c", client: "10.0.0.1") }
        let admittedEarly = admitted.load(ordering: .sequentiallyConsistent)
        #expect(!admittedEarly)
        // Another address is not held up.
        let elsewhere = try await throttle.admit(user: "c", client: "10.0.0.2")
        throttle.finish(elsewhere, succeeded: true)
        throttle.finish(first, succeeded: false)
        let ticket = try await second.value
        let admittedAfter = admitted.load(ordering: .sequentiallyConsistent)
        #expect(admittedAfter)
        throttle.finish(ticket, succeeded: false)
    }

    @Test func theTableForgetsIdleClientsRatherThanGrowPastItsCapacity() async throws {
        var limits = limits(allowed: 1)
        limits.capacity = 4
        let throttle = LoginThrottle(limits: limits)
        for client in 0..<10 {
            let ticket = try await throttle.admit(user: "a", client: "10.0.0.\(client)")
            throttle.finish(ticket, succeeded: false)
        }
        // The newest is still remembered and refused.
        await #expect(throws: LoginThrottle.Refusal.self) { _ = try await throttle.admit(user: "a", client: "10.0.0.9") }
    }
}
