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

    /// A mirrored repository's referrers are the upstream's (signatures and SBOMs attached
    /// after the image was cached included), or the cached ones while it is down. An
    /// upstream without the referrers API (distribution 2.8 answers 404) makes the mirrored
    /// name answer 404 too, so clients fall back to the tag schema (`sha256-<hex>` tags),
    /// which the mirror serves like any tag.
    public func referrers(_ name: RepositoryName, _ digest: Digest, artifactType: String?) async throws -> [Descriptor] {
        guard let (route, upstreamName) = route(name) else {
            return try await local.referrers(name, digest, artifactType: artifactType)
        }
        do {
            let found = try await upstreamReferrers(route, upstreamName, digest, artifactType: artifactType)
            return artifactType.map { wanted in found.filter { $0.artifactType == wanted } } ?? found
        } catch let error as UpstreamError where error.isOutage {
            route.metrics.stale.increment()
            return try await local.referrers(name, digest, artifactType: artifactType)
        } catch let error as UpstreamError where error.isNotFound {
            throw error.message.contains(RegistryError.Code.nameUnknown.rawValue)
                ? RegistryError.nameUnknown(name)
                : RegistryError(
                    .unsupported, "the upstream registry has no referrers API; clients fall back to the tag schema",
                    detail: name.value, status: 404
                )
        } catch {
            throw clientError(error, route: route, missing: .nameUnknown(name))
        }
    }

    /// The most pages of an upstream's referrers followed: a subject with more referrers
    /// than that lists its first pages only.
    static let referrerPages = 20

    /// Every page of the upstream's referrers list (its `Link` headers followed).
    private func upstreamReferrers(
        _ route: Route, _ upstreamName: RepositoryName, _ digest: Digest, artifactType: String?
    ) async throws -> [Descriptor] {
        var components = URLComponents()
        components.path = "/v2/\(upstreamName)/referrers/\(digest)"
        if let artifactType { components.queryItems = [URLQueryItem(name: "artifactType", value: artifactType)] }
        var next: String? = components.string ?? components.path
        var found = [Descriptor]()
        for _ in 0..<Self.referrerPages {
            guard let path = next else { break }
            let response = try await route.client.send(.GET, path, for: upstreamName, accept: [MediaType.ociIndex], deadline: .seconds(60))
            guard response.status == .ok else { throw await route.client.failure(response, "referrers of \(upstreamName)@\(digest)") }
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: Manifest.maximumSize) } catch {
                throw UpstreamError(.unreachable, upstream: route.upstream.host, "referrers of \(upstreamName) broke off: \(error)")
            }
            guard let page = try? JSONDecoder().decode(ReferrersPage.self, from: Data(body.readableBytesView)) else {
                throw UpstreamError(.invalid, upstream: route.upstream.host, "referrers of \(upstreamName) are not an image index")
            }
            found += page.manifests ?? []
            next = response.headers.first(name: "Link").flatMap(Self.nextPage)
        }
        return found
    }

    /// The path and query of a `Link: <…>; rel="next"` header, as the spec pages lists.
    static func nextPage(_ link: String) -> String? {
        guard link.contains("rel=\"next\""), let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close
        else { return nil }
        let target = link[link.index(after: open)..<close]
        guard let url = URLComponents(string: String(target)) else { return nil }
        return url.percentEncodedPath + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// What the mirror reads of an upstream's referrers response.
    private struct ReferrersPage: Decodable {
        var manifests: [Descriptor]?
    }
}
