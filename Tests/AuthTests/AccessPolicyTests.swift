import OCI
import Testing
@testable import Auth

@Suite struct AccessPolicyTests {
    let policy = AccessPolicy(
        admins: ["root"],
        groups: ["team-a": ["bob"]],
        rules: [
            .init(repositories: [RepositoryGlob("team-a/*")], groups: ["team-a"], actions: [.pull, .push]),
            .init(repositories: [RepositoryGlob("team-a/*")], users: ["dave"], actions: .pull),
            .init(repositories: [RepositoryGlob("public/**")], anonymous: true, actions: .pull),
            .init(repositories: [RepositoryGlob("**")], users: ["*"], actions: .pull),
        ]
    )

    @Test func grantsAreTheUnionOfMatchingRules() {
        #expect(policy.actions(for: .user("bob"), on: "team-a/app") == [.pull, .push])
        #expect(policy.actions(for: .user("dave"), on: "team-a/app") == .pull)
        #expect(policy.actions(for: .user("bob"), on: "team-b/app") == .pull)
    }

    @Test func adminsMayDoEverythingEverywhere() {
        #expect(policy.actions(for: .user("root"), on: "x/y/z") == .all)
    }

    @Test func anonymousCallersGetOnlyAnonymousRules() {
        #expect(policy.actions(for: .anonymous, on: "public/tools/x") == .pull)
        #expect(policy.actions(for: .anonymous, on: "team-a/app").isEmpty)
        #expect(policy.mayListCatalog(.anonymous))
    }

    @Test func withoutAPolicyAuthenticatedUsersMayDoEverythingAndAnonymousNothing() {
        let open = AccessPolicy.authenticatedUsersOnly
        #expect(open.actions(for: .user("anyone"), on: "a/b") == .all)
        #expect(open.actions(for: .anonymous, on: "a/b").isEmpty)
    }
}
