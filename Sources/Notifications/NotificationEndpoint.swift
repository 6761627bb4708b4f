/// One `notifications.endpoints[]` entry.
public struct NotificationEndpoint: Sendable, Equatable {
    /// distribution 2.8 sends this media type; 3.x names it `…events.v2+json` (same body).
    public static let defaultMediaType = "application/vnd.docker.distribution.events.v1+json"

    public var name: String
    public var url: String
    public var headers: [(String, [String])]
    public var timeout: Duration
    public var threshold: Int
    public var backoff: Duration
    public var ignoredMediaTypes: Set<String>
    public var ignoredActions: Set<String>
    public var mediaType: String

    public init(
        name: String, url: String, headers: [(String, [String])] = [], timeout: Duration = .seconds(1),
        threshold: Int = 10, backoff: Duration = .seconds(1), ignoredMediaTypes: Set<String> = [],
        ignoredActions: Set<String> = [], mediaType: String = NotificationEndpoint.defaultMediaType
    ) {
        self.name = name
        self.url = url
        self.headers = headers
        self.timeout = timeout
        self.threshold = threshold
        self.backoff = backoff
        self.ignoredMediaTypes = ignoredMediaTypes
        self.ignoredActions = ignoredActions
        self.mediaType = mediaType
    }

    /// Whether this endpoint wants `event`.
    func accepts(_ event: RegistryEvent) -> Bool {
        if ignoredActions.contains(event.action) { return false }
        if let type = event.target.mediaType, ignoredMediaTypes.contains(type) { return false }
        return true
    }

    public static func == (lhs: NotificationEndpoint, rhs: NotificationEndpoint) -> Bool {
        lhs.name == rhs.name && lhs.url == rhs.url && lhs.headers.map(\.0) == rhs.headers.map(\.0)
            && lhs.headers.map(\.1) == rhs.headers.map(\.1) && lhs.timeout == rhs.timeout && lhs.threshold == rhs.threshold
            && lhs.backoff == rhs.backoff && lhs.ignoredMediaTypes == rhs.ignoredMediaTypes
            && lhs.ignoredActions == rhs.ignoredActions && lhs.mediaType == rhs.mediaType
    }
}
