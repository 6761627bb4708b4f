/// Who caused a registry operation, passed in by whatever door it came through (the HTTP
/// API, the command line, the mirror, garbage collection) so every event names its cause
/// the same way, and the registry never sees a transport.
public struct RequestOrigin: Sendable, Equatable {
    /// The request's id; nil lets the first subscriber that needs one make it, so a door
    /// with no subscribers pays nothing for it.
    public var id: String?
    /// The authenticated user; nil for anonymous callers and internal work.
    public var actor: String?
    /// The client's address, as the door saw it.
    public var address: String
    /// The host the client asked for (`Host`, or `:authority`).
    public var host: String
    /// The method of the request (`GET`, `PUT`, …), or the command for internal work.
    public var method: String
    /// The client's `User-Agent`.
    public var userAgent: String
    /// What links in events start with: the scheme, host and path prefix the client
    /// reached this registry by (or only the prefix with relative URLs); nil: no links.
    public var linkBase: String?

    /// An origin with whatever the door knows; what it leaves out stays empty.
    public init(
        id: String? = nil, actor: String? = nil, address: String = "", host: String = "",
        method: String = "", userAgent: String = "", linkBase: String? = nil
    ) {
        self.id = id
        self.actor = actor
        self.address = address
        self.host = host
        self.method = method
        self.userAgent = userAgent
        self.linkBase = linkBase
    }

    /// Work the registry does on its own behalf or for a local command, with no client.
    public static func `internal`(_ operation: String) -> RequestOrigin {
        RequestOrigin(method: operation)
    }
}
