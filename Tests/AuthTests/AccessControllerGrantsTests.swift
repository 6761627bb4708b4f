import OCI
import Testing
@testable import Auth

/// How the index's grants and a token's scopes combine with the `access` policy.
@Suite struct AccessControllerGrantsTests {
    /// Grants `bob` push on `alice/shared` and everyone pull on `alice/public`.
    struct Grants: AccessGrants {
        func actions(for identity: Identity, on repository: String) -> AccessActions {
            if repository == "alice/public" { return .pull }
            if repository == "alice/shared", identity.userName == "bob" { return [.pull, .push] }
            return []
        }
    }

    let provider = AccessControllerTests.FixedProvider(principal: .anonymous)

    @Test func withGrantsTheEveryUserMayDoEverythingDefaultNoLongerApplies() {
        let plain = AccessController(provider: provider, policy: nil)
        let granted = AccessController(provider: provider, policy: nil, grants: Grants())
        let carol = Principal(identity: .user("carol"))
        #expect(plain.allows(carol, .repository("alice/shared", .pull)))
        #expect(!granted.allows(carol, .repository("alice/shared", .pull)))
        #expect(granted.allows(Principal(identity: .user("bob")), .repository("alice/shared", [.pull, .push])))
        #expect(granted.allows(.anonymous, .repository("alice/public", .pull)))
        #expect(!granted.allows(.anonymous, .repository("alice/public", .push)))
    }

    @Test func policyRulesAndGrantsAddUp() {
        let policy = AccessPolicy(admins: ["root"], rules: [.init(repositories: [RepositoryGlob("ci/**")], users: ["carol"], actions: .all)])
        let controller = AccessController(provider: provider, policy: policy, grants: Grants())
        #expect(controller.actions(for: .user("carol"), on: "ci/app") == .all)
        #expect(controller.actions(for: .user("bob"), on: "alice/shared") == [.pull, .push])
        #expect(controller.actions(for: .user("root"), on: "alice/private") == .all)
        #expect(controller.grant([.repository("alice/shared", .all)], to: .user("bob")) == [.repository("alice/shared", [.pull, .push])])
    }

    @Test func aTokensScopesCapWhatItsUserMayDo() {
        let controller = AccessController(provider: provider, policy: nil)
        let readOnly = Principal(identity: .user("alice"), limit: .pull)
        #expect(controller.allows(readOnly, .repository("alice/app", .pull)))
        #expect(!controller.allows(readOnly, .repository("alice/app", [.pull, .push])))
        #expect(controller.grant([.repository("alice/app", .all)], to: .user("alice"), limit: .pull) == [.repository("alice/app", .pull)])
        #expect(controller.grant([.repository("alice/app", .push)], to: .user("alice"), limit: .pull).isEmpty)
    }
}
