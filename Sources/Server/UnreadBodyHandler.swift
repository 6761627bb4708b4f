import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Ends the connection after a response that was answered before its request's body had
/// all arrived (a 401 to an upload, a 404 for an unknown session, a 413), instead of
/// reading and discarding the rest of the body, however long it takes, to keep the
/// connection.
///
/// Without it, a client refused at once could hold a connection for as long as it
/// trickled a body it announced as huge (each byte restarts the idle timeout), so a few
/// unauthenticated sockets took every connection slot; and a refused 1 GiB push was read
/// to its end for nothing. The response says `Connection: close`, the write side is shut
/// so the client reads the whole answer, and the connection closes once `linger` has
/// passed, as Go's `net/http` (distribution's server) ends such a connection.
final class UnreadBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// How long a client has to read its answer once the write side is shut.
    private let linger: TimeAmount
    /// Request ends read, and final response heads written: the request a response answers
    /// is unfinished when fewer ends than answers have been read (requests are answered in
    /// order, so it is the one being read).
    private var ends = 0
    private var answered = 0
    /// Whether the response being written ends the connection.
    private var closing = false

    init(linger: TimeAmount = .seconds(1)) {
        self.linger = linger
    }

    /// Not on an HTTP/2 stream: closing one under a client still sending would cost the
    /// connection's window what was in flight (``HTTP2StreamWindowHandler``), and a stream
    /// takes no connection slot of its own.
    func handlerAdded(context: ChannelHandlerContext) {
        if HTTP2StreamStallHandler.isStream(context) {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { ends += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            answered += 1
            guard ends < answered else { break }
            closing = true
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
            return
        case .end where closing:
            closing = false
            context.writeAndFlush(data, promise: promise)
            shutDown(context)
            return
        default:
            break
        }
        context.write(data, promise: promise)
    }

    /// Shuts the write side (closing at once where the transport cannot), then closes the
    /// connection once `linger` has passed.
    private func shutDown(_ context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let halfClosed = context.eventLoop.makePromise(of: Void.self)
        context.close(mode: .output, promise: halfClosed)
        halfClosed.futureResult.whenFailure { _ in bound.value.close(promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: linger) { bound.value.close(promise: nil) }
    }
}
