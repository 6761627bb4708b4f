import AsyncHTTPClient
import Foundation
public import Index
public import Logging
import NIOCore
import Net
import Notifications
import OCI
public import Registry
import Synchronization

/// Repository webhooks: hears the registry's events (a sink beside notifications and the
/// index), queues one job per matching hook in that hook's durable queue before the push is
/// answered, and delivers each queue in order, retrying with backoff until the receiver
/// answers 2xx. Every attempt is written to the hook's delivery history in the index.
///
/// Each instance delivers the events it caused, from its own disk, so with several
/// instances every event is delivered once; the hooks themselves and their history live
/// in the shared database.
public final class WebhookDispatcher: ContentEventSink {
    /// The active hooks by what they hear (``key(_:_:)``), as the index last said.
    private let hooks = Mutex<[String: [Webhook]]>([:])
    private let index = Mutex<RepositoryIndex?>(nil)
    /// Internal for the tests, which look at what was queued.
    let queues: WebhookQueues
    private let policy: WebhookAddressPolicy
    /// `http.host`, for the links in payloads; nil: each job's own ``WebhookJob/linkBase``.
    private let externalURL: String?
    /// `http.prefix`, which the registry and the web UI sit under.
    private let pathPrefix: String
    /// `web.prefix`: where the web UI's pages are below `pathPrefix`.
    private let webPrefix: String
    let logger: Logger
    /// True until a reload has read the hooks, and again after one failed: the hooks in
    /// memory are then not the database's, and the next supervision pass reloads at once.
    private let dirty = Atomic<Bool>(true)
    private let version = Mutex<String>("")
    /// The hooks a worker is delivering for now.
    private let running = Mutex<Set<String>>([])
    /// Events filed while the shared settings could not be read in time, for the hooks a
    /// later reload finds (``LateEvent``).
    let lateEvents = Mutex<[LateEvent]>([])
    /// The shared settings version as a tagged push may wait for it: nil when it is late.
    private let settingsCheck: @Sendable (RepositoryIndex) async -> String?
    /// How long one delivery may take.
    static let timeout = Duration.seconds(10)
    /// The longest wait between two attempts.
    static let maximumBackoff = Duration.seconds(60)
    /// When an event a receiver keeps refusing (a 4xx other than 408 and 429) is given up:
    /// after `count` refusals in a row spanning `patience` at least, so a receiver that
    /// answers 404 while it is deployed, or 401 until its token is put right, loses nothing.
    public struct RefusalPolicy: Sendable {
        public var count: Int
        public var patience: Duration
        public init(count: Int = 5, patience: Duration = .seconds(300)) {
            self.count = count
            self.patience = patience
        }
    }

    /// Refusals in a row of the event at the head of a hook's queue.
    struct Refusals {
        var count = 0
        var since: ContinuousClock.Instant?
    }

    private let refusalPolicy: RefusalPolicy

    /// Whether `status` says the receiver will not take the event, rather than that it
    /// cannot now (timeouts and rate limits are the latter).
    static func isRefusal(_ status: UInt) -> Bool {
        (400..<500).contains(status) && status != 408 && status != 429
    }
    /// How long a hook gone with its repository is still retried after the deletion, in
    /// milliseconds: nobody can see its history or delete it any more, so a receiver gone
    /// for good must not keep it retrying for ever.
    static let retiredHookPatience: Int64 = 24 * 60 * 60 * 1000

    /// - Parameters:
    ///   - externalURL: `http.host`; nil: links start as the request that caused the event
    ///     reached the registry.
    ///   - pathPrefix: `http.prefix`.
    ///   - webPrefix: `web.prefix`.
    ///   - queueCapacity: jobs a hook's queue keeps at most; nil: the queues' standard capacity.
    public convenience init(
        directory: String, policy: WebhookAddressPolicy, externalURL: String?, pathPrefix: String = "", webPrefix: String = "",
        logger: Logger, queueCapacity: Int? = nil, refusalPolicy: RefusalPolicy = RefusalPolicy()
    ) {
        self.init(
            directory: directory, policy: policy, externalURL: externalURL, pathPrefix: pathPrefix, webPrefix: webPrefix,
            logger: logger, queueCapacity: queueCapacity, refusalPolicy: refusalPolicy,
            settingsCheck: { await WebhookDispatcher.settingsVersion(of: $0, within: .milliseconds(250)) }
        )
    }

    /// `settingsCheck` stands for the database's answer in the tests, which make it late.
    init(
        directory: String, policy: WebhookAddressPolicy, externalURL: String?, pathPrefix: String, webPrefix: String,
        logger: Logger, queueCapacity: Int?, refusalPolicy: RefusalPolicy,
        settingsCheck: @escaping @Sendable (RepositoryIndex) async -> String?
    ) {
        self.settingsCheck = settingsCheck
        self.refusalPolicy = refusalPolicy
        self.queues = WebhookQueues(directory: directory, capacity: queueCapacity)
        self.policy = policy
        self.externalURL = externalURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.pathPrefix = pathPrefix
        self.webPrefix = webPrefix
        self.logger = logger
    }

    /// Who acted, and, without `http.host`, the whole origin: its ``RequestOrigin/linkBase``
    /// (how the client reached the registry) is where the payload's links point.
    public var detail: EventDetail { externalURL == nil ? .links : .actor }

    /// Where the links in `job`'s payload point: under `http.host` when it is set, else as
    /// the client whose request caused the event reached the registry; only the path when
    /// neither is known (internal work, a job queued by an earlier version).
    func links(for job: WebhookJob) -> WebhookPayload.Links {
        WebhookPayload.Links(registry: externalURL.map { $0 + pathPrefix } ?? job.linkBase.flatMap(Self.plainBase) ?? pathPrefix, web: webPrefix)
    }

    /// `base` when it is `http` or `https` and a host (a name or address, a port) with
    /// nothing after it but a path: it comes from the pushing client's `Host` and
    /// `X-Forwarded-*` headers, which any client sets, and goes into a signed payload a
    /// receiver trusts (`javascript:`, or a host with `?`, would be links of the pusher's choosing).
    static func plainBase(_ base: String) -> String? {
        guard let parts = URLComponents(string: base), let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = parts.host, !host.isEmpty, parts.user == nil, parts.password == nil, parts.query == nil, parts.fragment == nil,
              host.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || ".-:[]".unicodeScalars.contains($0)) })
        else { return nil }
        return base
    }

    /// Connects the dispatcher to the open index.
    public func attach(_ index: RepositoryIndex) {
        self.index.withLock { $0 = index }
    }

    /// Queues `event` for every active hook of its repository that wants it. Only tagged
    /// pushes count as pushes (a multi-arch push is one event, for its tag).
    public func receive(_ event: ContentEvent) async {
        let kind: Webhook.Event
        var digest: String?
        var mediaType: String?
        switch (event.action, event.object) {
        case (.push, .manifest(let manifest, let type, _)) where event.tag != nil:
            kind = .push
            digest = manifest.description
            mediaType = type
        case (.delete, .tag):
            kind = .tagDelete
        case (.delete, .manifest(let manifest, _, _)):
            kind = .manifestDelete
            digest = manifest.description
        default:
            return
        }
        // The event's time, before any wait: a hook made during the wait came after it.
        let time = IndexClock.now()
        // A hook made through another instance reaches this one's memory at its next pass
        // (a quarter of a second): the shared version is asked first, so a push made here
        // right after a hook was made there is heard. The push waits for that answer only
        // briefly: a database that does not answer at once, or whose hooks cannot be read,
        // leaves the hooks as they were for now, and the event is kept for the supervision
        // pass that reads them (``LateEvent``).
        var current = true
        if let index = index.withLock({ $0 }) {
            if let shared = await settingsCheck(index) {
                if dirty.load(ordering: .relaxed) || shared != version.withLock({ $0 }) { await reload() }
                current = !dirty.load(ordering: .relaxed)
            } else {
                current = false
            }
        }
        let repository = event.repository.description
        let all = listeners(of: repository)
        let matching = all.filter { $0.events.contains(kind) }
        // A repository's own hooks that do not hear its deletion still get a mark of it,
        // so what was queued for them before (pushes to a receiver that is down) is sent.
        let marked = event.repositoryDeletion ? all.filter { $0.scope == .repository && !$0.events.contains(kind) } : []
        guard !matching.isEmpty || !marked.isEmpty || !current else { return }
        var tag = event.tag?.description
        if case .tag(let deleted) = event.object { tag = deleted.description }
        let id = UUID.random().uuidString.lowercased()
        let template = WebhookJob(
            id: id, hook: "", event: kind, repository: repository, tag: tag, digest: digest, mediaType: mediaType,
            actor: event.origin.actor ?? "", time: time, linkBase: event.origin.linkBase
        )
        for hook in matching {
            await file(Self.job(template, for: hook, repositoryDeletion: event.repositoryDeletion))
        }
        if !current {
            keep([LateEvent(job: template, repositoryDeletion: event.repositoryDeletion, known: Set(all.map(\.id)))])
        }
        for hook in marked {
            var job = WebhookJob(
                id: id, hook: hook.id, event: kind, repository: repository, actor: event.origin.actor ?? "", time: time,
                retiredHook: WebhookJob.RetiredHook(hook)
            )
            job.marker = true
            // Only behind what is queued: an empty queue needs no mark.
            if let queue = try? await queues.queue(hook.id), queue.depth > 0 { await file(job) }
        }
    }

    /// The active hooks that hear `repository`'s events: its own and its organisation's.
    func listeners(of repository: String) -> [Webhook] {
        // A repository of one component (`acme`) is in no organisation, whatever its name.
        let namespace = NamespaceGrants.owner(of: repository).map(String.init)
        return hooks.withLock { hooks in
            (hooks[Self.key(.repository, repository)] ?? []) + (namespace.flatMap { hooks[Self.key(.organization, $0)] } ?? [])
        }
    }

    /// Appends `job` to its hook's queue; a full queue or a refusing disk is logged.
    func file(_ job: WebhookJob) async {
        do {
            if try await !queues.queue(job.hook).append(job) {
                logger.warning("webhook queue full, event dropped", metadata: ["hook": "\(job.hook)", "repository": "\(job.repository)"])
            }
        } catch {
            logger.error("cannot queue webhook delivery", metadata: ["hook": "\(job.hook)", "error": "\(error)"])
        }
    }

    /// The shared settings version, or nil when the database has not answered within
    /// `limit` (down, or a table locked): a push must not wait on an ailing index.
    static func settingsVersion(of index: RepositoryIndex, within limit: Duration) async -> String? {
        final class FirstAnswer: Sendable {
            let waiting = Mutex<CheckedContinuation<String?, Never>?>(nil)
            func give(_ answer: String?) { waiting.withLock { $0.take() }?.resume(returning: answer) }
        }
        let first = FirstAnswer()
        return await withCheckedContinuation { continuation in
            first.waiting.withLock { $0 = continuation }
            let work = Task {
                let current = try? await index.settingsVersion()
                first.give(current)
            }
            Task {
                // A cancelled sleep is no timeout: the work answered first.
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                first.give(nil)
                // Not left waiting for a pool connection until the database's own deadline.
                work.cancel()
            }
        }
    }

    /// Reads the hooks again now (after a change through the API).
    public func reload() async {
        guard let index = index.withLock({ $0 }) else { return }
        do {
            let current = try await index.settingsVersion()
            var byRepository = [String: [Webhook]]()
            for hook in try await index.activeWebhooks() { byRepository[Self.key(hook.scope, hook.target), default: []].append(hook) }
            hooks.withLock { $0 = byRepository }
            version.withLock { $0 = current }
            dirty.store(false, ordering: .relaxed)
        } catch {
            dirty.store(true, ordering: .relaxed)
            logger.warning("webhooks could not be read", metadata: ["error": "\(error)"])
        }
    }

    /// Where the hooks of a repository or an organisation are filed.
    static func key(_ scope: Webhook.Scope, _ target: String) -> String {
        scope.rawValue + ":" + target
    }

    /// Why a webhook may not target `url` (see ``WebhookAddressPolicy``), or nil.
    public func refusal(for url: String) async -> String? {
        await policy.refusal(for: url)
    }

    /// Queues a redelivery of `delivery`: the same event, sent again as a new attempt.
    /// - Throws: ``WebhookError/queueFull`` when the hook's queue holds all it may: the
    ///   redelivery was not queued, and the caller must not be told it was.
    public func redeliver(_ delivery: WebhookDelivery) async throws {
        guard var job = try? JSONDecoder().decode(WebhookJob.self, from: Data(delivery.job.utf8)) else {
            throw WebhookError.unreadableDelivery
        }
        job.redeliveryOf = delivery.id
        // Sent to the hook as it is now, which a redelivery's hook always is.
        job.retiredHook = nil
        guard try await queues.queue(delivery.webhook).append(job) else { throw WebhookError.queueFull }
    }

    /// Delivers until cancelled: reloads the hooks when they changed (here, or on another
    /// instance), runs a worker for each hook whose queue holds something (an idle hook
    /// costs a glance at its queue's length four times a second), and drops the queues of
    /// hooks that are gone.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            while !Task.isCancelled {
                if let index = index.withLock({ $0 }) {
                    // Only several instances on PostgreSQL change hooks behind this one's back.
                    // Events kept while the database was late are taken before it is asked,
                    // so the hooks read after cover each of them; settled once it answers.
                    let late = takeLateEvents()
                    var changed = false
                    var answered = true
                    if index.database.engine == .postgres || !late.isEmpty {
                        if let shared = try? await index.settingsVersion() {
                            changed = shared != version.withLock { $0 }
                        } else {
                            answered = false
                        }
                    }
                    if dirty.load(ordering: .relaxed) || changed { await reload() }
                    if !late.isEmpty {
                        if answered && !dirty.load(ordering: .relaxed) { await settle(late) } else { keep(late) }
                    }
                    let known = Set(hooks.withLock { $0.values.flatMap { $0.map(\.id) } })
                    for id in await queues.onDisk() where !known.contains(id) && !running.withLock({ $0.contains(id) }) {
                        // A queue left for a hook that is gone, once empty: what it still
                        // holds is for a worker to settle (a repository's deletion is still
                        // sent to the hooks that went with it; anything else is dropped).
                        if let found = try? await index.webhookExists(id), !found, let queue = try? await queues.queue(id), queue.depth == 0 {
                            await queues.remove(id)
                        }
                    }
                    for id in known.union(await queues.onDisk()) {
                        guard let queue = try? await queues.queue(id), queue.depth > 0,
                              running.withLock({ $0.insert(id).inserted }) else { continue }
                        group.addTask {
                            await self.work(id, queue, index)
                            self.running.withLock { _ = $0.remove(id) }
                        }
                    }
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            group.cancelAll()
        }
    }

    /// Delivers hook `id`'s queue in order until it is empty or the task is cancelled.
    private func work(_ id: String, _ queue: EventQueue<WebhookJob>, _ index: RepositoryIndex) async {
        var attempt = 0
        var refusals = Refusals()
        // Once the hook is found gone, what its repository's deletion left in the queue
        // (looked for once: a hook that is gone does not come back).
        var retirement: Retirement?
        var lookedForRetirement = false
        while !Task.isCancelled {
            guard let (sequence, job) = try? await queue.peek(1).first else { return }
            var hook: Webhook?
            do {
                hook = try await index.webhook(id)
            } catch {
                // The database is down: keep the job, try again later.
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            var history = true
            if hook == nil {
                if !lookedForRetirement {
                    do {
                        retirement = try await Self.retirement(in: queue)
                    } catch {
                        // The disk refused: nothing is decided on half a queue.
                        try? await Task.sleep(for: .seconds(1))
                        continue
                    }
                    lookedForRetirement = true
                }
                // Gone with its repository: what was queued up to the deletion is still
                // sent, as the hook was then. Its history went with it: nothing is recorded.
                if let retirement, sequence <= retirement.through {
                    if IndexClock.now() - retirement.since <= Self.retiredHookPatience {
                        hook = retirement.hook
                        history = false
                    } else if sequence == retirement.through {
                        // Said once, as the last of them goes.
                        logger.warning(
                            "webhook of a deleted repository given up", metadata: ["hook": "\(id)", "repository": "\(job.repository)"]
                        )
                    }
                }
            }
            guard let hook, hook.active, job.marker != true else {
                // Deleted (on its own) or switched off: what was queued for it is not sent;
                // a deletion's mark never is.
                try? await queue.acknowledge([sequence])
                continue
            }
            attempt += 1
            if await deliver(job, to: hook, attempt: attempt, refusals: &refusals, index: index, history: history) {
                refusals = Refusals()
                do {
                    try await queue.acknowledge([sequence])
                } catch {
                    // The disk refused: the job stays, and is sent again after a pause.
                    logger.warning("webhook queue cannot be updated", metadata: ["hook": "\(id)", "error": "\(error)"])
                    try? await Task.sleep(for: .seconds(5))
                }
                attempt = 0
            } else {
                try? await Task.sleep(for: min(Duration.seconds(1 << min(attempt - 1, 6)), Self.maximumBackoff))
            }
        }
    }

    /// What the deletion of a hook's repository left in its queue: the last job filed for
    /// it, and the hook as it was then.
    struct Retirement {
        /// The last job of the deletion: jobs up to it are sent, later ones are not (a
        /// repository pushed again under the name does not inherit the hook).
        var through: UInt64
        var hook: Webhook
        /// When the repository was deleted, in milliseconds since 1970.
        var since: Int64
    }

    /// The retirement that `queue`'s jobs carry, or nil when none does (the hook was deleted
    /// on its own). Reads the whole queue, once per worker of a hook that is gone.
    static func retirement(in queue: EventQueue<WebhookJob>) async throws -> Retirement? {
        let jobs = try await queue.peek(queue.depth)
        guard let (sequence, job) = jobs.last(where: { $0.1.retiredHook != nil }), let retired = job.retiredHook else { return nil }
        return Retirement(through: sequence, hook: retired.webhook(id: job.hook, repository: job.repository), since: job.time)
    }

    /// One attempt; true when the job is done with (delivered, or never deliverable).
    /// - Parameter history: whether the attempt is recorded (not for a hook that is gone).
    private func deliver(
        _ job: WebhookJob, to hook: Webhook, attempt: Int, refusals: inout Refusals, index: RepositoryIndex, history: Bool = true
    ) async -> Bool {
        var generator = SystemRandomNumberGenerator()
        let id = String((0..<16).map { _ in "0123456789abcdef".randomElement(using: &generator) ?? "0" })
        // The history (and a redelivery from it) never holds a secret.
        var recorded = job
        recorded.retiredHook = nil
        let jobText = (try? String(decoding: JSONEncoder().encode(recorded), as: UTF8.self)) ?? "{}"
        var record = WebhookDelivery(
            id: id, webhook: hook.id, eventID: job.id, event: job.event.rawValue, job: jobText, attempt: attempt,
            deliveredAt: IndexClock.now(), status: 0, durationMilliseconds: 0, error: "", requestExcerpt: "", responseExcerpt: "",
            redeliveryOf: job.redeliveryOf
        )
        var finished = false
        let started = ContinuousClock.now
        switch await policy.resolve(hook.url) {
        case .refused(let reason):
            // Retrying will not make the address public: the job is dropped, and said so.
            record.error = "not sent: " + reason
            finished = true
        case .unresolvable(let reason):
            record.error = "not sent: " + reason
            refusals = Refusals()
        case .allowed(let host, let address):
            // A deleted repository's hook says nothing of what has its name now (pushed
            // again, perhaps private, by someone else): no facts.
            let facts = history ? await repositoryFacts(job.repository, index)
                : .init(description: "", overview: "", isPrivate: false, starCount: 0, commentCount: 0, createdAt: 0)
            let payload = WebhookPayload(job: job, hook: hook, delivery: id, repository: facts, links: links(for: job))
            record.requestExcerpt = String(decoding: payload.body.prefix(2048), as: UTF8.self)
            var request = HTTPClientRequest(url: hook.url)
            request.method = .POST
            for (name, value) in payload.headers { request.headers.add(name: name, value: value) }
            request.body = .bytes(ByteBuffer(bytes: payload.body))
            // A client for this delivery, connecting to the address just checked (TLS still
            // verifies the host's name); redirects are not followed: a receiver could send a
            // delivery anywhere. Through an outbound proxy (`HTTPS_PROXY`) the proxy connects,
            // to the address it resolves: the name was checked here all the same, and what the
            // proxy itself may reach is its own policy (`docs/security.md`).
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))
            )
            configuration.dnsOverride = [host: address]
            let client = OutboundClient(configuration: configuration)
            do {
                let response = try await client.execute(request, timeout: .seconds(Int64(Self.timeout.components.seconds)))
                record.status = Int(response.status.code)
                let body = try? await response.body.collect(upTo: 64 * 1024)
                record.responseExcerpt = body.map { String(decoding: $0.readableBytesView.prefix(1024), as: UTF8.self) } ?? ""
                finished = record.succeeded
                if !finished { record.error = "answered \(response.status.code)" }
                if !finished, Self.isRefusal(response.status.code) {
                    refusals.count += 1
                    if refusals.since == nil { refusals.since = .now }
                } else {
                    refusals = Refusals()
                }
                if !finished, refusals.count >= refusalPolicy.count, let since = refusals.since, ContinuousClock.now - since >= refusalPolicy.patience {
                    // Not an outage: this event will not be taken. Later ones must not wait
                    // behind it for ever; the history keeps it for a redelivery.
                    finished = true
                    record.error += "; given up after \(refusals.count) refusals in a row (redeliver it from the history)"
                }
            } catch {
                record.error = "\(error)"
                refusals = Refusals()
            }
            await client.shutdown()
        }
        let elapsed = ContinuousClock.now - started
        record.durationMilliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        do {
            if history { try await index.recordDelivery(record) }
        } catch {
            logger.warning("webhook delivery could not be recorded", metadata: ["hook": "\(hook.id)", "error": "\(error)"])
        }
        if !finished, attempt == 1 || attempt % 10 == 0 {
            logger.warning("webhook delivery failing", metadata: ["hook": "\(hook.id)", "attempt": "\(attempt)", "error": "\(record.error)"])
        }
        return finished
    }

    private func repositoryFacts(_ repository: String, _ index: RepositoryIndex) async -> WebhookPayload.RepositoryFacts {
        let summary = try? await index.repository(repository)
        let comments = (try? await index.comments(repository, limit: 0, offset: 0))?.total ?? 0
        let isPrivate = index.grants.map { $0.visibility(of: repository) == .private } ?? false
        return .init(
            description: summary?.description ?? "", overview: summary?.overview ?? "", isPrivate: isPrivate,
            starCount: summary?.starCount ?? 0, commentCount: comments, createdAt: summary?.createdAt ?? 0
        )
    }
}

/// Why a webhook operation failed.
public enum WebhookError: Error, Sendable, CustomStringConvertible {
    /// A delivery's recorded job cannot be read back (written by another version).
    case unreadableDelivery
    /// The hook's queue holds all it may (its receiver has not taken anything for long):
    /// nothing was queued.
    case queueFull

    public var description: String {
        switch self {
        case .unreadableDelivery: "the delivery's event cannot be read back"
        case .queueFull: "the webhook's queue is full"
        }
    }
}
