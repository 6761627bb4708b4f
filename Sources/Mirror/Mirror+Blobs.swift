import AsyncHTTPClient
import NIOCore
public import OCI
public import Registry

extension Mirror {
    public func headBlob(_ name: RepositoryName, _ digest: Digest, range: ByteRange?) async throws -> BlobContent {
        guard let (route, upstreamName) = route(name) else { return try await local.headBlob(name, digest, range: range) }
        do {
            return try await local.headBlob(name, digest, range: range)
        } catch let error as RegistryError where error.code == .blobUnknown {}
        let size: Int64
        do {
            let response = try await route.client.send(.HEAD, "/v2/\(upstreamName)/blobs/\(digest)", for: upstreamName, deadline: .seconds(30))
            guard response.status == .ok else { throw await route.client.failure(response, "blob \(digest)") }
            guard let length = response.headers.first(name: "Content-Length").flatMap(Int64.init) else {
                throw UpstreamError(.invalid, upstream: route.upstream.host, "a blob HEAD without Content-Length")
            }
            size = length
        } catch {
            throw clientError(error, route: route, missing: .blobUnknown(digest))
        }
        guard let range else { return BlobContent(size: size, range: nil, body: .empty) }
        guard let resolved = range.resolve(size: size) else { throw RegistryError.rangeNotSatisfiable(size: size) }
        return BlobContent(size: size, range: resolved, body: .empty)
    }

    /// A cached blob, or one streamed from the upstream to the first client that asks
    /// while it is hashed and stored; every other client asking meanwhile waits for it to
    /// be stored and reads the cache. Nothing is stored unless the whole blob arrived
    /// with its digest. A first client that asked for a range (a resumed download) gets
    /// its bytes as they pass, not after the whole blob is stored; a first client slower
    /// than the upstream gets the rest from the cache (``ChunkRelay``).
    public func pullBlob(_ name: RepositoryName, _ digest: Digest, range: ByteRange?, origin: RequestOrigin) async throws -> BlobContent {
        guard let (route, upstreamName) = route(name) else { return try await local.pullBlob(name, digest, range: range, origin: origin) }
        do {
            let content = try await local.pullBlob(name, digest, range: range, origin: origin)
            route.metrics.hits.increment()
            return content
        } catch let error as RegistryError where error.code == .blobUnknown {}
        if passesThrough {
            do { return try await uncachedBlob(route, upstreamName, digest, range: range) } catch {
                throw clientError(error, route: route, missing: .blobUnknown(digest))
            }
        }
        let fetch = BlobFetch(relaying: true)
        let (transfer, started) = blobTransfers.start("\(name.value)@\(digest)") { [self] in
            try await self.transfer(route, name, upstreamName, digest, into: fetch)
        }
        if started { route.metrics.misses.increment() }
        if started, let relay = fetch.relay {
            let announced: Int64?
            do { announced = try await fetch.size() } catch { throw clientError(error, route: route, missing: .blobUnknown(digest)) }
            if let size = announced {
                // Served from the relay, not from the store: its pull is said here.
                await local.notePull(name, digest, size: size, origin: origin)
                let lease = RelayLease(relay)
                let wanted = try Self.bytesWanted(range, size: size)
                guard !wanted.isEmpty else { return BlobContent(size: size, range: range == nil ? nil : wanted, body: .empty) }
                // The lease's end cuts the relay loose; the transfer goes on filling the cache.
                return BlobContent(size: size, range: range == nil ? nil : wanted, body: .stream(BlobStream(source: .upstream(route.upstream.host)) { [local] body in
                    defer { lease.relay.abandon() }
                    var offset: Int64 = 0
                    while offset < wanted.upperBound {
                        let next: ByteBuffer?
                        do { next = try await lease.relay.next() } catch is ChunkRelay.Detached {
                            // Too slow to be waited for: the rest comes from the cache once stored.
                            try await transfer.value
                            try await local.readBlob(name, digest, range: max(offset, wanted.lowerBound)..<wanted.upperBound, into: body)
                            return
                        }
                        guard let chunk = next else { return }
                        defer { offset += Int64(chunk.readableBytes) }
                        if let part = chunk.cut(startingAt: offset, to: wanted) { try await body(part) }
                    }
                }))
            }
        }
        do { try await transfer.value } catch { throw clientError(error, route: route, missing: .blobUnknown(digest)) }
        return try await local.pullBlob(name, digest, range: range, origin: origin)
    }

    /// The bytes a client asked for of a blob of `size`: its range, or all of it.
    /// - Throws: `RANGE_INVALID` (416) for a range the blob cannot satisfy.
    static func bytesWanted(_ range: ByteRange?, size: Int64) throws -> Range<Int64> {
        guard let range else { return 0..<size }
        guard let resolved = range.resolve(size: size) else { throw RegistryError.rangeNotSatisfiable(size: size) }
        return resolved
    }

    /// Fetches a blob from the upstream into the cache through an upload session, which
    /// the local registry commits only when the bytes match the digest.
    func transfer(_ route: Route, _ name: RepositoryName, _ upstreamName: RepositoryName, _ digest: Digest, into fetch: BlobFetch) async throws {
        do {
            // Stored by a transfer that ended between the caller's miss and this one's start.
            if (try? await local.headBlob(name, digest, range: nil)) != nil {
                fetch.answered(.success(nil))
                fetch.relay?.finish(nil)
                return
            }
            // Bytes another repository's cache brought (a base layer most images share):
            // linked once the upstream confirms this repository holds them, a HEAD instead
            // of a second download. Never without that confirmation, so no blob of another
            // repository, local or mirrored, becomes readable under this name by its digest.
            if try await local.storedBlobSize(digest) != nil,
               await upstreamHolds(route, upstreamName, digest),
               try await local.linkStoredBlob(name, digest, origin: Self.origin)
            {
                route.metrics.shared.increment()
                fetch.answered(.success(nil))
                fetch.relay?.finish(nil)
                return
            }
            let response = try await route.client.send(
                .GET, "/v2/\(upstreamName)/blobs/\(digest)", for: upstreamName, deadline: .seconds(24 * 3600)
            )
            guard response.status == .ok else { throw await route.client.failure(response, "blob \(digest)") }
            // Without a length (a chunked answer) nothing is relayed: the client waits for
            // the blob to be stored and reads the cache.
            let length = response.headers.first(name: "Content-Length").flatMap(Int64.init).flatMap { $0 >= 0 ? $0 : nil }
            fetch.answered(.success(length))
            let body = RelayedBody(base: response.body, relay: length == nil ? nil : fetch.relay, counter: route.metrics.bytes)
            do {
                let stored = try await local.uploadMonolithic(name, digest: digest, body: body, origin: Self.origin)
                if let length, stored != length {
                    throw UpstreamError(.invalid, upstream: route.upstream.host, "blob \(digest) was \(stored) bytes, announced \(length)")
                }
            } catch let error as RegistryError where error.code == .digestInvalid || error.code == .sizeInvalid {
                throw UpstreamError(.invalid, upstream: route.upstream.host, "blob \(digest) arrived damaged: \(error.message)")
            } catch let error as UpstreamError {
                throw error
            } catch let error as RegistryError {
                throw error
            } catch {
                // The body broke off: the upstream went away in the middle of the blob.
                throw UpstreamError(.unreachable, upstream: route.upstream.host, "blob \(digest) broke off: \(error)")
            }
            fetch.relay?.finish(nil)
            logger.debug("mirror cached a blob", metadata: ["repository": "\(name)", "digest": "\(digest)"])
        } catch {
            logger.warning("mirror could not fetch a blob", metadata: ["repository": "\(name)", "digest": "\(digest)", "error": "\(error)"])
            fetch.answered(.failure(error))
            fetch.relay?.finish(error)
            throw error
        }
    }

    /// Whether the upstream answers a HEAD of the blob under `upstreamName` with 200; any
    /// failure is a no, and the download that follows reports it properly.
    private func upstreamHolds(_ route: Route, _ upstreamName: RepositoryName, _ digest: Digest) async -> Bool {
        let response = try? await route.client.send(.HEAD, "/v2/\(upstreamName)/blobs/\(digest)", for: upstreamName, deadline: .seconds(30))
        return response?.status == .ok
    }

    /// A small blob whole (an image's config, read by the index), fetched into the cache
    /// when it is not there yet (a read-only mirror answers only what it holds).
    public func blobBytes(_ name: RepositoryName, _ digest: Digest, limit: Int) async throws -> [UInt8]? {
        if let bytes = try await local.blobBytes(name, digest, limit: limit) { return bytes }
        guard let (route, upstreamName) = route(name), !passesThrough else { return nil }
        let fetch = BlobFetch(relaying: false)
        let (transfer, _) = blobTransfers.start("\(name.value)@\(digest)") { [self] in
            try await self.transfer(route, name, upstreamName, digest, into: fetch)
        }
        guard (try? await transfer.value) != nil else { return nil }
        return try await local.blobBytes(name, digest, limit: limit)
    }
}
