import Foundation
import Testing
@testable import Auth

@Suite struct AccessControllerTests {
    struct FixedProvider: AuthProvider {
        let principal: Principal
        func authenticate(_ authorization: Substring?, scopes: [AccessScope], client: String) async throws(AuthFailure) -> Principal { principal }
        func challenge(scopes: [AccessScope], failure: AuthFailure.Kind) -> String { "Test" }
    }

    let policy = AccessPolicy(rules: [.init(repositories: [RepositoryGlob("mine/*")], users: ["alice"], actions: [.pull, .push])])

    @Test func aKnownUserWithoutTheAccessIsDenied() async {
        let controller = AccessController(provider: FixedProvider(principal: .init(identity: .user("alice"))), policy: policy)
        await #expect(throws: Never.self) { try await controller.authorize(nil, needed: [.repository("mine/app", [.pull, .push])], client: "c") }
        do {
            _ = try await controller.authorize(nil, needed: [.repository("theirs/app", .pull)], client: "c")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .denied)
        }
    }

    @Test func anAnonymousCallerIsAskedToAuthenticate() async {
        let controller = AccessController(provider: FixedProvider(principal: .anonymous), policy: policy)
        do {
            _ = try await controller.authorize(nil, needed: [], client: "c")
            Issue.record("expected a refusal")
        } catch {
            #expect(error.kind == .missingCredentials)
        }
    }

    @Test func aTokenWithoutTheScopeIsInsufficient() async {
        let principal = Principal(identity: .user("alice"), tokenAccess: [.repository("mine/app", .pull)])
        let controller = AccessController(provider: FixedProvider(principal: principal), policy: nil)
        do {
            _ = try await controller.authorize(nil, needed: [.repository("mine/app", [.pull, .push])], client: "c")
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

    @Test func theTokenServerGrantsNoNameTheRegistryWouldRefuse() {
        let open = AccessPolicy(rules: [.init(repositories: [RepositoryGlob("public/**")], users: ["*"], actions: [.pull])])
        let controller = AccessController(provider: FixedProvider(principal: .anonymous), policy: open)
        let granted = controller.grant(
            [.repository("public/../team-a/app", .pull), .repository("public/./app", .pull), .repository("public/app", .pull)],
            to: .user("alice")
        )
        #expect(granted == [.repository("public/app", .pull)])
    }

    @Test func repeatedFailuresFromOneClientAreSlowedDown() {
        let throttle = FailureThrottle(allowed: 3, window: .seconds(60), maximumDelay: .seconds(5))
        var penalties = [Duration]()
        for _ in 0..<5 {
            penalties.append(throttle.penalty(for: "10.0.0.1"))
            throttle.recordFailure(from: "10.0.0.1")
        }
        #expect(penalties.prefix(3).allSatisfy { $0 == .zero })
        #expect(penalties[3] > .zero && penalties[4] > penalties[3])
        #expect(throttle.penalty(for: "10.0.0.2") == .zero)
    }

    @Test func theThrottleForgetsClientsRatherThanGrowPastItsCapacity() {
        let throttle = FailureThrottle(allowed: 1, window: .seconds(60), maximumDelay: .seconds(5), capacity: 4)
        for client in 0..<10 { throttle.recordFailure(from: "10.0.0.\(client)") }
        throttle.recordFailure(from: "10.0.0.9")
        #expect(throttle.penalty(for: "10.0.0.9") > .zero)
    }

    @Test func aGuesserOverTheLimitIsRefusedWithoutAPasswordCheckButCachedUsersPass() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pier-htpasswd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("htpasswd").path
        try "alice:\(HtpasswdFile.hashPassword("right", cost: 4))\n".write(toFile: path, atomically: true, encoding: .utf8)
        let throttle = FailureThrottle(allowed: 2, window: .seconds(60), maximumDelay: .milliseconds(1))
        let provider = HtpasswdProvider(realm: "r", store: HtpasswdStore(path: path), throttle: throttle)
        let good = "Basic " + Data("alice:right".utf8).base64EncodedString()
        _ = try await provider.authenticate(Substring(good), scopes: [], client: "10.0.0.1")
        throttle.recordFailure(from: "10.0.0.1")
        throttle.recordFailure(from: "10.0.0.1")
        // Cached: still let in.
        #expect(try await provider.authenticate(Substring(good), scopes: [], client: "10.0.0.1").identity == .user("alice"))
        // Not cached: refused even though it is right, so timing tells a guesser nothing.
        let other = "basic " + Data("alice:right".utf8).base64EncodedString()  // same credentials, not cached
        await #expect(throws: AuthFailure.self) { try await provider.authenticate(Substring(other), scopes: [], client: "10.0.0.1") }
    }
}
