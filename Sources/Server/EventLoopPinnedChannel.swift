import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A server child channel whose connection task runs on the connection's event loop (see
/// `EventLoopTaskExecutor` for why). It wraps any of Hummingbird's channels (HTTP/1, TLS,
/// HTTP/2), whose per-stream tasks inherit the preference.
struct EventLoopPinnedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    /// Counts the connection against the server's limit first, closing it when over.
    let limiter: ConnectionLimiter?

    init(_ base: Base, limiter: ConnectionLimiter? = nil) {
        self.base = base
        self.limiter = limiter
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard let limiter else { return base.setup(channel: channel, logger: logger) }
        // Called on the channel's event loop, as Hummingbird's own channels assume.
        do { try channel.pipeline.syncOperations.addHandler(limiter.handler(), position: .first) } catch {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // A TLS channel: its handshake must finish within the head timeout too.
            if let tls = try? channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self) {
                try channel.pipeline.syncOperations.addHandler(TLSHandshakeDeadline(timeout: limiter.silence), position: .after(tls))
            }
            return value
        }.flatMapError { error in
            // A connection whose setup failed is never served: close it, so its descriptor
            // and its place under the limit come back.
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(loop: value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}
