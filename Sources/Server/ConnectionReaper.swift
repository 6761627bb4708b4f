import Logging
import ServiceLifecycle

/// Ends the connections still open when a shutdown's drain time has run out.
///
/// The service group cancels its services once `http.draintimeout` has passed, but a
/// connection whose response is stuck on a client that stopped reading keeps its server
/// waiting until the write timeout (a minute by default): cancellation does not cut a
/// write. First in the group, this service is told of the shutdown last, when every
/// listener has drained, or is cancelled with them when the drain time runs out; either
/// way it then closes what is left, so the process ends within the drain time.
struct ConnectionReaper: Service {
    let limiter: ConnectionLimiter
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        let closed = limiter.closeAll()
        if closed > 0 {
            logger.notice("connections still open when the drain time ran out were closed", metadata: ["connections": "\(closed)"])
        }
    }
}
