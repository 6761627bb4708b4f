import Logging
import Metrics
import Registry

extension PierServer {
    /// Publishes each namespace's usage and quota as gauges (`pier_namespace_usage_bytes`,
    /// `pier_namespace_quota_bytes`) every half minute, so an alert can fire before pushes
    /// start failing.
    func reportQuotas(_ registry: Registry) async {
        guard !configuration.quotas.isEmpty else { return }
        while !Task.isCancelled {
            do {
                for usage in try await registry.quotaUsage() {
                    let dimensions = [("namespace", usage.namespace)]
                    Gauge(label: "pier_namespace_usage_bytes", dimensions: dimensions).record(usage.bytes)
                    Gauge(label: "pier_namespace_quota_bytes", dimensions: dimensions).record(usage.quota)
                }
            } catch where !Task.isCancelled {
                logger.warning("namespace usage could not be counted", metadata: ["error": "\(error)"])
            } catch {
                return
            }
            try? await Task.sleep(for: .seconds(30))
        }
    }
}
