public import Index

/// One event on its way to one webhook, as it waits in the hook's durable queue: what
/// happened, not yet the body, which is made at delivery from the repository as it is then.
public struct WebhookJob: Codable, Sendable, Equatable {
    /// The event's id: the same for every attempt and redelivery (CloudEvents' `id`).
    public var id: String
    public var hook: String
    public var event: Webhook.Event
    public var repository: String
    public var tag: String?
    public var digest: String?
    public var mediaType: String?
    /// Who caused it; empty for internal work.
    public var actor: String
    /// When, in milliseconds since 1970.
    public var time: Int64
    /// The delivery this job repeats, for a redelivery.
    public var redeliveryOf: String?

    public init(
        id: String, hook: String, event: Webhook.Event, repository: String, tag: String? = nil, digest: String? = nil,
        mediaType: String? = nil, actor: String, time: Int64, redeliveryOf: String? = nil
    ) {
        self.id = id
        self.hook = hook
        self.event = event
        self.repository = repository
        self.tag = tag
        self.digest = digest
        self.mediaType = mediaType
        self.actor = actor
        self.time = time
        self.redeliveryOf = redeliveryOf
    }
}
