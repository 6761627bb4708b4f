import Foundation
import Testing
@testable import Notifications

@Suite struct EventQueueTests {
    func event(_ tag: String, action: String = "push", mediaType: String = "application/vnd.oci.image.manifest.v1+json") -> RegistryEvent {
        RegistryEvent(
            action: action,
            target: .init(mediaType: mediaType, digest: "sha256:" + String(repeating: "a", count: 64), size: 3, repository: "r", tag: tag),
            request: .init(id: "1", addr: "127.0.0.1:1", host: "h", method: "PUT", useragent: "test"),
            source: .init(addr: "h:5000", instanceID: "i")
        )
    }

    func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("pier-queue-\(UUID().uuidString)").path
    }

    @Test func keepsOrderAndSurvivesReopening() async throws {
        let path = directory()
        let queue = try await EventQueue<RegistryEvent>(directory: path)
        for tag in ["a", "b", "c"] { try await queue.append(event(tag)) }
        let first = try await queue.peek(2)
        #expect(first.map(\.1.target.tag) == ["a", "b"])
        try await queue.acknowledge(first.map(\.0))

        let reopened = try await EventQueue<RegistryEvent>(directory: path)
        #expect(reopened.depth == 1)
        try await reopened.append(event("d"))
        let rest = try await reopened.peek(10)
        #expect(rest.map(\.1.target.tag) == ["c", "d"])
    }

    @Test func endpointsFilterByActionAndMediaType() {
        var endpoint = NotificationEndpoint(name: "e", url: "http://x")
        endpoint.ignoredActions = ["pull"]
        endpoint.ignoredMediaTypes = ["application/octet-stream"]
        #expect(endpoint.accepts(event("a")))
        #expect(!endpoint.accepts(event("a", action: "pull")))
        #expect(!endpoint.accepts(event("a", mediaType: "application/octet-stream")))
    }

    @Test func endpointsWhoseNamesCleanToOneGetQueuesOfTheirOwnAndAUniqueNameKeepsItsOwn() {
        let endpoints = [
            NotificationEndpoint(name: "audit log", url: "http://a"),
            NotificationEndpoint(name: "audit_log", url: "http://b"),
            NotificationEndpoint(name: "audit_log", url: "http://b"),
            NotificationEndpoint(name: "solo", url: "http://c"),
        ]
        let names = Notifier.queueDirectories(endpoints)
        #expect(Set(names).count == 4)
        // The first keeps the name it always had, and a backlog left under it.
        #expect(names[0] == "audit_log" && names[3] == "solo")
        // Rotating a password in a later one's URL keeps its queue.
        #expect(Notifier.queueDirectories([endpoints[0], NotificationEndpoint(name: "audit_log", url: "http://user:old@b")])
            == Notifier.queueDirectories([endpoints[0], NotificationEndpoint(name: "audit_log", url: "http://user:new@b")]))
        #expect(names.allSatisfy { !$0.contains("/") && !$0.contains(" ") })
        // The same list names the same directories at the next start.
        #expect(Notifier.queueDirectories(endpoints) == names)
    }

    @Test func aURLsCredentialsBecomeBasicAuthenticationUnlessAnAuthorizationIsConfigured() {
        var endpoint = NotificationEndpoint(name: "e", url: "https://hook:s3cr%40t@receiver.example:8443/events?x=1")
        #expect(endpoint.destination.url == "https://receiver.example:8443/events?x=1")
        #expect(endpoint.destination.authorization == "Basic " + Data("hook:s3cr@t".utf8).base64EncodedString())
        #expect(!endpoint.displayURL.contains("s3cr") && !endpoint.displayURL.contains("hook"))
        #expect(!NotificationEndpoint(name: "e", url: "https://T0KEN@receiver.example/x").displayURL.contains("T0KEN"))
        endpoint.headers = [("authorization", ["Bearer t"])]
        #expect(endpoint.destination.authorization == nil)
        #expect(NotificationEndpoint(name: "e", url: "http://receiver.example/events").destination.authorization == nil)
    }

    @Test func envelopeHasDistributionsShape() throws {
        let data = try JSONEncoder().encode(EventEnvelope(events: [event("v1")]))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(object["events"] as? [[String: Any]])
        #expect(Set(events[0].keys) == ["id", "timestamp", "action", "target", "request", "actor", "source"])
        let target = try #require(events[0]["target"] as? [String: Any])
        #expect(target["length"] as? Int == 3 && target["size"] as? Int == 3)
    }
}
