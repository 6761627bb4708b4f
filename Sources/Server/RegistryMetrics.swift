import Metrics

/// What the registry reports through swift-metrics: requests by route, method and status,
/// their latency, bytes in and out, uploads in progress and storage errors.
///
/// Metric handles are created per label set by the configured backend (Prometheus on the
/// debug server when `http.debug.prometheus.enabled`); with no backend bootstrapped
/// swift-metrics makes them no-ops.
struct RegistryMetrics: Sendable {
    let uploadsInProgress = Meter(label: "pier_uploads_in_progress")
    let storageErrors = Counter(label: "pier_storage_errors_total")
    let bytesIn = Counter(label: "pier_http_request_bytes_total")
    let bytesOut = Counter(label: "pier_http_response_bytes_total")

    func record(route: String, method: String, status: Int, duration: Duration, bytesIn requestBytes: Int?, bytesOut responseBytes: Int?) {
        Counter(label: "pier_http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))])
            .increment()
        Timer(label: "pier_http_request_duration_seconds", dimensions: [("route", route), ("method", method)])
            .recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
        if let requestBytes, requestBytes > 0 { bytesIn.increment(by: requestBytes) }
        if let responseBytes, responseBytes > 0 { bytesOut.increment(by: responseBytes) }
    }
}

extension RegistryRoute {
    /// Whether requests to this endpoint carry blob bytes in (uploads).
    var isUpload: Bool {
        switch self {
        case .uploads, .upload: true
        default: false
        }
    }

    /// A low-cardinality name for metrics labels.
    var metricName: String {
        switch self {
        case .base: "base"
        case .catalog: "catalog"
        case .tags: "tags"
        case .manifest: "manifest"
        case .blob: "blob"
        case .uploads: "upload_start"
        case .upload: "upload"
        case .referrers: "referrers"
        }
    }
}
