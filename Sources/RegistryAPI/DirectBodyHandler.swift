public import NIOCore

/// Writes a blob's file region (`sendfile`) straight to the socket end of the pipeline, and
/// tells the request task when it is written.
///
/// Hummingbird's response writer takes only byte buffers, so a file region cannot go through
/// it, and it only waits for the channel to be writable, so a task could not know when the
/// kernel is done with the file. The HTTP encoder is bypassed safely because blob responses
/// are framed by `Content-Length`. Plain-HTTP connections only: on TLS the bytes must go
/// through the TLS handler.
public final class DirectBodyHandler: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = IOData
    public typealias OutboundOut = IOData

    /// The event a request task triggers on its channel; completes once the bytes are written.
    struct Request: Sendable {
        /// A file region for the kernel to send (`sendfile`); any other bytes work the same.
        let data: IOData
    }

    /// Writes a ``Request``'s bytes and completes its promise once they are written; passes
    /// every other event on.
    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let request = event as? Request {
            context.writeAndFlush(wrapOutboundOut(request.data), promise: promise)
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }

    /// Put among a server's additional channel handlers: moves a ``DirectBodyHandler`` to the
    /// socket end of the pipeline, then removes itself.
    public final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        public typealias InboundIn = Any

        public init() {}

        /// Installs the handler at the socket end and removes this installer.
        public func handlerAdded(context: ChannelHandlerContext) {
            try? context.pipeline.syncOperations.addHandler(DirectBodyHandler(), position: .first)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
