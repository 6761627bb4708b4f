/// A webhook as the index keeps it: whose events (a repository's, or every repository's of
/// an organisation), where to send them, in which shape, signed with which secret.
public struct Webhook: Sendable, Equatable {
    /// What a webhook hears.
    public enum Scope: String, Sendable {
        /// One repository (`target` is its name).
        case repository
        /// Every repository of an organisation (`target` is its name).
        case organization
    }

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
    public enum Format: String, Sendable, CaseIterable, Codable {
        /// Docker Hub's: `push_data` and `repository`, what existing receivers parse.
        case dockerhub
        /// CloudEvents 1.0, structured JSON mode.
        case cloudevents
    }

    public var id: String
    public var scope: Scope
    /// The repository or organisation, as `scope` says.
    public var target: String
    public var url: String
    public var events: [Event]
    public var format: Format
    /// The HMAC-SHA256 key deliveries are signed with; empty: unsigned. Never answered.
    public var secret: String
    public var active: Bool
    public var createdAt: Int64
    public var createdBy: String

    public init(
        id: String, scope: Scope = .repository, target: String, url: String, events: [Event], format: Format, secret: String,
        active: Bool, createdAt: Int64, createdBy: String
    ) {
        self.id = id
        self.scope = scope
        self.target = target
        self.url = url
        self.events = events
        self.format = format
        self.secret = secret
        self.active = active
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}
