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
            // Paged here as well: an upstream that ignores `n` and `last` (distribution 2.8
            // answers every tag, unsorted) would otherwise send a client following `Link`
            // round the same page for ever.
            var tags = ((object["tags"] as? [String]) ?? []).sorted()
            if let last, !last.isEmpty { tags.removeAll { $0 <= last } }
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
            // Filtered here, not asked of the upstream: a `+` in a media type
            // (`application/spdx+json`) reads as a space to many servers' query parsers.
            let found = try await upstreamReferrers(route, upstreamName, digest)
            return artifactType.map { wanted in found.filter { $0.artifactType == wanted } } ?? found
        } catch let error as UpstreamError where error.isOutage {
            route.metrics.stale.increment()
            return try await local.referrers(name, digest, artifactType: artifactType)
        } catch let error as UpstreamError where error.isNotFound {
            throw error.codes.contains(RegistryError.Code.nameUnknown.rawValue)
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

    /// Every page of the upstream's referrers list (its `Link` headers followed), each
    /// referrer once.
    private func upstreamReferrers(_ route: Route, _ upstreamName: RepositoryName, _ digest: Digest) async throws -> [Descriptor] {
        var next: String? = "/v2/\(upstreamName)/referrers/\(digest)"
        var fetched = Set<String>()
        var found = [Descriptor]()
        var seen = Set<Digest>()
        for _ in 0..<Self.referrerPages {
            guard let path = next, fetched.insert(path).inserted else { break }
            let response = try await route.client.send(.GET, path, for: upstreamName, accept: [MediaType.ociIndex], deadline: .seconds(60))
            guard response.status == .ok else {
                let failure = await route.client.failure(response, "referrers of \(upstreamName)@\(digest)")
                // Past the first page a 404 is a broken list, not an upstream without the API.
                guard fetched.count == 1 || !failure.isNotFound else {
                    throw UpstreamError(.invalid, upstream: route.upstream.host, "a page of the referrers of \(upstreamName) is gone: \(failure.message)")
                }
                throw failure
            }
            let body: ByteBuffer
            do { body = try await response.body.collect(upTo: Manifest.maximumSize) } catch {
                throw UpstreamError(.unreachable, upstream: route.upstream.host, "referrers of \(upstreamName) broke off: \(error)")
            }
            guard let page = try? JSONDecoder().decode(ReferrersPage.self, from: Data(body.readableBytesView)) else {
                throw UpstreamError(.invalid, upstream: route.upstream.host, "referrers of \(upstreamName) are not an image index")
            }
            for descriptor in page.manifests ?? [] where seen.insert(descriptor.digest).inserted { found.append(descriptor) }
            next = response.headers["Link"].lazy.compactMap(Self.nextPage).first
        }
        return found
    }

    /// The path and query of the `rel="next"` link in a `Link` header (which may list
    /// several, comma-separated), as the spec pages lists.
    static func nextPage(_ header: String) -> String? {
        for link in header.split(separator: ",") {
            guard let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close,
                  link[close...].split(separator: ";").contains(where: {
                      $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "") == "rel=next"
                  })
            else { continue }
            guard let url = URLComponents(string: String(link[link.index(after: open)..<close])) else { return nil }
            return url.percentEncodedPath + (url.percentEncodedQuery.map { "?" + $0 } ?? "")
        }
        return nil
    }

    /// What the mirror reads of an upstream's referrers response.
    private struct ReferrersPage: Decodable {
        var manifests: [Descriptor]?
    }
}
