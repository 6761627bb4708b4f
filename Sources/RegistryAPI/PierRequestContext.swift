public import Hummingbird
public import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection, which blob
/// GETs need to write past the HTTP encoder (see ``DirectBodyHandler``).
public struct PierRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// The authenticated user, once the door has let the request in (events name it as
    /// their `actor`).
    public var userName: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
