import Metrics

/// Requests by route, method and status, their latency, and bytes in and out, recorded by
/// the server's outer layer once for every request, whichever door answered it.
///
/// Handles are created per label set by the configured backend (Prometheus on the debug
/// server when `http.debug.prometheus.enabled`); with none bootstrapped swift-metrics makes
/// them no-ops.
struct HTTPMetrics: Sendable {
    let bytesIn = Counter(label: "pier_http_request_bytes_total")
    let bytesOut = Counter(label: "pier_http_response_bytes_total")

    /// - Parameter aborted: the response ended before its `Content-Length` was sent (the
    ///   client left, or the blob could not be read to its end).
    func record(route: String, method: String, status: Int, duration: Duration, bytesIn requestBytes: Int?, bytesOut responseBytes: Int?, aborted: Bool = false) {
        Counter(label: "pier_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))])
            .increment()
        Timer(label: "pier_http_request_duration_seconds", dimensions: [("route", route), ("method", method)])
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if let requestBytes, requestBytes > 0 { bytesIn.increment(by: requestBytes) }
        if let responseBytes, responseBytes > 0 { bytesOut.increment(by: responseBytes) }
        if aborted { Counter(label: "pier_http_responses_aborted_total", dimensions: [("route", route)]).increment() }
    }
}
