import Metrics

/// What the registry API reports through swift-metrics beyond the requests themselves
/// (which the server's outer layer counts for every door): uploads in progress and
/// storage errors.
///
/// Handles are created by the configured backend (Prometheus on the debug server when
/// `http.debug.prometheus.enabled`); with none bootstrapped swift-metrics makes them no-ops.
struct RegistryMetrics: Sendable {
    let uploadsInProgress = Meter(label: "pier_uploads_in_progress")
    let storageErrors = Counter(label: "pier_storage_errors_total")
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
