import Foundation
import Testing
@testable import Auth

@Suite struct AccessControllerTests {
    struct FixedProvider: AuthProvider {
        let principal: Principal
        func authenticate(_ authorization: Substring?, scopes: [AccessScope]) async throws(AuthFailure) -> Principal { principal }
        func challenge(scopes: [AccessScope], failure: AuthFailure.Kind) -> String { "Test" }
    }

    let policy = AccessPolicy(rules: [.init(repositories: [RepositoryGlob("mine/*")], users: ["alice"], actions: [.pull, .push])])

    @Test func aKnownUserWithoutTheAccessIsDenied() async {
        let controller = AccessController(provider: FixedProvider(principal: .init(identity: .user("alice"))), policy: policy)
        await #expect(throws: Never.self) { try await controller.authorize(nil, needed: [.repository("mine/app", [.pull, .push])]) }
        do {
            _ = try await controller.authorize(nil, needed: [.repository("theirs/app", .pull)])
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .denied)
        }
    }

    @Test func anAnonymousCallerIsAskedToAuthenticate() async {
        let controller = AccessController(provider: FixedProvider(principal: .anonymous), policy: policy)
        do {
            _ = try await controller.authorize(nil, needed: [])
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .missingCredentials)
        }
    }

    @Test func aTokenWithoutTheScopeIsInsufficient() async {
        let principal = Principal(identity: .user("alice"), tokenAccess: [.repository("mine/app", .pull)])
        let controller = AccessController(provider: FixedProvider(principal: principal), policy: nil)
        do {
            _ = try await controller.authorize(nil, needed: [.repository("mine/app", [.pull, .push])])
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .insufficientScope)
        }
    }

    @Test func theTokenServerGrantsTheIntersectionOfRequestAndPolicy() {
        let controller = AccessController(provider: FixedProvider(principal: .anonymous), policy: policy)
        let granted = controller.grant(
            [.repository("mine/app", .all), .repository("theirs/app", .pull), .catalog],
            to: .user("alice")
        )
        #expect(granted == [.repository("mine/app", [.pull, .push]), .catalog])
    }

    @Test func repeatedFailuresFromOneClientAreSlowedDown() {
        let throttle = FailureThrottle(allowed: 3, window: .seconds(60), maximumDelay: .seconds(5))
        let delays = (0..<6).map { _ in throttle.recordFailure(from: "10.0.0.1") }
        #expect(delays.prefix(3).allSatisfy { $0 == .zero })
        #expect(delays[3] > .zero && delays[4] > delays[3])
        #expect(throttle.recordFailure(from: "10.0.0.2") == .zero)
    }
}
