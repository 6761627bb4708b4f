public import NIOCore

/// Writes blob bytes, either read by the request task or as a file region for `sendfile`,
/// straight to the socket end of the pipeline, and tells the task when each write is done.
///
/// Hummingbird's response writer only waits for the channel to be writable, so a task cannot
/// know when the channel is done with a buffer, and a buffer it cannot reuse is a fresh
/// allocation (and, at this size, fresh pages to fault in) per chunk. Through this handler a
/// blob GET keeps two buffers for the whole response and refills each once its write has
/// completed. The HTTP encoder is bypassed safely because blob responses are framed by
/// `Content-Length`. Plain-HTTP connections only: on TLS the bytes must go through the TLS
/// handler.
public final class DirectBodyHandler: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = IOData
    public typealias OutboundOut = IOData

    /// The event a request task triggers on its channel; completes once the bytes are written.
    struct Request: Sendable {
        /// Bytes read by the task, or a file region for the kernel to send (`sendfile`).
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
