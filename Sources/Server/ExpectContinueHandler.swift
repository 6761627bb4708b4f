import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` as soon as the request may proceed.
///
/// Clients that send it (curl and several registry clients for large uploads) otherwise wait
/// about a second for the interim response before sending each body. The registry accepts
/// bodies of any size, so it can always tell the client to go on; an error found later is
/// still reported in the final response. With pipelined requests the interim response
/// waits until the responses before it are complete, so it never lands inside one.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests read whose response has not ended yet, oldest first, each marked when it
    /// still waits for its `100 Continue`.
    private var inFlight: [Bool] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        guard let expect = head.headerFields[.expect], expect.lowercased() == "100-continue" else {
            inFlight.append(false)
            context.fireChannelRead(data)
            return
        }
        head.headerFields[.expect] = nil
        if inFlight.isEmpty {
            inFlight.append(false)
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        } else {
            inFlight.append(true)
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        context.write(data, promise: promise)
        guard isEnd, !inFlight.isEmpty else { return }
        inFlight.removeFirst()
        if inFlight.first == true {
            inFlight[0] = false
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
    }
}
