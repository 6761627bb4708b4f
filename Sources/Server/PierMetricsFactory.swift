import Metrics
import Prometheus

/// The swift-metrics backend `http.debug.prometheus.enabled` bootstraps: swift-prometheus'
/// `PrometheusMetricsFactory`, except that every metric of Pier's own gets its `# HELP`
/// line.
///
/// `PrometheusMetricsFactory` registers every metric with an empty help text, so the
/// exposition had `# TYPE` lines only and `promtool check metrics` complained of each
/// family. The registry's public `make…(descriptor:labels:…)` calls take a help text; this
/// factory uses them for the names in ``helpTexts`` and hands every other name to the
/// wrapped factory unchanged. Either way a metric is what it was: the wrapped factory's
/// name and label sanitizer, a counter for `Counter` and `FloatingPointCounter`, a gauge
/// for `Gauge` and `Meter`, a value histogram for an aggregating `Recorder`, a duration
/// histogram with the wrapped factory's buckets for `Timer`, and its destroy functions.
struct PierMetricsFactory: MetricsFactory {
    /// What every metric without a help text here comes from, and whose buckets, sanitizer
    /// and destroy functions this factory follows.
    let base: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry) {
        base = PrometheusMetricsFactory(registry: registry)
    }

    /// The help text of each metric Pier records (every `pier_` label in the sources; a
    /// test keeps the two in step), by name. One table, so a name has one text wherever it
    /// is recorded: the registry stops the process when two registrations of a name give
    /// different texts.
    static let helpTexts: [String: String] = [
        // HTTP, recorded once per request by the server's outer layer.
        "pier_http_requests_total": "HTTP requests answered, by route, method and status.",
        "pier_http_request_duration_seconds": "Time from a request's arrival to its response's last byte written, in seconds, by route and method.",
        "pier_http_request_bytes_total": "Request body bytes read by the handlers, chunked bodies included (a body refused unread counts none, whatever its Content-Length claimed).",
        "pier_http_response_bytes_total": "Response body bytes sent.",
        "pier_http_responses_aborted_total": "Responses that ended before their whole body was sent (the client left, or a blob could not be read to its end), by route.",
        "pier_http_connections_open": "Connections open now, by the listeners that share the connection limit.",
        "pier_http_connections_refused_total": "Connections turned away at http.maxconnections, by the listeners that share the limit.",
        "pier_health_checks_failing": "Configured health checks failing now; while any fails the registry answers 503.",
        // The registry API.
        "pier_uploads_in_progress": "Blob upload requests in progress.",
        "pier_storage_errors_total": "Registry API requests that failed unexpectedly: storage unavailable (503), storage full (507) or any other unexpected error (500).",
        // Garbage collection.
        "pier_gc_runs_total": "Garbage collections finished by this instance, by result.",
        "pier_gc_marked_blobs": "Blobs the last garbage collection marked live.",
        "pier_gc_swept_manifests_total": "Manifests garbage collection removed.",
        "pier_gc_swept_blobs_total": "Blobs garbage collection removed.",
        "pier_gc_freed_bytes_total": "Bytes garbage collection freed.",
        "pier_gc_revived_total": "Blobs garbage collection put back because a write relied on them while they were being removed.",
        "pier_gc_concurrent_writes_total": "Writes that relied on blobs while a garbage collection ran.",
        "pier_gc_duration_seconds": "How long the last garbage collection took, in seconds.",
        "pier_gc_last_success_timestamp_seconds": "When a garbage collection by any instance last succeeded, in seconds since the epoch; before the first, when collection was set up on the store.",
        // Quotas.
        "pier_namespace_usage_bytes": "Bytes a namespace under a quota holds, each blob counted once, by namespace.",
        "pier_namespace_quota_bytes": "Bytes a namespace's quota allows, by namespace.",
        // Mirrors.
        "pier_mirror_requests_total": "Mirrored requests, by upstream and result (hit, miss, stale, not_found, error).",
        "pier_mirror_upstream_bytes_total": "Bytes fetched from the upstream, by upstream.",
        "pier_mirror_shared_blobs_total": "Blobs another mirrored repository's cache already held, linked instead of downloaded, by upstream.",
        "pier_mirror_upstream_duration_seconds": "Time to the upstream's answer, in seconds, by upstream.",
        "pier_mirror_upstream_errors_total": "Upstream requests that failed (unreachable, timed out, 5xx or 429), by upstream.",
        // Notifications and authentication.
        "pier_notification_queue_depth": "Registry events queued for notification endpoints and not yet delivered, over all endpoints.",
        "pier_auth_password_checks_total": "Password checks made, each a login attempt the throttle admitted.",
        "pier_auth_failures_total": "Password checks that failed.",
        "pier_auth_throttled_total": "Login attempts refused by the throttle without a password check.",
    ]

    /// The name and labels as the wrapped factory registers them, and the help text, for a
    /// metric that has one.
    private func described(_ label: String, _ dimensions: [(String, String)]) -> (descriptor: MetricNameDescriptor, labels: [(String, String)])? {
        let (name, labels) = base.nameAndLabelSanitizer(label, dimensions)
        guard let help = Self.helpTexts[name] else { return nil }
        return (MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let metric = described(label, dimensions) else { return base.makeCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: metric.descriptor, labels: metric.labels)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let metric = described(label, dimensions) else { return base.makeFloatingPointCounter(label: label, dimensions: dimensions) }
        return base.registry.makeCounter(descriptor: metric.descriptor, labels: metric.labels)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let metric = described(label, dimensions) else {
            return base.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        guard aggregate else { return base.registry.makeGauge(descriptor: metric.descriptor, labels: metric.labels) }
        let buckets = base.valueHistogramBuckets[metric.descriptor.name] ?? base.defaultValueHistogramBuckets
        return base.registry.makeValueHistogram(descriptor: metric.descriptor, labels: metric.labels, buckets: buckets)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let metric = described(label, dimensions) else { return base.makeMeter(label: label, dimensions: dimensions) }
        return base.registry.makeGauge(descriptor: metric.descriptor, labels: metric.labels)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let metric = described(label, dimensions) else { return base.makeTimer(label: label, dimensions: dimensions) }
        let buckets = base.durationHistogramBuckets[metric.descriptor.name] ?? base.defaultDurationHistogramBuckets
        return base.registry.makeDurationHistogram(descriptor: metric.descriptor, labels: metric.labels, buckets: buckets)
    }

    // The handlers are the registry's own types whichever way they were made, so the
    // wrapped factory unregisters them all.

    func destroyCounter(_ handler: any CounterHandler) {
        base.destroyCounter(handler)
    }

    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        base.destroyFloatingPointCounter(handler)
    }

    func destroyRecorder(_ handler: any RecorderHandler) {
        base.destroyRecorder(handler)
    }

    func destroyMeter(_ handler: any MeterHandler) {
        base.destroyMeter(handler)
    }

    func destroyTimer(_ handler: any TimerHandler) {
        base.destroyTimer(handler)
    }
}
