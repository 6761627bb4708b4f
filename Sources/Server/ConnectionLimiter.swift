import NIOConcurrencyHelpers
import NIOCore

/// Holds the number of open connections of the registry's listeners under a limit, and
/// closes connections that stay silent: a connection opened beyond the limit is closed at
/// once, and one that sends no byte within `silence` (before any TLS handshake or request
/// head) is closed then, so thousands of idle or hostile clients can neither exhaust the
/// process's file descriptors nor hold the slots of the clients being served.
final class ConnectionLimiter: Sendable {
    private let open = NIOLockedValueBox(0)
    let limit: Int
    let silence: TimeAmount

    init(limit: Int, silence: TimeAmount) {
        self.limit = limit
        self.silence = silence
    }

    /// Counts a new connection; false when it is one too many (and is not counted).
    func admit() -> Bool {
        open.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func release() {
        open.withLockedValue { $0 -= 1 }
    }

    /// The handler that admits its connection or closes it, first in the pipeline.
    func handler() -> Handler {
        Handler(limiter: self)
    }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        private let limiter: ConnectionLimiter
        private var admitted = false
        private var heard = false
        private var timer: Scheduled<Void>?

        init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            admitted = limiter.admit()
            guard admitted else {
                context.close(promise: nil)
                return
            }
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: limiter.silence) {
                channel.close(promise: nil)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            timer?.cancel()
            timer = nil
            if admitted { limiter.release() }
            admitted = false
        }

        func channelInactive(context: ChannelHandlerContext) {
            timer?.cancel()
            timer = nil
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard admitted else { return }
            if !heard {
                heard = true
                timer?.cancel()
                timer = nil
            }
            context.fireChannelRead(data)
        }
    }
}
