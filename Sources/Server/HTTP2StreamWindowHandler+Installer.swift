import NIOCore
import NIOHTTP2
import NIOHTTPTypesHTTP2

extension HTTP2StreamWindowHandler {
    /// The window of a stream with a body: a 1 GiB push over HTTP/2 reached the HTTP/1.1
    /// rate with 4 MiB.
    static let streamWindow = 4 << 20
    /// The window of a connection: several such streams at once, and at most this much
    /// buffered per connection.
    static let connectionWindow = 16 << 20

    /// Put among a TLS listener's additional channel handlers: on an HTTP/2 stream it puts an
    /// ``HTTP2StreamWindowHandler`` first in the stream's pipeline, and an
    /// ``HTTP2ConnectionWindowHandler`` right after the connection's HTTP/2 handler if it has
    /// none yet; on an HTTP/1.1 connection it puts none. Then it removes itself.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = Any

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if (try? pipeline.handler(type: HTTP2FramePayloadToHTTPServerCodec.self)) != nil,
                let connection = context.channel.parent
            {
                // A stream's channel runs on its connection's event loop.
                let parent = connection.pipeline.syncOperations
                let window: HTTP2ConnectionWindowHandler?
                if let existing = try? parent.handler(type: HTTP2ConnectionWindowHandler.self) {
                    window = existing
                } else if let http2 = try? parent.handler(type: NIOHTTP2Handler.self) {
                    let added = HTTP2ConnectionWindowHandler(target: HTTP2StreamWindowHandler.connectionWindow)
                    window = (try? parent.addHandler(added, position: .after(http2))) != nil ? added : nil
                } else {
                    window = nil
                }
                try? pipeline.addHandler(
                    HTTP2StreamWindowHandler(target: HTTP2StreamWindowHandler.streamWindow, connection: window),
                    position: .first
                )
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
