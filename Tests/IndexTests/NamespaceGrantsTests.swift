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
