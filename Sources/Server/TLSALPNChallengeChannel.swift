import ACME
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// The TLS listener's connections, with ACME's tls-alpn-01 validation handshakes answered
/// by a challenge certificate instead of the listener's own.
///
/// While a validation is pending, each new connection's ClientHello is read before the
/// listener's TLS handler sees it (``ClientHelloSniffer``): one that names a pending host and
/// offers `acme-tls/1` alone is handed to a TLS handler with that host's challenge certificate
/// (the validator closes once it has seen it); any other goes on, its bytes untouched. With
/// nothing pending, a connection is set up exactly as without ACME.
struct TLSALPNChallengeChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    /// nil where ACME does not validate over this listener: every connection goes straight on.
    let challenges: TLSALPN01Challenges?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // The base adds the listener's TLS handler at once (its setup may then wait for the
        // handshake); the sniffer goes right before it.
        let setUp = base.setup(channel: channel, logger: logger)
        guard let challenges, challenges.isPending else { return setUp }
        do {
            let pipeline = channel.pipeline.syncOperations
            let tls = try pipeline.handler(type: NIOSSLServerHandler.self)
            try pipeline.addHandler(ClientHelloSniffer { hello in Self.validation(hello, challenges, logger) }, position: .before(tls))
        } catch {
            logger.warning("tls-alpn-01: the connection's TLS handler was not found; served as any other", metadata: ["error": "\(error)"])
        }
        return setUp
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }

    /// The TLS handler for a validation handshake, nil for any other.
    static func validation(_ hello: ClientHello, _ challenges: TLSALPN01Challenges, _ logger: Logger) -> NIOSSLServerHandler? {
        // A validator offers `acme-tls/1` alone (RFC 8737 §3), as autocert also requires.
        guard hello.protocols == [TLSALPN01Challenges.protocolName], let host = hello.serverName,
              let answer = challenges.answer(for: host)
        else { return nil }
        logger.info("ACME tls-alpn-01 validation handshake answered", metadata: ["host": "\(host)"])
        return NIOSSLServerHandler(context: answer.context)
    }
}
