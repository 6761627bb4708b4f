import NIOCore
import NIOHTTP2

/// Gives an HTTP/2 stream that carries a request body a receive window of `target` bytes,
/// replenished as the registry reads the body.
///
/// NIO's streams keep HTTP/2's initial 65,535-byte window (Hummingbird offers no setting), so
/// a client uploading a layer stops every 64 KiB for a window update. Go's client, which
/// docker, containerd, skopeo and podman push with, then spent most of a 1 GiB push waiting:
/// 158–204 MB/s against 539–668 MB/s with a 4 MiB window. The window is granted only to a
/// request whose headers say a body follows, so manifest reads cost no extra frame, and
/// replenished as bytes are consumed, not as they arrive: a handler that stops reading holds
/// the client to what the window allows, as HTTP/1.1's TCP window does.
///
/// It sits first in the stream's pipeline, where frames are what is written. The bytes it
/// sees are also reported to the connection's ``HTTP2ConnectionWindowHandler``. What a
/// stream closed before its body ended was granted and never sent is not: the client sends
/// nothing after resetting a stream (all it sent before arrives first, and NIO delivers it
/// to the stream before closing it), and on this server a stream is not reset under a
/// client still sending (an unread body is drained; a stream error closes the connection).
/// Returning it, as this handler first did, let a client that opens uploads and resets
/// them at once raise the connection's window by a stream's grant each time.
///
/// It sees frames as the stream delivers them, which can be after NIO has already received
/// the body's end, when NIO refuses a window update for the half-closed stream. So it never
/// grants past a declared `content-length` (the client cannot have finished before using
/// what it was granted), and the refusal of an update for a body without one ends its
/// updates instead of failing the request, or the connection (NIO reports the refusal to
/// both).
final class HTTP2StreamWindowHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// The window a stream with a body is kept at.
    let target: Int
    private let connection: HTTP2ConnectionWindowHandler?
    /// Bytes the client may still send on this stream before another update.
    private var outstanding = HTTP2ConnectionWindowHandler.initialWindow
    /// What the client may send on this stream in all.
    private var granted = HTTP2ConnectionWindowHandler.initialWindow
    /// The body's declared length, past which nothing is granted.
    private var length: Int?
    /// Bytes consumed since the last window update.
    private var unannounced = 0
    private var updating = false
    private var ended = false
    /// An update of this stream was just refused: the error NIO reports for it is dropped.
    private var refused = false

    init(target: Int, connection: HTTP2ConnectionWindowHandler?) {
        self.target = target
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers):
            if headers.endStream {
                ended = true
            } else if !updating {
                updating = true
                length = headers.headers.first(name: "content-length").flatMap { Int($0) }
                grant(target - outstanding, context: context)
            }
        case .data(let body):
            let bytes = body.data.readableBytes + (body.paddingBytes.map { $0 + 1 } ?? 0)
            outstanding -= bytes
            connection?.consumed(bytes)
            if body.endStream {
                ended = true
            } else if updating {
                unannounced += bytes
                if unannounced >= target / 2 {
                    grant(unannounced, context: context)
                    unannounced = 0
                }
            }
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if refused {
            refused = false
            return
        }
        context.fireErrorCaught(error)
    }

    private func grant(_ wanted: Int, context: ChannelHandlerContext) {
        var increment = wanted
        if let length {
            // While less than the body is granted, the client cannot have ended it.
            increment = min(increment, length - granted)
        }
        // Without a length only a refusal can tell the body ended, and only the connection's
        // handler keeps that refusal from closing the connection.
        guard increment > 0, !ended, length != nil || connection != nil else { return }
        granted += increment
        outstanding += increment
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenFailure { [self] error in
            // NIO fails the write, then reports the same error to the stream.
            if Self.isRefusal(error) {
                refused = true
                connection?.refused()
                ended = true
                outstanding = 0
            }
        }
        context.writeAndFlush(wrapOutboundOut(.windowUpdate(windowSizeIncrement: increment)), promise: promise)
    }

    private static func isRefusal(_ error: any Error) -> Bool {
        if let stream = error as? NIOHTTP2Errors.StreamError {
            return stream.baseError is NIOHTTP2Errors.BadStreamStateTransition
        }
        return error is NIOHTTP2Errors.BadStreamStateTransition
    }
}
