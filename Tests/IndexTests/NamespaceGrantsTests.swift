import Auth
import Testing
@testable import Index

/// The index's grants as the registry asks them on every request.
@Suite struct NamespaceGrantsTests {
    @Test func aPersonalNamespaceBelongsToItsUserAlone() {
        let grants = NamespaceGrants(defaultVisibility: .private)
        #expect(grants.actions(for: .user("alice"), on: "alice/app") == .all)
        #expect(grants.actions(for: .user("alice"), on: "alice/deep/app") == .all)
        #expect(grants.actions(for: .user("alice"), on: "alicex/app").isEmpty)
        #expect(grants.actions(for: .user("alice"), on: "alice").isEmpty)
        #expect(grants.actions(for: .anonymous, on: "alice/app").isEmpty)
    }

    @Test func anUnknownRepositoryIsNotPublicEvenWhenThatIsTheDefault() {
        let grants = NamespaceGrants(defaultVisibility: .public)
        #expect(grants.actions(for: .anonymous, on: "alice/ghost").isEmpty)
        grants.noteRepository("alice/app")
        #expect(grants.actions(for: .anonymous, on: "alice/app") == .pull)
        grants.update("alice/app") { $0.visibility = .private }
        #expect(grants.actions(for: .user("bob"), on: "alice/app").isEmpty)
    }

    @Test func collaboratorsHoldTheirRole() {
        let grants = NamespaceGrants(defaultVisibility: .private)
        grants.update("alice/app") { $0.collaborators = ["bob": .read, "carol": .write, "dave": .admin] }
        #expect(grants.actions(for: .user("bob"), on: "alice/app") == .pull)
        #expect(grants.actions(for: .user("carol"), on: "alice/app") == [.pull, .push])
        #expect(grants.actions(for: .user("dave"), on: "alice/app") == .all)
        #expect(grants.actions(for: .user("erin"), on: "alice/app").isEmpty)
        grants.forget("alice/app")
        #expect(grants.actions(for: .user("bob"), on: "alice/app").isEmpty)
    }
}

/// Organisations in the grants: their teams' permissions, and no personal rights inside.
@Suite struct OrganizationGrantsTests {
    @Test func anOrganisationsNamespaceBelongsToItsTeamsAlone() {
        let grants = NamespaceGrants(defaultVisibility: .private)
        grants.replaceOrganizations(["acme": ["alice": .admin, "bob": .write, "carol": .read]])
        #expect(grants.actions(for: .user("alice"), on: "acme/app") == .all)
        #expect(grants.actions(for: .user("bob"), on: "acme/app") == [.pull, .push])
        #expect(grants.actions(for: .user("carol"), on: "acme/app") == .pull)
        #expect(grants.actions(for: .user("acme"), on: "acme/app").isEmpty)
        #expect(grants.actions(for: .user("dave"), on: "acme/app").isEmpty)
        #expect(grants.isOrganization("acme") && !grants.isOrganization("alice"))
        grants.update("acme/app") { $0.collaborators = ["dave": .read] }
        #expect(grants.actions(for: .user("dave"), on: "acme/app") == .pull)
    }

    @Test func theStrongerOfTwoTeamsHolds() {
        #expect(RepositoryIndex.stronger(.read, .write) == .write)
        #expect(RepositoryIndex.stronger(.admin, .read) == .admin)
        #expect(RepositoryIndex.stronger(nil, .read) == .read)
    }
}
