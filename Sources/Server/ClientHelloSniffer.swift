import NIOCore
import NIOSSL

/// Sits before the listener's TLS handler and holds a connection's first bytes until its
/// ClientHello can be read; then either lets them on to that handler, or, when `answer`
/// gives one, puts the handler it gives in that handler's place first.
///
/// Installed only while an ACME tls-alpn-01 validation is pending, so the listener's
/// connections are otherwise untouched; once it has decided it leaves the pipeline.
final class ClientHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The TLS handler a ClientHello is answered by instead of the listener's, or nil.
    private let answer: (ClientHello) -> NIOSSLServerHandler?
    private var held: ByteBuffer?
    private var decided = false

    init(answer: @escaping (ClientHello) -> NIOSSLServerHandler?) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else {
            context.fireChannelRead(data)
            return
        }
        var incoming = unwrapInboundIn(data)
        if var bytes = held {
            bytes.writeBuffer(&incoming)
            held = bytes
        } else {
            held = incoming
        }
        guard let bytes = held else { return }
        let reading = ClientHello.read(bytes.readableBytesView)
        if reading == .incomplete, bytes.readableBytes < 5 + ClientHello.maximumRecord { return }
        decided = true
        if case .hello(let hello) = reading, let replacement = answer(hello) {
            let pipeline = context.pipeline.syncOperations
            do {
                let listeners = try pipeline.handler(type: NIOSSLServerHandler.self)
                try pipeline.addHandler(replacement, position: .after(self))
                pipeline.removeHandler(listeners, promise: nil)
            } catch {
                context.close(promise: nil)
                return
            }
        }
        release(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // Held with the bytes until decided: the next handlers see them, and their end, then.
        if decided { context.fireChannelReadComplete() }
    }

    /// Passes the held bytes on and leaves the pipeline.
    private func release(context: ChannelHandlerContext) {
        if let bytes = held {
            held = nil
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
