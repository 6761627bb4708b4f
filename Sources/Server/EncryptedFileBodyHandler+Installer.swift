import NIOCore
import NIOSSL
import RegistryAPI

extension EncryptedFileBodyHandler {
    /// Put among a TLS listener's additional channel handlers: on an HTTP/1.1 connection it
    /// puts an ``EncryptedFileBodyHandler`` right above the TLS handler, so the file's bytes
    /// are encrypted and nothing else sees them; on an HTTP/2 stream (whose TLS handler is
    /// the connection's, and whose bytes must be framed) it puts none. Then it removes itself.
    final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = Any

        /// Installs the handler (HTTP/1.1 over TLS only) and removes this installer.
        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let tls = try? pipeline.context(handlerType: NIOSSLServerHandler.self) {
                try? pipeline.addHandler(EncryptedFileBodyHandler(), position: .after(tls.handler))
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }
}
