import NIOConcurrencyHelpers
import NIOCore

/// Holds the number of open connections of all listeners under a limit: a connection
/// opened beyond it is closed at once, so thousands of idle or hostile clients cannot
/// exhaust the process's file descriptors and starve the clients already served.
final class ConnectionLimiter: Sendable {
    private let open = NIOLockedValueBox(0)
    let limit: Int

    init(limit: Int) {
        self.limit = limit
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

    /// The handler that admits its connection or closes it.
    func handler() -> Handler {
        Handler(limiter: self)
    }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        private let limiter: ConnectionLimiter
        private var admitted = false

        init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            admitted = limiter.admit()
            if !admitted { context.close(promise: nil) }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if admitted { limiter.release() }
            admitted = false
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard admitted else { return }
            context.fireChannelRead(data)
        }
    }
}
