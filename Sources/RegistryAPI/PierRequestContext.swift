public import Hummingbird
public import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection, which blob
/// GETs need to write past the HTTP encoder (see ``DirectBodyHandler``).
public struct PierRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The request's connection.
    public let channel: any Channel
    /// The authenticated user, once the door has let the request in (events name it as
    /// their `actor`).
    public var userName: String?

    /// A context for a request arriving on `source`'s channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
