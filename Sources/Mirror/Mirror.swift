public import Logging
import NIOCore
public import OCI
public import Registry
import Synchronization

/// A pull-through cache in front of upstream registries, as a ``ContentStore``: names
/// under a mirrored prefix are answered from the local ``Registry`` (the cache) and
/// fetched from their upstream on a miss; every other name is the local registry's, so one
/// Pier mirrors several upstreams beside repositories it owns.
///
/// Everything the mirror caches goes through the local registry's own door, so events,
/// the index, quotas and the garbage collector see cached images as they see pushed ones;
/// eviction is the collector's retention over the times the mirror keeps fresh.
public final class Mirror: ContentStore {
    /// The cache, and the registry of every name no upstream covers.
    public let local: Registry
    let routes: [Route]
    let logger: Logger
    let blobTransfers = SingleFlight<Void>()
    let manifestFetches = SingleFlight<StoredManifest>()
    /// When the upstream last confirmed each cached tag (`name:tag`), for `freshness`.
    let confirmed = Mutex<[String: ContinuousClock.Instant]>([:])
    /// When each cached tag's or manifest's link was last rewritten as in use, for `ttl`.
    let touched = Mutex<[String: ContinuousClock.Instant]>([:])

    /// One upstream and what talks to it.
    struct Route: Sendable {
        let upstream: MirrorUpstream
        let client: UpstreamClient
        let metrics: MirrorMetrics
    }

    /// The origin of what the mirror stores, as events name it.
    static let origin = RequestOrigin(method: "MIRROR", userAgent: "pier-mirror")

    /// A mirror of `upstreams` over `local`.
    /// - Throws: when an upstream's CA file cannot be read.
    public init(local: Registry, upstreams: [MirrorUpstream], logger: Logger) throws {
        self.local = local
        self.logger = logger
        // The longest prefix first, so `hub/internal` can be its own upstream inside `hub`.
        var routes = [Route]()
        for upstream in upstreams.sorted(by: { $0.prefix.count > $1.prefix.count }) {
            do {
                routes.append(Route(upstream: upstream, client: try UpstreamClient(upstream), metrics: MirrorMetrics(upstream: upstream.host)))
            } catch {
                // Clients already made hold connection pools that must be shut down.
                let made = routes
                Task { for route in made { await route.client.shutdown() } }
                throw error
            }
        }
        self.routes = routes
    }

    /// Closes the upstream connections and the local registry's driver.
    public func shutdown() async {
        for route in routes { await route.client.shutdown() }
        await local.shutdown()
    }

    /// The upstream that answers for `name`, with the upstream's name for it.
    func route(_ name: RepositoryName) -> (Route, RepositoryName)? {
        for route in routes {
            if let upstreamName = route.upstream.upstreamName(for: name) { return (route, upstreamName) }
        }
        return nil
    }

    /// Whether `name` is a mirrored repository (no pushes, no deletes through the API).
    public func isMirrored(_ name: RepositoryName) -> Bool {
        route(name) != nil
    }

    func refuse(_ name: RepositoryName) -> RegistryError {
        RegistryError(
            .unsupported, "the repository mirrors an upstream registry: push to the upstream instead",
            detail: name.value
        )
    }

    /// The registry error a client gets for an upstream's failure; `missing` is what a
    /// 404 from the upstream means (an unknown blob or manifest), counted as `not_found`,
    /// not as an error: a client asking for a tag that does not exist is no failure.
    func clientError(_ error: any Error, route: Route, missing: RegistryError) -> any Error {
        guard let upstream = error as? UpstreamError else { return error }
        if upstream.isNotFound {
            route.metrics.notFound.increment()
            return missing
        }
        route.metrics.errors.increment()
        if upstream.isOutage {
            return RegistryError(.unavailable, "the upstream registry is unavailable", detail: upstream.description)
        }
        if case .status(let code) = upstream.kind, code == 401 || code == 403 {
            return RegistryError(.denied, "the upstream registry refused the mirror", detail: upstream.description)
        }
        return RegistryError(.unknown, "the upstream registry answered unexpectedly", detail: upstream.description, status: 502)
    }

    public var eventDetail: EventDetail { local.eventDetail }

    public func checkHealth() async throws {
        try await local.checkHealth()
    }

    public func checkReachable() async throws {
        try await local.checkReachable()
    }
}
