import AsyncHTTPClient
import Foundation
import NIOCore
public import OCI
public import Registry

extension Mirror {
    /// A manifest as a HEAD or the registry's own readers see it: from the cache while
    /// fresh, else checked with (or fetched from) the upstream. No event.
    public func getManifest(_ name: RepositoryName, _ reference: Reference) async throws -> StoredManifest {
        guard let (route, upstreamName) = route(name) else { return try await local.getManifest(name, reference) }
        return try await manifest(route, name, upstreamName, reference)
    }

    /// ``getManifest(_:_:)`` and the local registry's pull event (which the index counts).
    public func pullManifest(_ name: RepositoryName, _ reference: Reference, origin: RequestOrigin) async throws -> StoredManifest {
        guard let (route, upstreamName) = route(name) else { return try await local.pullManifest(name, reference, origin: origin) }
        let found = try await manifest(route, name, upstreamName, reference)
        guard var pulled = try? await local.pullManifest(name, .digest(found.digest), origin: origin) else { return found }
        pulled.stale = found.stale
        return pulled
    }

    /// The manifest for a reference of a mirrored repository.
    ///
    /// By digest it is immutable: the cache's copy, or the upstream's fetched once. By
    /// tag the cache answers while the upstream confirmed it within `freshness`; after that
    /// one `HEAD` upstream decides between the cached copy and a fetch, and when the
    /// upstream is down (unreachable, 5xx, 429) the cached copy is served marked stale.
    func manifest(_ route: Route, _ name: RepositoryName, _ upstreamName: RepositoryName, _ reference: Reference) async throws -> StoredManifest {
        let missing = RegistryError.manifestUnknown(reference)
        switch reference {
        case .digest(let digest):
            if let cached = try? await local.getManifest(name, reference) {
                route.metrics.hits.increment()
                touchIfDue(route, name, reference)
                return cached
            }
            do {
                return try await manifestFetches.run("\(name.value)@\(digest)") { [self] in
                    try await fetchManifest(route, name, upstreamName, reference)
                }.0
            } catch {
                throw clientError(error, route: route, missing: missing)
            }
        case .tag(let tag):
            let key = "\(name.value):\(tag.value)"
            let cached = try? await local.getManifest(name, reference)
            if let cached, isFresh(key, route) {
                route.metrics.hits.increment()
                touchIfDue(route, name, reference)
                return cached
            }
            do {
                return try await manifestFetches.run(key) { [self] in
                    try await refresh(route, name, upstreamName, tag, cached: cached)
                }.0
            } catch let error as UpstreamError where error.isOutage && cached != nil {
                guard var stale = cached else { throw error }
                route.metrics.stale.increment()
                logger.notice("mirror served a cached tag while its upstream is down", metadata: [
                    "repository": "\(name)", "tag": "\(tag)", "error": "\(error)",
                ])
                touchIfDue(route, name, reference)
                stale.stale = true
                return stale
            } catch {
                throw clientError(error, route: route, missing: missing)
            }
        }
    }

    /// Asks the upstream whether a cached tag still points where it did (a `HEAD`, which
    /// Docker Hub's rate limit does not count) and fetches the manifest when it does not,
    /// or when the `HEAD` did not say (only the `GET`'s 404 uncaches the tag).
    func refresh(_ route: Route, _ name: RepositoryName, _ upstreamName: RepositoryName, _ tag: Tag, cached: StoredManifest?) async throws -> StoredManifest {
        let key = "\(name.value):\(tag.value)"
        if let cached {
            let head = try await route.client.within("manifest \(upstreamName):\(tag)") { () async throws -> HTTPClientResponse in
                let answer = try await route.client.send(
                    .HEAD, "/v2/\(upstreamName)/manifests/\(tag)", for: upstreamName, accept: UpstreamClient.manifestTypes, deadline: .seconds(30)
                )
                _ = try? await answer.body.collect(upTo: 64 * 1024)
                return answer
            }
            // The digest header, else an entity tag that is the digest (what some registries
            // send instead): one HEAD decides, no GET per pull.
            let answered = head.headers.first(name: "Docker-Content-Digest").flatMap(Digest.init)
                ?? head.headers.first(name: "ETag").flatMap { Digest($0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).replacingOccurrences(of: "W/", with: "")) }
            if head.status == .ok, let digest = answered, digest == cached.digest {
                confirm(key)
                route.metrics.hits.increment()
                touchIfDue(route, name, .tag(tag))
                return cached
            }
            // Down or overloaded: the cached copy is served stale. Any other answer that is
            // not a 200 with a digest (a 404, 400 or 405 from an upstream whose manifest
            // HEAD is broken while its GET works, a 200 with neither header) leaves the GET
            // to decide, or the tag would be uncached and pulls of it fail by turns.
            if head.status.code >= 500 || head.status == .tooManyRequests {
                throw UpstreamError(.status(Int(head.status.code)), upstream: route.upstream.host, "manifest \(upstreamName):\(tag): \(head.status.code)")
            }
        }
        let fetched: StoredManifest
        do {
            fetched = try await fetchManifest(route, name, upstreamName, .tag(tag))
        } catch let error as UpstreamError where error.isNotFound && cached != nil && !passesThrough {
            // Gone upstream: gone here too, or the next outage would serve it again.
            _ = try? await local.uncacheTag(name, tag, origin: Self.origin)
            confirmed.withLock { _ = $0.removeValue(forKey: key) }
            throw error
        }
        // Passed through uncached, the tag's cached copy is still the old one: confirming
        // it would serve that copy again as fresh.
        if !passesThrough { confirm(key) }
        return fetched
    }

    /// Fetches a manifest from the upstream and stores it byte-exact (its digest checked),
    /// without the blobs or platforms it names: those come when they are pulled. A
    /// read-only mirror answers it without storing it.
    func fetchManifest(_ route: Route, _ name: RepositoryName, _ upstreamName: RepositoryName, _ reference: Reference) async throws -> StoredManifest {
        // The request and the body under one deadline: a manifest is small, and one that
        // trickles in is an outage (a cached tag is served stale), not a wait for every
        // client sharing the fetch.
        let (response, body) = try await route.client.within("manifest \(upstreamName):\(reference)") {
            () async throws -> (HTTPClientResponse, ByteBuffer) in
            let answer = try await route.client.send(
                .GET, "/v2/\(upstreamName)/manifests/\(reference)", for: upstreamName, accept: UpstreamClient.manifestTypes, deadline: .seconds(60)
            )
            guard answer.status == .ok else { throw await route.client.failure(answer, "manifest \(upstreamName):\(reference)") }
            do {
                let collected = try await answer.body.collect(upTo: Manifest.maximumSize)
                return (answer, collected)
            } catch let error as NIOTooManyBytesError {
                throw UpstreamError(
                    .invalid, upstream: route.upstream.host,
                    "manifest \(upstreamName):\(reference) is larger than \(error.maxBytes ?? Manifest.maximumSize) bytes"
                )
            } catch {
                throw UpstreamError(.unreachable, upstream: route.upstream.host, "manifest \(upstreamName):\(reference) broke off: \(error)")
            }
        }
        let bytes = Array(buffer: body)
        route.metrics.bytes.increment(by: bytes.count)
        let announced = response.headers.first(name: "Docker-Content-Digest").flatMap(Digest.init)
        let expected: Digest? = if case .digest(let digest) = reference { digest } else { announced }
        if let expected, Digest.of(bytes, algorithm: expected.algorithm) != expected {
            throw UpstreamError(.invalid, upstream: route.upstream.host, "manifest \(upstreamName):\(reference) does not match \(expected)")
        }
        // A generic type (`application/json`, what some servers send for every manifest) says
        // nothing: the manifest's own `mediaType` decides, as for a push without a type.
        let contentType = response.headers.first(name: "Content-Type")
            .map { String($0.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased() }
            .flatMap { ["", "application/json", "text/plain", "application/octet-stream"].contains($0) ? nil : $0 }
        if passesThrough {
            return try uncachedManifest(route, upstreamName, reference, bytes: bytes, contentType: contentType)
        }
        route.metrics.misses.increment()
        let stored: StoredManifest
        do {
            stored = try await local.cacheManifest(name, reference: reference, bytes: bytes, contentType: contentType, origin: Self.origin)
        } catch let error as RegistryError where [.manifestInvalid, .digestInvalid].contains(error.code) {
            // What the upstream sent is no manifest: its fault, not the client's.
            throw UpstreamError(.invalid, upstream: route.upstream.host, "manifest \(upstreamName):\(reference): \(error.message)")
        }
        touched.withLock { $0[touchKey(name, reference)] = .now }
        logger.debug("mirror cached a manifest", metadata: ["repository": "\(name)", "reference": "\(reference)", "digest": "\(stored.digest)"])
        return stored
    }

    func isFresh(_ key: String, _ route: Route) -> Bool {
        confirmed.withLock { $0[key].map { ContinuousClock.now - $0 < route.upstream.freshness } ?? false }
    }

    func confirm(_ key: String) {
        confirmed.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = .now
        }
    }

    func touchKey(_ name: RepositoryName, _ reference: Reference) -> String {
        if case .digest = reference { return "\(name.value)@\(reference)" }
        return "\(name.value):\(reference)"
    }

    /// Notes a cached tag or manifest as in use, at most every eighth of the TTL (and at
    /// least hourly): the collector evicts what was not used within the TTL.
    func touchIfDue(_ route: Route, _ name: RepositoryName, _ reference: Reference) {
        guard let ttl = route.upstream.ttl, !passesThrough else { return }
        let interval = min(ttl / 8, .seconds(3600))
        let key = touchKey(name, reference)
        let due = touched.withLock { entries -> Bool in
            if let last = entries[key], ContinuousClock.now - last < interval { return false }
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = .now
            return true
        }
        guard due else { return }
        // A warning, not a debug line: a marker that cannot be written lets the collector
        // evict what is in use, every TTL, and nothing else shows it.
        Task { [local, logger] in
            do { try await local.noteUse(name, reference) } catch {
                logger.warning("mirror could not mark a cached manifest in use; the collector may evict it", metadata: [
                    "repository": "\(name)", "reference": "\(reference)", "error": "\(error)",
                ])
            }
        }
    }
}
