import OCI
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
}
