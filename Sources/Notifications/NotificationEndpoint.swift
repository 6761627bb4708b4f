import Foundation

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

    /// Where events are posted, and the credentials a URL's `user:password@` gave: Go's
    /// `net/http`, and so distribution, sends those as Basic authentication and keeps them
    /// off the request line; an `Authorization` in `headers` wins over them.
    var destination: (url: String, authorization: String?) {
        guard var parts = URLComponents(string: url), parts.percentEncodedUser != nil || parts.percentEncodedPassword != nil,
              let user = (parts.percentEncodedUser ?? "").removingPercentEncoding,
              let password = (parts.percentEncodedPassword ?? "").removingPercentEncoding
        else { return (url, nil) }
        parts.percentEncodedUser = nil
        parts.percentEncodedPassword = nil
        let configured = headers.contains { $0.0.caseInsensitiveCompare("Authorization") == .orderedSame }
        // As Go's: `user@` alone is `user:` with an empty password.
        return (parts.string ?? url, configured ? nil : "Basic " + Data((user + ":" + password).utf8).base64EncodedString())
    }

    /// The URL as a log line may show it: its credentials replaced, a user alone too (a
    /// token is often given as `https://TOKEN@host/…`).
    public var displayURL: String {
        guard var parts = URLComponents(string: url), parts.percentEncodedUser != nil || parts.percentEncodedPassword != nil else { return url }
        parts.percentEncodedUser = "***"
        if parts.percentEncodedPassword != nil { parts.percentEncodedPassword = "***" }
        return parts.string ?? "(the endpoint's URL)"
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
