import NIOCore

/// Answers a plain HTTP request sent to a TLS listener with distribution's 400, "Client
/// sent an HTTP request to an HTTPS server.", instead of the TLS handler's silent close.
///
/// `http://` typed for `https://`, or both ports 80 and 443 mapped to the one TLS port as
/// users' setups do, otherwise ends in "empty reply from server" (curl) or `EOF` (docker),
/// which says nothing of the cause. Every TLS record, and so every handshake, begins with
/// a content type byte of 0x14–0x18 (an SSLv2 hello with its high bit set), and every
/// HTTP/1 request with an upper-case method: the first byte decides, nothing is held.
/// It sits right before the TLS handler and leaves the pipeline after the first read.
final class PlainHTTPRefusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// What Go's `net/http` (so distribution) writes, with the headers an HTTP/1.1 client
    /// needs to read it without waiting for the close.
    static let answer =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 48\r\nConnection: close\r\n\r\n"
        + "Client sent an HTTP request to an HTTPS server.\n"

    private var refused = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }  // the rest of a refused request
        let bytes = unwrapInboundIn(data)
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) else {
            context.fireChannelRead(data)
            return
        }
        guard Self.beginsRequest(first) else {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        refused = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(string: Self.answer))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !refused { context.fireChannelReadComplete() }
    }

    /// An HTTP/1 method's first letter (RFC 9110 methods are tokens; every registered one,
    /// and every one a client sends, is upper-case ASCII), which no TLS record begins with.
    static func beginsRequest(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
}
