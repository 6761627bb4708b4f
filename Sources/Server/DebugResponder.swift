import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import OCI
import RegistryAPI
import Prometheus
import Registry

/// The debug server on `http.debug.addr`: `/debug/health` checks storage on each call and
/// answers 200, or 503 with the spec's error body while storage is failing, so load
/// balancers and orchestrators take a broken instance out of rotation. With
/// `http.debug.prometheus.enabled` it also serves the metrics in Prometheus' text format.
struct DebugResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let registry: any ContentStore
    let logger: Logger
    /// Where Prometheus metrics are served, with the collector that renders them.
    let metrics: (path: String, collector: PrometheusCollectorRegistry)?
    /// `health`'s periodic checks, whose failures this endpoint names.
    var health: HealthMonitor? = nil

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.pathWithoutQuery
        if let metrics, path == metrics.path {
            var buffer = [UInt8]()
            metrics.collector.emit(into: &buffer)
            return RegistryResponder.body(
                ByteBuffer(bytes: buffer),
                method: request.method,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"]
            )
        }
        guard path == "/debug/health" else {
            return RegistryError(.unsupported, "no such endpoint", detail: String(path.prefix(200)), status: 404)
                .response(for: request.method)
        }
        if let failing = health?.failing, !failing.isEmpty {
            // distribution's shape for failing checks: their names and reasons, as monitors
            // written for it read them.
            let body = "{" + failing.map { #""\#(JSONString.escaped($0.name))":"\#(JSONString.escaped($0.reason))""# }.joined(separator: ",") + "}"
            var response = RegistryResponder.json(body, method: request.method)
            response.status = .serviceUnavailable
            return response
        }
        do {
            try await registry.checkHealth()
            return RegistryResponder.json("{}", method: request.method)
        } catch {
            logger.error("storage health check failed", metadata: ["error": "\(error)"])
            return RegistryError(.unavailable, "storage driver is failing", detail: "\(error)")
                .response(for: request.method)
        }
    }
}
