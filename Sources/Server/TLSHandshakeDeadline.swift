import NIOCore
import NIOTLS

/// Closes a TLS connection whose handshake is not complete within the head timeout.
///
/// The connection limiter stops waiting at a client's first byte, and the request head
/// timer starts only once HTTP is set up, which over HTTP/2-capable TLS is after the
/// handshake has chosen the protocol. Without this a client trickling its `ClientHello`
/// a byte at a time would hold a connection, and its place under the limit, for as long as
/// it liked: the slowloris of the TLS layer. It sits right after the TLS handler, the only
/// place the handshake's completion is seen, and leaves the pipeline once it is.
final class TLSHandshakeDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        let completed: Bool
        if case .handshakeCompleted = event as? TLSUserEvent { completed = true } else { completed = false }
        context.fireUserInboundEventTriggered(event)
        if completed {
            timer?.cancel()
            timer = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
