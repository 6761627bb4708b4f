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
        // Cancelled rather than told: the listeners did not drain in time. That is said
        // even when no connection is left to close here, since the group's cancellation
        // can end a response (one reading from S3, say) before this closes its connection.
        let drained = (try? await gracefulShutdown()) != nil
        let closed = limiter.closeAll()
        // A start that failed (a port in use) cancels the group too, with nothing served:
        // no drain ran out then, and saying so hid the error that ended the start.
        if closed > 0 || (!drained && limiter.everAccepted) {
            logger.notice("the drain time ran out; connections still open were closed", metadata: ["connections": "\(closed)"])
        }
    }
}
