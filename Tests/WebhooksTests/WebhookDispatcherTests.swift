import Foundation
import Index
import Logging
import Net
import Notifications
import OCI
import Registry
import Testing
@testable import Webhooks

/// The dispatcher and its queues on disk.
@Suite struct WebhookDispatcherTests {
    /// Hook ids are hex, as the API makes them: a queue's directory is found by its name.
    let hookID = "00000000000000a1"
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pier-webhooks-\(UUID().uuidString)").path

    func dispatcher(capacity: Int? = nil) throws -> WebhookDispatcher {
        WebhookDispatcher(
            directory: directory, policy: WebhookAddressPolicy(allowed: try AddressRanges(parsing: ["127.0.0.0/8"])),
            baseURL: "", logger: Logger(label: "test"), queueCapacity: capacity
        )
    }

    // MARK: Redelivery

    @Test func aRedeliveryIntoAFullQueueSaysItWasNotQueued() async throws {
        let dispatcher = try dispatcher(capacity: 1)
        let job = WebhookJob(id: "e1", hook: hookID, event: .push, repository: "x/app", tag: "v1", actor: "alice", time: 1)
        let delivery = WebhookDelivery(
            id: "d1", webhook: hookID, eventID: "e1", event: "push", job: String(decoding: try JSONEncoder().encode(job), as: UTF8.self),
            attempt: 1, deliveredAt: 1, status: 500, durationMilliseconds: 1, error: "answered 500", requestExcerpt: "", responseExcerpt: "",
            redeliveryOf: nil
        )
        try await dispatcher.redeliver(delivery)
        await #expect(throws: WebhookError.self) { try await dispatcher.redeliver(delivery) }
        #expect(try await dispatcher.queues.queue(hookID).depth == 1)
    }
}
