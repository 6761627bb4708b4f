/// One attempt to deliver an event to a webhook, as its history shows it.
public struct WebhookDelivery: Sendable, Equatable {
    public var id: String
    public var webhook: String
    /// The event's id: the same for every attempt and redelivery of one event.
    public var eventID: String
    public var event: String
    /// What was queued (JSON), so a redelivery sends the same event.
    public var job: String
    /// 1 for the first attempt, counting retries.
    public var attempt: Int
    public var deliveredAt: Int64
    /// The receiver's HTTP status; 0 when it did not answer.
    public var status: Int
    public var durationMilliseconds: Int64
    /// Why it failed, when it did without an answer (refused address, timeout).
    public var error: String
    /// The first bytes of what was sent and what came back.
    public var requestExcerpt: String
    public var responseExcerpt: String
    /// The delivery this one redelivers.
    public var redeliveryOf: String?

    public init(
        id: String, webhook: String, eventID: String, event: String, job: String, attempt: Int, deliveredAt: Int64,
        status: Int, durationMilliseconds: Int64, error: String, requestExcerpt: String, responseExcerpt: String,
        redeliveryOf: String?
    ) {
        self.id = id
        self.webhook = webhook
        self.eventID = eventID
        self.event = event
        self.job = job
        self.attempt = attempt
        self.deliveredAt = deliveredAt
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.error = error
        self.requestExcerpt = requestExcerpt
        self.responseExcerpt = responseExcerpt
        self.redeliveryOf = redeliveryOf
    }

    /// Whether the receiver took it (2xx).
    public var succeeded: Bool { (200..<300).contains(status) }
}
