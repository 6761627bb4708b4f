import AsyncHTTPClient
import Foundation
import NIOCore
public import OCI
public import Registry

extension Mirror {
    /// A mirrored repository's tags are the upstream's (what a client can pull), or the
    /// cached ones while the upstream is down.
    public func tags(_ name: RepositoryName, limit: Int, after last: String?) async throws -> Page {
        guard let (route, upstreamName) = route(name) else { return try await local.tags(name, limit: limit, after: last) }
        do {
            var components = URLComponents()
            components.path = "/v2/\(upstreamName)/tags/list"
            var query = [URLQueryItem]()
            if limit < 10_000 { query.append(URLQueryItem(name: "n", value: String(limit))) }
            if let last, !last.isEmpty { query.append(URLQueryItem(name: "last", value: last)) }
            if !query.isEmpty { components.queryItems = query }
            let response = try await route.client.send(.GET, components.string ?? components.path, for: upstreamName, deadline: .seconds(60))
            guard response.status == .ok else { throw await route.client.failure(response, "tags of \(upstreamName)") }
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: 16 * 1024 * 1024) } catch {
                throw UpstreamError(.unreachable, upstream: route.upstream.host, "tags of \(upstreamName) broke off: \(error)")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
                throw UpstreamError(.invalid, upstream: route.upstream.host, "tags of \(upstreamName) are not JSON")
            }
            let tags = (object["tags"] as? [String]) ?? []
            let more = response.headers.first(name: "Link") != nil || tags.count > limit
            return Page(items: Array(tags.prefix(limit)), hasMore: more)
        } catch let error as UpstreamError where error.isOutage {
            route.metrics.stale.increment()
            return try await local.tags(name, limit: limit, after: last)
        } catch {
            throw clientError(error, route: route, missing: .nameUnknown(name))
        }
    }

    /// The repositories held here, cached ones included; an upstream's own catalog is
    /// not listed (Docker Hub has none to give).
    public func catalog(limit: Int, after last: String?) async throws -> Page {
        try await local.catalog(limit: limit, after: last)
    }

    /// Referrers of cached content (those pulled through the mirror).
    public func referrers(_ name: RepositoryName, _ digest: Digest, artifactType: String?) async throws -> [Descriptor] {
        try await local.referrers(name, digest, artifactType: artifactType)
    }
}
