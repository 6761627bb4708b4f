/// A repository's webhook as the index keeps it: where to send which events, in which
/// shape, signed with which secret.
public struct Webhook: Sendable, Equatable {
    /// What a webhook can be told of.
    public enum Event: String, Sendable, CaseIterable, Codable {
        /// A manifest pushed by tag.
        case push
        /// A tag deleted (the manifest stays).
        case tagDelete = "tag_delete"
        /// A manifest deleted, with every tag on it.
        case manifestDelete = "manifest_delete"
    }

    /// The body a receiver gets.
    public enum Format: String, Sendable, CaseIterable {
        /// Docker Hub's: `push_data` and `repository`, what existing receivers parse.
        case dockerhub
        /// CloudEvents 1.0, structured JSON mode.
        case cloudevents
    }

    public var id: String
    public var repository: String
    public var url: String
    public var events: [Event]
    public var format: Format
    /// The HMAC-SHA256 key deliveries are signed with; empty: unsigned. Never answered.
    public var secret: String
    public var active: Bool
    public var createdAt: Int64
    public var createdBy: String

    public init(
        id: String, repository: String, url: String, events: [Event], format: Format, secret: String,
        active: Bool, createdAt: Int64, createdBy: String
    ) {
        self.id = id
        self.repository = repository
        self.url = url
        self.events = events
        self.format = format
        self.secret = secret
        self.active = active
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}
