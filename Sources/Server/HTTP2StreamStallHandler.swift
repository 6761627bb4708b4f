import NIOCore
import NIOHTTP2
import NIOHTTPTypesHTTP2

/// Closes an HTTP/2 stream that stays unwritable for `timeout`: the client has not let the
/// response's pending write through its flow-control window in all that time.
///
/// `http.timeouts.write` is `TCP_USER_TIMEOUT` on the connection, which sees only the TCP
/// window: a client that keeps its HTTP/2 windows shut while the connection stays healthy
/// held each stream's file and read-ahead (about 3 MiB) for as long as it liked, 100
/// streams a connection, so a few connections pinned gigabytes. The stream's own
/// writability is its window; unwritable that long, it is closed (`RST_STREAM`), which
/// fails the pending write and lets the response give back what it holds. A stream turns
/// writable again only once a whole pending write (a blob's 1 MiB read) has gone out, so
/// the server gives it five times the write timeout: a client still reading 3.4 KiB/s
/// under the default is never cut, one that opens nothing is, five minutes on.
///
/// On an HTTP/1.1 connection (the same handler list serves both) it removes itself.
final class HTTP2StreamStallHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard Self.isStream(context) else {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        if !context.channel.isWritable { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { disarm() } else if timer == nil { arm(context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    /// Whether the handler sits on an HTTP/2 stream rather than an HTTP/1.1 connection.
    static func isStream(_ context: ChannelHandlerContext) -> Bool {
        (try? context.pipeline.syncOperations.handler(type: HTTP2FramePayloadToHTTPServerCodec.self)) != nil
    }

    private func arm(_ context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { bound.value.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
