import Foundation
import Logging
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

/// A webhook's delivery history stays bounded.
@Suite struct WebhookHistoryTests {
    @Test func onlyTheNewestDeliveriesAreKept() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pier-hooks-\(UUID().uuidString).db").path
        let index = try await RepositoryIndex(database: try await SQLiteIndexDatabase.open(path: file, logger: Logger(label: "test")), logger: Logger(label: "test"))
        try await index.createWebhook(Webhook(
            id: "h1", target: "team/app", url: "https://example.com/", events: [.push], format: .dockerhub, secret: "",
            active: true, createdAt: 1, createdBy: "alice"
        ))
        for n in 1...12 {
            try await index.recordDelivery(WebhookDelivery(
                id: "d\(n)", webhook: "h1", eventID: "e\(n)", event: "push", job: "{}", attempt: 1, deliveredAt: Int64(n),
                status: 200, durationMilliseconds: 1, error: "", requestExcerpt: "", responseExcerpt: "", redeliveryOf: nil
            ), keep: 5)
        }
        let (kept, total) = try await index.deliveries(of: "h1", limit: 100, offset: 0)
        #expect(total == 5 && kept.map(\.id) == ["d12", "d11", "d10", "d9", "d8"])
        await index.database.close()
    }
}
