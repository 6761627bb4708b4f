import NIOCore

/// Sends blob bytes from the page cache to the socket with `sendfile`, never through user
/// space.
///
/// Hummingbird's response bodies are byte buffers, which cost a read into memory and a copy
/// per chunk. On a plain-HTTP connection the registry instead asks this handler, placed at
/// the socket end of the pipeline, to write a `FileRegion` after the response head; the HTTP
/// encoder is bypassed safely because blob responses are framed by `Content-Length`. TLS
/// connections must not use it (the TLS handler cannot encrypt a file region).
final class SendfileHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The event a request task triggers on its channel; completes once the region is written.
    struct Request: Sendable {
        let region: FileRegion
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let request = event as? Request {
            context.writeAndFlush(wrapOutboundOut(.fileRegion(request.region)), promise: promise)
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    /// Put among a server's additional channel handlers: moves a ``SendfileHandler`` to the
    /// socket end of the pipeline, then removes itself.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = Any

        func handlerAdded(context: ChannelHandlerContext) {
            try? context.pipeline.syncOperations.addHandler(SendfileHandler(), position: .first)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
