public import Index

/// One event on its way to one webhook, as it waits in the hook's durable queue: what
/// happened, not yet the body, which is made at delivery from the repository as it is then.
///
/// Jobs are files that outlive the version that wrote them: every field added later is
/// optional, so a queue written by an earlier version is still read (and delivered).
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
    /// What links started with for the client whose request caused the event
    /// (`RequestOrigin.linkBase`: scheme, host and `http.prefix`), for payloads
    /// when `http.host` is not set. Kept in the job, not looked up at delivery: the
    /// request is long gone by a retry after a restart. Nil for internal work and for jobs
    /// queued by versions before it.
    public var linkBase: String?

    public init(
        id: String, hook: String, event: Webhook.Event, repository: String, tag: String? = nil, digest: String? = nil,
        mediaType: String? = nil, actor: String, time: Int64, redeliveryOf: String? = nil, linkBase: String? = nil
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
        self.linkBase = linkBase
    }
}
