import Metrics
import Synchronization

/// Requests by route, method and status, their latency, and bytes in and out, recorded by
/// the server's outer layer once for every request, whichever door answered it.
///
/// Handles are created per label set by the configured backend (Prometheus on the debug
/// server when `http.debug.prometheus.enabled`); with none bootstrapped swift-metrics makes
/// them no-ops.
struct HTTPMetrics: Sendable {
    let bytesIn = Counter(label: "pier_http_request_bytes_total")
    let bytesOut = Counter(label: "pier_http_response_bytes_total")
    /// The handles of each label set, made once: making one per request went through the
    /// backend's factory every time (its help text checked, its name rebuilt, its registry
    /// locked), on manifest HEADs that take microseconds. Routes, the methods the HTTP
    /// parser knows and statuses are few, so this stays small.
    private let handles = Handles()

    final class Handles: Sendable {
        struct Key: Hashable {
            var route: String
            var method: String
            var status: Int
        }

        private let made = Mutex<[Key: (requests: Counter, duration: Timer)]>([:])

        func handles(_ key: Key) -> (requests: Counter, duration: Timer) {
            if let known = made.withLock({ $0[key] }) { return known }
            // Made outside the lock: the backend takes its own.
            let new = (
                requests: Counter(label: "pier_http_requests_total", dimensions: [("route", key.route), ("method", key.method), ("status", String(key.status))]),
                duration: Timer(label: "pier_http_request_duration_seconds", dimensions: [("route", key.route), ("method", key.method)])
            )
            return made.withLock { made in
                if let known = made[key] { return known }
                made[key] = new
                return new
            }
        }
    }

    /// - Parameter aborted: the response ended before its `Content-Length` was sent (the
    ///   client left, or the blob could not be read to its end).
    func record(route: String, method: String, status: Int, duration: Duration, bytesIn requestBytes: Int?, bytesOut responseBytes: Int?, aborted: Bool = false) {
        let (requests, timer) = handles.handles(.init(route: route, method: method, status: status))
        requests.increment()
        timer.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if let requestBytes, requestBytes > 0 { bytesIn.increment(by: requestBytes) }
        if let responseBytes, responseBytes > 0 { bytesOut.increment(by: responseBytes) }
        if aborted { Counter(label: "pier_http_responses_aborted_total", dimensions: [("route", route)]).increment() }
    }
}
