import Foundation
import Index
import Logging
import Net
import Notifications
import OCI
import Registry
import Synchronization
import Testing
@testable import Webhooks

/// The dispatcher over a real SQLite index, its queues on disk, and a receiver on 127.0.0.1.
@Suite struct WebhookDispatcherTests {
    let repository = RepositoryName("alice/del")!
    let digest = Digest.of(Array("a manifest".utf8))
    /// Hook ids are hex, as the API makes them: a queue's directory is found by its name.
    let hookID = "00000000000000a1"
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pier-webhooks-\(UUID().uuidString)").path

    func openIndex() async throws -> RepositoryIndex {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pier-hooks-\(UUID().uuidString).db").path
        return try await RepositoryIndex(database: try await SQLiteIndexDatabase.open(path: file, logger: Logger(label: "test")), logger: Logger(label: "test"))
    }

    func dispatcher(
        externalURL: String? = nil, pathPrefix: String = "", webPrefix: String = "", capacity: Int? = nil,
        refusals: WebhookDispatcher.RefusalPolicy = .init()
    ) throws -> WebhookDispatcher {
        WebhookDispatcher(
            directory: directory, policy: WebhookAddressPolicy(allowed: try AddressRanges(parsing: ["127.0.0.0/8"])),
            externalURL: externalURL, pathPrefix: pathPrefix, webPrefix: webPrefix, logger: Logger(label: "test"), queueCapacity: capacity,
            refusalPolicy: refusals
        )
    }

    func hook(url: String, format: Webhook.Format = .dockerhub, id: String? = nil, createdAt: Int64 = 1) -> Webhook {
        Webhook(
            id: id ?? hookID, target: repository.description, url: url, events: [.push, .tagDelete, .manifestDelete], format: format,
            secret: "s3cr3t", active: true, createdAt: createdAt, createdBy: "alice"
        )
    }

    /// A dispatcher whose database answers a push's question with `answer`; by default,
    /// never in time.
    func dispatcherOfALateIndex(answering answer: String? = nil) throws -> WebhookDispatcher {
        WebhookDispatcher(
            directory: directory, policy: WebhookAddressPolicy(allowed: try AddressRanges(parsing: ["127.0.0.0/8"])),
            externalURL: nil, pathPrefix: "", webPrefix: "", logger: Logger(label: "test"), queueCapacity: nil,
            refusalPolicy: .init(), settingsCheck: { _ in answer }
        )
    }

    func push(_ tag: String, origin: RequestOrigin = RequestOrigin(actor: "alice")) -> ContentEvent {
        ContentEvent(.push, repository, .manifest(digest, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 2), tag: Tag(tag)!, origin: origin)
    }

    /// Runs the dispatcher's deliveries while `body` runs.
    func delivering<T: Sendable>(_ dispatcher: WebhookDispatcher, _ body: () async throws -> T) async throws -> T {
        let loop = Task { await dispatcher.run() }
        defer { loop.cancel() }
        return try await body()
    }

    func json(_ body: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    // MARK: A late index

    @Test func aPushFiledWhileTheIndexWasLateReachesAHookMadeJustBeforeItOnceTheIndexAnswers() async throws {
        let index = try await openIndex()
        let receiver = try await WebhookReceiver.start()
        let dispatcher = try dispatcherOfALateIndex()
        dispatcher.attach(index)
        await dispatcher.reload()
        // Made through another instance: this one's memory does not have it yet, and the
        // push cannot learn of it from a database that does not answer in time.
        try await index.createWebhook(hook(url: receiver.url()))
        await dispatcher.receive(push("v1"))
        #expect(try await dispatcher.queues.queue(hookID).depth == 0)
        #expect(dispatcher.lateEvents.withLock { $0.count } == 1)
        // The pass that notices the other instance's change reloads; the event is then
        // filed for the hook, once.
        await dispatcher.reload()
        let bodies = try await delivering(dispatcher) {
            let got = try await receiver.wait { !$0.isEmpty }
            try await Task.sleep(for: .seconds(1))
            return got
        }
        try await receiver.stop()
        #expect(bodies.count == 1 && receiver.bodies.count == 1)
        let body = try json(try #require(bodies.first))
        #expect((body["push_data"] as? [String: Any])?["tag"] as? String == "v1")
        #expect(dispatcher.lateEvents.withLock { $0.isEmpty })
        await index.database.close()
    }

    @Test func aLateEventIsNotFiledAgainForAHookItReachedNorForOneMadeAfterIt() async throws {
        let index = try await openIndex()
        let dispatcher = try dispatcherOfALateIndex()
        try await index.createWebhook(hook(url: "http://127.0.0.1:9/hook"))
        dispatcher.attach(index)
        await dispatcher.reload()
        await dispatcher.receive(push("v1"))
        #expect(try await dispatcher.queues.queue(hookID).depth == 1)
        let later = "00000000000000b2"
        try await index.createWebhook(hook(url: "http://127.0.0.1:9/later", id: later, createdAt: IndexClock.now() + 60_000))
        await dispatcher.reload()
        await dispatcher.settle(dispatcher.takeLateEvents())
        #expect(try await dispatcher.queues.queue(hookID).depth == 1)
        #expect(try await dispatcher.queues.queue(later).depth == 0)
        #expect(dispatcher.lateEvents.withLock { $0.isEmpty })
        await index.database.close()
    }

    @Test func aLateEventIsNotFiledForAHookThatKnewItAndDidNotWantItThen() async throws {
        let index = try await openIndex()
        let dispatcher = try dispatcherOfALateIndex()
        var deaf = hook(url: "http://127.0.0.1:9/hook")
        deaf.events = [.tagDelete]
        try await index.createWebhook(deaf)
        dispatcher.attach(index)
        await dispatcher.reload()
        await dispatcher.receive(push("v1"))
        // Changed to hear pushes after the push: it does not get the one it did not want.
        _ = try await index.deleteWebhook(hookID, of: repository.description)
        try await index.createWebhook(hook(url: "http://127.0.0.1:9/hook"))
        await dispatcher.reload()
        await dispatcher.settle(dispatcher.takeLateEvents())
        #expect(try await dispatcher.queues.queue(hookID).depth == 0)
        await index.database.close()
    }

    @Test func aPushWhoseHooksCouldNotBeReadIsKeptForThePassThatCan() async throws {
        let index = try await openIndex()
        // The database answers, and says the hooks changed: they must be read again.
        let dispatcher = try dispatcherOfALateIndex(answering: "changed through another instance")
        try await index.createWebhook(hook(url: "http://127.0.0.1:9/hook"))
        dispatcher.attach(index)
        await dispatcher.reload()
        // Reading them fails.
        try await index.database.execute("ALTER TABLE webhooks RENAME TO webhooks_away", [])
        await dispatcher.receive(push("v1"))
        #expect(try await dispatcher.queues.queue(hookID).depth == 1)
        #expect(dispatcher.lateEvents.withLock { $0.count } == 1)
        await index.database.close()
    }

    // MARK: Refusals

    @Test func anEventTheReceiverKeepsRefusingIsGivenUpOnlyAfterRefusalsInARowOverThePatience() async throws {
        let index = try await openIndex()
        let receiver = try await WebhookReceiver.start()
        receiver.answer(422)
        // Three refusals over a second at least (the backoff makes the third 3 s after the first).
        let dispatcher = try dispatcher(refusals: .init(count: 3, patience: .seconds(1)))
        try await index.createWebhook(hook(url: receiver.url()))
        dispatcher.attach(index)
        await dispatcher.reload()
        await dispatcher.receive(push("bad"))
        await dispatcher.receive(push("good"))
        let delivered = try await delivering(dispatcher) { () async throws -> [String] in
            let deadline = ContinuousClock.now + .seconds(30)
            while receiver.refused.count < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            receiver.answer(200)
            return try await receiver.wait(seconds: 30) { !$0.isEmpty }
        }
        try await receiver.stop()
        // The refused event held the next one back until it was given up, and was never sent again.
        // (The next may be refused too before the receiver is told to take it.)
        #expect(receiver.refused.count >= 3)
        #expect(receiver.refused.prefix(3).allSatisfy { $0.contains("\"bad\"") })
        #expect(receiver.refused.dropFirst(3).allSatisfy { $0.contains("\"good\"") })
        #expect(delivered.count == 1 && delivered[0].contains("\"good\""))
        let history = try await index.deliveries(of: hookID, limit: 10, offset: 0)
        #expect(history.deliveries.contains { $0.error.contains("given up") })
        await index.database.close()
    }

    @Test func aRefusalAfterTheReceiverWasDownStartsTheCountAgain() {
        // The count is of refusals in a row: anything else (no answer, 5xx) resets it.
        var refusals = WebhookDispatcher.Refusals()
        refusals.count = 4
        refusals = WebhookDispatcher.Refusals()
        #expect(refusals.count == 0 && refusals.since == nil)
        #expect(WebhookDispatcher.isRefusal(404) && WebhookDispatcher.isRefusal(401))
        #expect(!WebhookDispatcher.isRefusal(408) && !WebhookDispatcher.isRefusal(429) && !WebhookDispatcher.isRefusal(503))
    }

    // MARK: A repository's deletion

    @Test func aRepositorysDeletionReachesTheHooksThatWentWithIt() async throws {
        let index = try await openIndex()
        let receiver = try await WebhookReceiver.start()
        let dispatcher = try dispatcher()
        try await index.createWebhook(hook(url: receiver.url()))
        dispatcher.attach(index)
        await dispatcher.reload()
        // What `Registry.deleteRepository` publishes, then what the index API does next:
        // the repository is forgotten, its hooks with it, before anything is delivered.
        await dispatcher.receive(ContentEvent(
            .delete, repository, .manifest(digest, mediaType: nil, size: nil), origin: RequestOrigin(actor: "alice"), repositoryDeletion: true
        ))
        try await index.forgetRepository(repository.description)
        await dispatcher.reload()
        #expect(try await index.webhook(hookID) == nil)
        let bodies = try await delivering(dispatcher) {
            let got = try await receiver.wait { !$0.isEmpty }
            // Pushed again under the name, the repository has none of the old hooks.
            await dispatcher.receive(push("again"))
            try await Task.sleep(for: .seconds(1))
            return got
        }
        try await receiver.stop()
        #expect(bodies.count == 1 && receiver.bodies.count == 1)
        let body = try json(try #require(bodies.first))
        #expect(body["event"] as? String == "manifest_delete")
        #expect((body["push_data"] as? [String: Any])?["digest"] as? String == digest.description)
        // Its history went with it: nothing was recorded for a hook that is not there.
        #expect(try await index.deliveries(of: hookID, limit: 10, offset: 0).total == 0)
        await index.database.close()
    }

    @Test func aHookThatDoesNotHearDeletionsStillGetsWhatWasQueuedBeforeItsRepositoryWentAndNothingAfter() async throws {
        let index = try await openIndex()
        let receiver = try await WebhookReceiver.start()
        let dispatcher = try dispatcher()
        var pushesOnly = hook(url: receiver.url())
        pushesOnly.events = [.push]
        try await index.createWebhook(pushesOnly)
        dispatcher.attach(index)
        await dispatcher.reload()
        // Queued while nothing delivers (a receiver that is down), then the deletion.
        await dispatcher.receive(push("v1"))
        await dispatcher.receive(ContentEvent(
            .delete, repository, .manifest(digest, mediaType: nil, size: nil), origin: RequestOrigin(actor: "alice"), repositoryDeletion: true
        ))
        try await index.forgetRepository(repository.description)
        await dispatcher.reload()
        let bodies = try await delivering(dispatcher) {
            let got = try await receiver.wait { !$0.isEmpty }
            await dispatcher.receive(push("again"))
            try await Task.sleep(for: .seconds(1))
            return got
        }
        try await receiver.stop()
        #expect(bodies.count == 1 && receiver.bodies.count == 1)
        #expect(try json(try #require(bodies.first))["event"] as? String == "push" && bodies[0].contains("\"v1\""))
        await index.database.close()
    }

    @Test func aHookDeletedOnItsOwnIsNotSentWhatWasQueuedForIt() async throws {
        let index = try await openIndex()
        let receiver = try await WebhookReceiver.start()
        let dispatcher = try dispatcher()
        try await index.createWebhook(hook(url: receiver.url()))
        dispatcher.attach(index)
        await dispatcher.reload()
        await dispatcher.receive(push("v1"))
        #expect(try await index.deleteWebhook(hookID, of: repository.description))
        await dispatcher.reload()
        let queue = directory + "/" + hookID
        #expect(FileManager.default.fileExists(atPath: queue))
        let emptied = try await delivering(dispatcher) {
            let deadline = ContinuousClock.now + .seconds(20)
            while FileManager.default.fileExists(atPath: queue), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            return !FileManager.default.fileExists(atPath: queue)
        }
        try await receiver.stop()
        #expect(emptied && receiver.bodies.isEmpty)
        await index.database.close()
    }

    @Test func theJobsOfARepositorysDeletionCarryItsHookAsItWasAndEverythingQueuedUpToThemIsSentAsThatHook() async throws {
        let index = try await openIndex()
        let dispatcher = try dispatcher()
        try await index.createWebhook(hook(url: "http://127.0.0.1:9/hook", format: .cloudevents))
        dispatcher.attach(index)
        await dispatcher.reload()
        await dispatcher.receive(push("v1"))
        await dispatcher.receive(ContentEvent(
            .delete, repository, .manifest(digest, mediaType: nil, size: nil), origin: RequestOrigin(actor: "alice"), repositoryDeletion: true
        ))
        let jobs = try await dispatcher.queues.queue(hookID).peek(10).map(\.1)
        #expect(jobs.map(\.event) == [.push, .manifestDelete])
        // An ordinary event carries nothing of its hook; the deletion's carries all it needs.
        #expect(jobs[0].retiredHook == nil)
        let retired = try #require(jobs[1].retiredHook)
        #expect(retired.url == "http://127.0.0.1:9/hook" && retired.format == .cloudevents && retired.secret == "s3cr3t")
        // The worker of a hook found gone sends everything up to the deletion, as it was.
        let retirement = try #require(try await WebhookDispatcher.retirement(in: try await dispatcher.queues.queue(hookID)))
        #expect(retirement.hook.url == retired.url && retirement.hook.secret == "s3cr3t" && retirement.hook.id == hookID)
        let sequences = try await dispatcher.queues.queue(hookID).peek(10).map(\.0)
        #expect(retirement.through == sequences.last)
        await index.database.close()
    }

    // MARK: Links

    @Test func withoutHTTPHostLinksStartAsTheRequestReachedTheRegistryAndTheRepositoryURLIsItsPageUnderTheWebPrefix() throws {
        let dispatcher = try dispatcher(pathPrefix: "/reg", webPrefix: "/ui")
        let job = WebhookJob(
            id: "e1", hook: hookID, event: .push, repository: "x/app", tag: "v1", actor: "alice", time: 1_700_000_000_000,
            linkBase: "http://registry.example:5000/reg"
        )
        let links = dispatcher.links(for: job)
        #expect(links == WebhookPayload.Links(registry: "http://registry.example:5000/reg", web: "/ui"))
        let facts = WebhookPayload.RepositoryFacts(description: "", overview: "", isPrivate: false, starCount: 0, commentCount: 0, createdAt: 0)
        let hub = WebhookPayload(job: job, hook: hook(url: "http://127.0.0.1:9/"), delivery: "d1", repository: facts, links: links)
        let described = try #require(try json(String(decoding: hub.body, as: UTF8.self))["repository"] as? [String: Any])
        #expect(described["repo_url"] as? String == "http://registry.example:5000/reg/ui/r/x/app")
        let cloud = WebhookPayload(job: job, hook: hook(url: "http://127.0.0.1:9/", format: .cloudevents), delivery: "d1", repository: facts, links: links)
        #expect(try json(String(decoding: cloud.body, as: UTF8.self))["source"] as? String == "http://registry.example:5000/reg/x/app")
        // The doors fill in how the client reached the registry only for a sink that asks.
        #expect(dispatcher.detail == .links)
    }

    @Test func httpHostWinsOverTheRequestsBase() throws {
        let dispatcher = try dispatcher(externalURL: "https://pier.example.com/", pathPrefix: "/reg", webPrefix: "/ui")
        let job = WebhookJob(
            id: "e1", hook: hookID, event: .push, repository: "x/app", actor: "alice", time: 1, linkBase: "http://10.0.0.5:5000/reg"
        )
        #expect(dispatcher.links(for: job) == WebhookPayload.Links(registry: "https://pier.example.com/reg", web: "/ui"))
        #expect(dispatcher.detail == .actor)
    }

    @Test func aPushQueuesTheBaseOfTheRequestThatCausedItSoARetryAfterARestartLinksAlike() async throws {
        let index = try await openIndex()
        let dispatcher = try dispatcher()
        try await index.createWebhook(hook(url: "http://127.0.0.1:9/hook"))
        dispatcher.attach(index)
        await dispatcher.reload()
        await dispatcher.receive(push("v1", origin: RequestOrigin(actor: "alice", host: "registry.example:5000", linkBase: "http://registry.example:5000")))
        // Read back from disk, as a restarted instance reads its queues.
        let reopened = WebhookQueues(directory: directory)
        let job = try #require(try await reopened.queue(hookID).peek(1).first?.1)
        #expect(job.linkBase == "http://registry.example:5000")
        await index.database.close()
    }

    @Test func aJobQueuedByAnEarlierVersionIsStillReadAndLinksToThePathAlone() throws {
        let earlier = #"{"id":"e1","hook":"00000000000000a1","event":"push","repository":"x/app","tag":"v1","actor":"alice","time":1700000000000}"#
        let job = try JSONDecoder().decode(WebhookJob.self, from: Data(earlier.utf8))
        #expect(job.tag == "v1" && job.linkBase == nil && job.retiredHook == nil)
        #expect(try dispatcher(webPrefix: "/ui").links(for: job) == WebhookPayload.Links(registry: "", web: "/ui"))
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
