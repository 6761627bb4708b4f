import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A TLS listener's connections, with a plain HTTP request answered by a 400 that says
/// what went wrong (``PlainHTTPRefusal``) instead of a closed connection.
struct PlainHTTPRefusingChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // The base adds its TLS handler at once (its setup may then wait for the
        // handshake, which a plain request never starts); the refusal goes right before it.
        let setUp = base.setup(channel: channel, logger: logger)
        do {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(PlainHTTPRefusal(), position: .before(try pipeline.handler(type: NIOSSLServerHandler.self)))
        } catch {
            logger.warning("the connection's TLS handler was not found; a plain HTTP request gets no answer", metadata: ["error": "\(error)"])
        }
        return setUp
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
