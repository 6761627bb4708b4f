import AsyncHTTPClient
import Foundation
import NIOCore
public import OCI
public import Registry

extension Mirror {
    /// A mirrored repository's tags are the upstream's (what a client can pull), or the
    /// cached ones while the upstream is down.
    ///
    /// A client that gave no `n` asked for every tag: an upstream that pages anyway (Quay,
    /// GitLab: 50 a page) is followed page by page, as far as ``tagPages``, or the client
    /// would get the first page as if it were all.
    public func tags(_ name: RepositoryName, limit: Int, after last: String?) async throws -> Page {
        guard let (route, upstreamName) = route(name) else { return try await local.tags(name, limit: limit, after: last) }
        do {
            var components = URLComponents()
            components.path = "/v2/\(upstreamName)/tags/list"
            var query = [URLQueryItem]()
            let paged = limit < 10_000
            if paged { query.append(URLQueryItem(name: "n", value: String(limit))) }
            if let last, !last.isEmpty { query.append(URLQueryItem(name: "last", value: last)) }
            if !query.isEmpty { components.queryItems = query }
            var tags = [String]()
            let unread = try await upstreamPages(
                route, upstreamName, from: components.string ?? components.path, what: "tags of \(upstreamName)",
                pages: paged ? 1 : Self.tagPages, upTo: 16 * 1024 * 1024
            ) { body in
                guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
                    throw UpstreamError(.invalid, upstream: route.upstream.host, "tags of \(upstreamName) are not JSON")
                }
                tags += (object["tags"] as? [String]) ?? []
            }
            // Paged here as well: an upstream that ignores `n` and `last` (distribution 2.8
            // answers every tag, unsorted) would otherwise send a client following `Link`
            // round the same page for ever.
            tags = Set(tags).sorted()
            if let last, !last.isEmpty { tags.removeAll { $0 <= last } }
            return Page(items: Array(tags.prefix(limit)), hasMore: unread || tags.count > limit)
        } catch let error as UpstreamError where error.isOutage {
            route.metrics.stale.increment()
            return try await local.tags(name, limit: limit, after: last)
        } catch {
            throw clientError(error, route: route, missing: .nameUnknown(name))
        }
    }

    /// The most pages of an upstream's tag list followed for a client that asked for every
    /// tag: past them the answer says there is more (`Link`), as a paged one does.
    static let tagPages = 100

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
            // An upstream's empty type is none, as the spec has it and the local listing shows.
            let found = try await upstreamReferrers(route, upstreamName, digest).map { descriptor in
                var descriptor = descriptor
                if descriptor.artifactType == "" { descriptor.artifactType = nil }
                return descriptor
            }
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
        var found = [Descriptor]()
        var seen = Set<Digest>()
        _ = try await upstreamPages(
            route, upstreamName, from: "/v2/\(upstreamName)/referrers/\(digest)", accept: [MediaType.ociIndex],
            what: "referrers of \(upstreamName)@\(digest)", pages: Self.referrerPages, upTo: Manifest.maximumSize
        ) { body in
            guard let page = try? JSONDecoder().decode(ReferrersPage.self, from: Data(body.readableBytesView)) else {
                throw UpstreamError(.invalid, upstream: route.upstream.host, "referrers of \(upstreamName) are not an image index")
            }
            for descriptor in page.manifests ?? [] where seen.insert(descriptor.digest).inserted { found.append(descriptor) }
        }
        return found
    }

    /// Reads an upstream's paged list from `first` on: each page's body to `read`, then the
    /// page its `Link: rel="next"` names, followed as given (an opaque cursor such as
    /// Quay's `next_page` included, which asking again with `last` would not reproduce),
    /// each path once and at most `pages` of them.
    /// - Returns: whether the upstream has a page that was not read (past `pages`).
    private func upstreamPages(
        _ route: Route, _ upstreamName: RepositoryName, from first: String, accept: [String] = [], what: String,
        pages: Int, upTo maximumBytes: Int, _ read: (ByteBuffer) throws -> Void
    ) async throws -> Bool {
        var next: String? = first
        var fetched = Set<String>()
        for _ in 0..<pages {
            guard let path = next, fetched.insert(path).inserted else { return false }
            let first = fetched.count == 1
            // Each page's request and body under one deadline, as a manifest's.
            let (response, body) = try await route.client.within(what) { () async throws -> (HTTPClientResponse, ByteBuffer) in
                let answer = try await route.client.send(.GET, path, for: upstreamName, accept: accept, deadline: .seconds(60))
                guard answer.status == .ok else {
                    let failure = await route.client.failure(answer, what)
                    // Past the first page a 404 is a broken list, not an upstream without the API.
                    guard first || !failure.isNotFound else {
                        throw UpstreamError(.invalid, upstream: route.upstream.host, "a page of the \(what) is gone: \(failure.message)")
                    }
                    throw failure
                }
                do {
                    let collected = try await answer.body.collect(upTo: maximumBytes)
                    return (answer, collected)
                } catch {
                    throw UpstreamError(.unreachable, upstream: route.upstream.host, "\(what) broke off: \(error)")
                }
            }
            try read(body)
            next = response.headers["Link"].lazy.compactMap(Self.nextPage).first
        }
        return next.map { !fetched.contains($0) } ?? false
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
