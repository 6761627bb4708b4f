import Logging
import Metrics
import Registry

extension PierServer {
    /// Publishes each namespace's usage and quota as gauges (`pier_namespace_usage_bytes`,
    /// `pier_namespace_quota_bytes`) every half minute, so an alert can fire before pushes
    /// start failing.
    ///
    /// One series of each per namespace a quota covers that holds something: a namespace
    /// that holds nothing any more (its repositories were deleted, say) or that no
    /// quota covers loses its two series at the next count (kept, they grew without bound
    /// under a wildcard quota, `namespaces: ["*"]`: one per namespace ever pushed to).
    func reportQuotas(_ registry: Registry) async {
        guard !configuration.quotas.isEmpty else { return }
        // The namespaces whose gauges the last count published.
        var published = Set<String>()
        while !Task.isCancelled {
            do {
                var holding = Set<String>()
                for usage in try await registry.quotaUsage() where usage.bytes > 0 {
                    let dimensions = [("namespace", usage.namespace)]
                    Gauge(label: "pier_namespace_usage_bytes", dimensions: dimensions).record(usage.bytes)
                    Gauge(label: "pier_namespace_quota_bytes", dimensions: dimensions).record(usage.quota)
                    holding.insert(usage.namespace)
                }
                for namespace in published.subtracting(holding) {
                    let dimensions = [("namespace", namespace)]
                    Gauge(label: "pier_namespace_usage_bytes", dimensions: dimensions).destroy()
                    Gauge(label: "pier_namespace_quota_bytes", dimensions: dimensions).destroy()
                }
                published = holding
            } catch where !Task.isCancelled {
                logger.warning("namespace usage could not be counted", metadata: ["error": "\(error)"])
            } catch {
                return
            }
            try? await Task.sleep(for: .seconds(30))
        }
    }
}
