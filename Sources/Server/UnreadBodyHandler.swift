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
/// to its end for nothing. As Go's `net/http` (distribution's server) does, more than
/// 256 KiB still to come closes the connection after the response (`Connection: close`,
/// the write side shut first so the client reads the whole answer); less keeps it if the
/// rest arrives within `linger`, as a client that sent its head and body apart does.
final class UnreadBodyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The most of a refused body worth reading to keep the connection (Go's figure).
    static let keepableRest: Int64 = 256 * 1024

    /// How long the rest of a refused body may take to arrive before the connection closes,
    /// and how long a client has to read its answer once the write side is shut.
    private let linger: TimeAmount
    /// Request ends read, and final response heads written: the request a response answers
    /// is unfinished when fewer ends than answers have been read (requests are answered in
    /// order, so it is the one being read).
    private var ends = 0
    private var answered = 0
    /// The body of the request being read: its announced length and what has arrived.
    private var announced: Int64?
    private var received: Int64 = 0
    /// What the response being written does at its end.
    private var atEnd = AtEnd.keep

    private enum AtEnd {
        case keep
        /// Closes now (after the write side is shut).
        case close
        /// Closes unless the request numbered so has ended within `linger`.
        case closeUnlessEnded(Int)
    }

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
        switch unwrapInboundIn(data) {
        case .head(let request):
            announced = request.headerFields[.contentLength].flatMap { Int64($0) }
            received = 0
        case .body(let chunk):
            received += Int64(chunk.readableBytes)
        case .end:
            ends += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            answered += 1
            guard ends < answered else { break }
            if let announced, announced - received <= Self.keepableRest {
                atEnd = .closeUnlessEnded(answered)
                break
            }
            atEnd = .close
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
            return
        case .end:
            let action = atEnd
            atEnd = .keep
            switch action {
            case .keep:
                break
            case .close:
                context.writeAndFlush(data, promise: promise)
                shutDown(context)
                return
            case .closeUnlessEnded(let request):
                context.writeAndFlush(data, promise: promise)
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.assumeIsolated().scheduleTask(in: linger) {
                    let (handler, context) = bound.value
                    if handler.ends < request { context.close(promise: nil) }
                }
                return
            }
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
