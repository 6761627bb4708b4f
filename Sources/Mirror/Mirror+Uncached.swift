import AsyncHTTPClient
import NIOCore
import OCI
import Registry

extension Mirror {
    /// Whether what the cache misses is passed through from the upstream without being
    /// stored: in read-only mode (`storage.maintenance.readonly`), whose point is that
    /// storage does not change while an operator works on it (an offline collection, a
    /// copy, a migration), yet pulls of everything mirrored go on working.
    var passesThrough: Bool { local.options.readOnly }

    /// A manifest the upstream sent, checked as one (its digest already was) and answered
    /// as it is, without being stored.
    func uncachedManifest(
        _ route: Route, _ upstreamName: RepositoryName, _ reference: Reference, bytes: [UInt8], contentType: String?
    ) throws -> StoredManifest {
        let manifest: Manifest
        do {
            manifest = try Manifest.parse(bytes, contentType: contentType)
        } catch {
            throw UpstreamError(.invalid, upstream: route.upstream.host, "manifest \(upstreamName):\(reference): \(error.message)")
        }
        // The checks a stored copy gets, so read-only mode answers what normal mode would.
        guard Registry.detectMediaType(bytes) == manifest.mediaType else {
            throw UpstreamError(.invalid, upstream: route.upstream.host, "manifest \(upstreamName):\(reference): its shape does not match its media type \(manifest.mediaType)")
        }
        route.metrics.misses.increment()
        let served: Digest = if case .digest(let digest) = reference { digest } else { Digest.of(bytes, algorithm: .sha256) }
        return StoredManifest(digest: served, mediaType: manifest.mediaType, bytes: bytes)
    }

    /// A blob the cache misses, streamed from the upstream to this one client and not
    /// stored. Its length is known before the response begins (a chunked upstream answer is
    /// refused while the client can still be told), and a body that reaches the blob's end
    /// (whole, `bytes=n-`, `bytes=-n`) is verified as it passes: the last chunk is sent only
    /// once the digest matches, so a damaged or cut blob ends the client's body early and
    /// never completes. A range that ends earlier cannot be checked (the bytes after it are
    /// not read), as with any registry that serves one.
    func uncachedBlob(_ route: Route, _ upstreamName: RepositoryName, _ digest: Digest, range: ByteRange?) async throws -> BlobContent {
        let response = try await route.client.send(.GET, "/v2/\(upstreamName)/blobs/\(digest)", for: upstreamName, deadline: .seconds(24 * 3600))
        guard response.status == .ok else { throw await route.client.failure(response, "blob \(digest)") }
        guard let size = response.headers.first(name: "Content-Length").flatMap(Int64.init), size >= 0 else {
            throw UpstreamError(.invalid, upstream: route.upstream.host, "blob \(digest) came without Content-Length, which a read-only mirror needs to pass it through")
        }
        route.metrics.misses.increment()
        let wanted = try Self.bytesWanted(range, size: size)
        if size == 0 {
            guard Digest.of([], algorithm: digest.algorithm) == digest else {
                throw UpstreamError(.invalid, upstream: route.upstream.host, "blob \(digest) came empty")
            }
            return BlobContent(size: 0, range: nil, body: .empty)
        }
        let host = route.upstream.host
        let counter = route.metrics.bytes
        return BlobContent(size: size, range: range == nil ? nil : wanted, body: .stream(BlobStream(source: .upstream(host)) { body in
            var hasher = wanted.upperBound == size ? DigestHasher(algorithm: digest.algorithm) : nil
            var offset: Int64 = 0
            for try await chunk in response.body {
                counter.increment(by: chunk.readableBytes)
                let start = offset
                offset += Int64(chunk.readableBytes)
                guard offset <= size else { throw UpstreamError(.invalid, upstream: host, "blob \(digest) is longer than the \(size) bytes announced") }
                if hasher != nil {
                    chunk.withUnsafeReadableBytes { hasher?.update(bufferPointer: $0) }
                    // The last chunk waits for the digest: bytes that fail it are never sent.
                    if offset == size, hasher?.finalize() != digest {
                        throw UpstreamError(.invalid, upstream: host, "blob \(digest) does not match its digest")
                    }
                }
                if let part = chunk.cut(startingAt: start, to: wanted) { try await body(part) }
                if offset >= wanted.upperBound { return }
            }
            throw UpstreamError(.unreachable, upstream: host, "blob \(digest) broke off at \(offset) of \(size) bytes")
        }))
    }
}
