import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection, which blob
/// GETs need to write past the HTTP encoder (see ``DirectBodyHandler``).
struct PierRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The authenticated user, once the door has let the request in (events name it as
    /// their `actor`).
    var userName: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
