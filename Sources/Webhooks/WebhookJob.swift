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
    /// What the hook was when the job was filed, only for a job filed as its repository is
    /// deleted (see ``RetiredHook``). Never written to the delivery history.
    public var retiredHook: RetiredHook?
    /// Only marks where its repository's deletion came in the queue, for a hook that does
    /// not hear deletions: what was queued before it is still sent, it never is.
    public var marker: Bool?

    public init(
        id: String, hook: String, event: Webhook.Event, repository: String, tag: String? = nil, digest: String? = nil,
        mediaType: String? = nil, actor: String, time: Int64, redeliveryOf: String? = nil, linkBase: String? = nil,
        retiredHook: RetiredHook? = nil
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
        self.retiredHook = retiredHook
    }

    /// A repository's own hook as it was when the repository was deleted: everything a
    /// delivery needs, carried by the deletion's jobs.
    ///
    /// Deleting a repository forgets its hooks in the same breath
    /// (``RepositoryIndex/forgetRepository(_:)``), so its deletion's events would find
    /// their hook gone, the way a hook deleted on its own leaves its queue unsent. The
    /// settings go with the jobs rather than the hook staying in the database as a
    /// tombstone until its queue drains: the queue is this instance's, on its own disk,
    /// while the database is shared by every instance, so a tombstone would need to know
    /// when every instance's queue had drained (and be cleaned up by someone else when an
    /// instance crashed or left for good). The job file is written before the delete is
    /// answered and survives a crash; nothing shared waits for it, and a repository pushed
    /// again under the name gets new hooks (new ids) that nothing of the old ones reaches.
    /// The secret is on the instance's disk for as long as the job waits, as it is in the
    /// database.
    public struct RetiredHook: Codable, Sendable, Equatable {
        public var url: String
        public var format: Webhook.Format
        /// The HMAC-SHA256 key deliveries are signed with; empty: unsigned.
        public var secret: String
        public var events: [Webhook.Event]

        public init(_ hook: Webhook) {
            url = hook.url
            format = hook.format
            secret = hook.secret
            events = hook.events
        }

        /// Hook `id` of `repository` as it was, for a delivery.
        func webhook(id: String, repository: String) -> Webhook {
            Webhook(
                id: id, scope: .repository, target: repository, url: url, events: events, format: format, secret: secret,
                active: true, createdAt: 0, createdBy: ""
            )
        }
    }
}
