import NIOCore
import NIOHTTP2

/// Keeps an HTTP/2 connection's receive window near `target` bytes, replenished as its
/// streams hand request bytes to the registry.
///
/// NIO holds the connection's receive window at HTTP/2's initial 65,535 bytes, and Hummingbird
/// offers no setting for it: a client then sends a large layer in bursts of a few frames,
/// each waiting for a window update, and a 1 GiB push over HTTP/2 ran at a quarter of the
/// HTTP/1.1 rate. Counting bytes consumed rather than bytes arrived (as Go's server does)
/// bounds what a connection can make the server buffer by this window, however many streams
/// it opens. NIO's own manager stays underneath and still tops the window up to 65,535
/// bytes should it ever run that low.
///
/// Streams report through ``consumed(_:)`` on the connection's event loop; see
/// ``HTTP2StreamWindowHandler``, which installs this handler on its connection right after
/// NIO's HTTP/2 handler. There it also drops the error NIO reports on the connection when it
/// refuses a stream's window update (see ``refused()``): Hummingbird closes the connection,
/// every other stream with it, on any error that reaches its connection manager.
final class HTTP2ConnectionWindowHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// The window every HTTP/2 connection starts with (RFC 9113, section 6.9.2).
    static let initialWindow = 65_535
    /// The largest frame the client may send, announced with the window. HTTP/2's initial
    /// 16 KiB cuts a layer into 64 frames per MiB, each a separate TLS record and write in
    /// Go's client; Go's own server allows 1 MiB, as does this.
    static let maxFrameSize = 1 << 20

    /// The window the connection is kept at.
    let target: Int
    /// Bytes consumed since the last window update.
    private var unannounced = 0
    /// A stream's window update was just refused: NIO's report of it is dropped.
    private var refusals = 0
    private var context: ChannelHandlerContext?

    init(target: Int) {
        self.target = target
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let settings = HTTP2Frame(streamID: .rootStream, payload: .settings(.settings([
            HTTP2Setting(parameter: .maxFrameSize, value: Self.maxFrameSize),
        ])))
        context.write(wrapOutboundOut(settings), promise: nil)
        grant(target - Self.initialWindow)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// `bytes` of request bodies were delivered to a stream's handlers, so the client may
    /// send as many more. Only bytes that arrived count: what a stream was granted and never
    /// sent is not returned (see ``HTTP2StreamWindowHandler``), or a client could raise the
    /// window at will, and with it what the server buffers.
    func consumed(_ bytes: Int) {
        unannounced += bytes
        if unannounced >= target / 2 {
            grant(unannounced)
            unannounced = 0
        }
    }

    /// A stream's window update was refused because NIO already had the stream's end; NIO
    /// reports the same error here next, and it concerns no other stream.
    func refused() {
        refusals += 1
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if refusals > 0, error is NIOHTTP2Errors.BadStreamStateTransition {
            refusals -= 1
            return
        }
        context.fireErrorCaught(error)
    }

    private func grant(_ increment: Int) {
        guard let context, increment > 0 else { return }
        let frame = HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment))
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
    }
}
