import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import OCI
import RegistryAPI
import Prometheus
import Registry
import Synchronization

/// The debug server on `http.debug.addr`.
///
/// `/debug/health` answers as distribution's does: 200 `{}`, or 503 with
/// `{"<check>":"<reason>"}` while one of the configured `health` checks fails, and nothing
/// else. It used to write to the store on every call as well, so a full disk answered 503
/// there even without a `health` section: a readiness probe on it took every replica out of
/// rotation and stopped pulls along with pushes, which is what the `health` checks avoid by
/// never writing.
///
/// `/debug/health/storage` (Pier's) keeps that write probe for alerting: 200 `{}`, or 503
/// with the spec's error body while the store cannot take a write (a full disk, a read-only
/// mount, a bucket that refuses writes) or does not answer in time.
///
/// With `http.debug.prometheus.enabled` it also serves the metrics in Prometheus' text
/// format. Every endpoint reads, so only GET and HEAD are answered; anything else is 405
/// with `Allow`, as the registry's API answers a method an endpoint does not have.
struct DebugResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    /// distribution's health endpoint. It and ``storagePath`` are in
    /// ``PierConfiguration/debugServerPaths``, which keeps metrics off them.
    static let healthPath = "/debug/health"
    /// Pier's storage write check.
    static let storagePath = "/debug/health/storage"
    /// The methods every endpoint here answers.
    static let allowedMethods = "GET, HEAD"

    let logger: Logger
    /// Where Prometheus metrics are served, with the collector that renders them.
    let metrics: (path: String, collector: PrometheusCollectorRegistry)?
    /// `health`'s periodic checks, whose failures `/debug/health` names.
    let health: HealthMonitor?
    /// The write probe of `/debug/health/storage`.
    let storage: StorageWriteCheck

    /// - Parameter storageLimit: how long `/debug/health/storage` waits for the store.
    init(
        registry: any ContentStore, logger: Logger, metrics: (path: String, collector: PrometheusCollectorRegistry)?,
        health: HealthMonitor? = nil, storageLimit: Duration = StorageWriteCheck.defaultLimit
    ) {
        self.logger = logger
        self.metrics = metrics
        self.health = health
        self.storage = StorageWriteCheck(store: registry, limit: storageLimit)
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = String(request.pathWithoutQuery)
        let method = request.method
        let isMetrics = metrics.map { $0.path == path } ?? false
        guard isMetrics || path == Self.healthPath || path == Self.storagePath else {
            return RegistryError(.unsupported, "no such endpoint", detail: String(path.prefix(200)), status: 404)
                .response(for: method)
        }
        guard method == .get || method == .head else { return Self.methodNotAllowed(method) }
        if let metrics, isMetrics {
            var buffer = [UInt8]()
            metrics.collector.emit(into: &buffer)
            ProcessMetrics.emit(into: &buffer)
            return RegistryResponder.body(
                ByteBuffer(bytes: buffer),
                method: method,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"]
            )
        }
        if path == Self.storagePath {
            guard let failure = await storage.run() else { return RegistryResponder.json("{}", method: method) }
            logger.error("storage write check failed", metadata: ["error": "\(failure)"])
            return RegistryError(.unavailable, "storage driver is failing", detail: failure).response(for: method)
        }
        if let failing = health?.failing, !failing.isEmpty {
            // distribution's shape for failing checks: their names and reasons, as monitors
            // written for it read them.
            let body = "{" + failing.map { #""\#(JSONString.escaped($0.name))":"\#(JSONString.escaped($0.reason))""# }.joined(separator: ",") + "}"
            return RegistryResponder.json(body, method: method, status: .serviceUnavailable)
        }
        return RegistryResponder.json("{}", method: method)
    }

    /// 405 `UNSUPPORTED` with the `Allow` header RFC 9110 requires of every 405, in the
    /// spec's error body as the registry's API answers it.
    static func methodNotAllowed(_ method: HTTPRequest.Method) -> Response {
        var response = RegistryError(.unsupported, "method not allowed on this endpoint", status: 405).response(for: method)
        response.headers[.allow] = allowedMethods
        return response
    }
}

/// The write probe behind `/debug/health/storage`: writes and removes a small file in the
/// store (``ContentStore/checkHealth()``), within a limit.
///
/// One probe runs at a time. Requests that arrive while one runs wait for its answer (two
/// scrapers, a blackbox probe and a person with curl) instead of writing again; a probe
/// that outlived its limit, such as a write to a hung network mount that cannot be
/// cancelled, makes the next ones fail at once until it returns, as ``HealthMonitor``
/// bounds its storage check, so a hung store neither holds a request past the limit nor
/// collects one blocked write per request.
final class StorageWriteCheck: Sendable {
    /// Long enough for a write and a delete on a busy object store, short enough to answer
    /// within a probe's or a scrape's own timeout (Prometheus' default is 10 s) with the reason.
    static let defaultLimit: Duration = .seconds(5)

    private let store: any ContentStore
    private let limit: Duration
    /// Set while a write, perhaps one past its limit, has not returned.
    private let busy = HealthMonitor.InFlight()
    /// The probe under way, which requests arriving meanwhile wait for.
    private let running = Mutex<Task<String?, Never>?>(nil)

    init(store: any ContentStore, limit: Duration = StorageWriteCheck.defaultLimit) {
        self.store = store
        self.limit = limit
    }

    /// Why the store cannot take a write now, or nil when it can.
    func run() async -> String? {
        let task = running.withLock { current -> Task<String?, Never> in
            if let existing = current { return existing }
            let started = Task { [self] () -> String? in
                let failure: String?
                do {
                    let store = self.store
                    try await HealthMonitor.within(self.limit, "the store did not answer", busy: self.busy) {
                        try await store.checkHealth()
                    }
                    failure = nil
                } catch {
                    failure = "\(error)"
                }
                // Only this task was stored: another starts once this one is cleared.
                self.running.withLock { $0 = nil }
                return failure
            }
            current = started
            return started
        }
        return await task.value
    }
}
