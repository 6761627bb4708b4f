import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the connection, which blob
/// GETs need to hand a file straight to the kernel (see ``SendfileHandler``).
struct PierRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
