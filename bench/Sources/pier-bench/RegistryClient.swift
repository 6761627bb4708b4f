import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI

/// The registry protocol spoken directly, one operation per method, so every scenario
/// measures the same requests real clients send.
struct RegistryClient: Sendable {
    let http: HTTPClient
    let base: String
    let authorization: String?

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func request(_ method: HTTPMethod, _ pathOrURL: String, body: HTTPClientRequest.Body? = nil, headers: [(String, String)] = []) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: pathOrURL.hasPrefix("http") ? pathOrURL : base + pathOrURL)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        return request
    }

    /// Sends a request and drains the response, failing on an unexpected status.
    @discardableResult
    func send(_ request: HTTPClientRequest, expect: Set<UInt>, timeout: TimeAmount = .seconds(600)) async throws -> HTTPClientResponse {
        let response = try await http.execute(request, timeout: timeout)
        guard expect.contains(response.status.code) else {
            let text = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            throw Failure(description: "\(request.method) \(request.url) → \(response.status.code) \(text.prefix(300))")
        }
        return response
    }

    private func drain(_ response: HTTPClientResponse) async throws -> Int {
        var count = 0
        for try await buffer in response.body { count += buffer.readableBytes }
        return count
    }

    /// Resolves a Location header (absolute or relative) and appends a query parameter.
    private func location(_ response: HTTPClientResponse) throws -> String {
        guard let location = response.headers.first(name: "Location") else {
            throw Failure(description: "no Location header")
        }
        return location.hasPrefix("http") ? location : base + location
    }

    private static func adding(_ query: String, to url: String) -> String {
        url + (url.contains("?") ? "&" : "?") + query
    }

    func ping() async throws -> Int {
        try await drain(send(request(.GET, "/v2/"), expect: [200]))
    }

    /// POST to open a session, then PUT the whole blob: what docker and skopeo do, and
    /// what both servers accept (distribution ignores `?digest=` on POST).
    func pushBlob(_ repo: String, _ payload: Payload) async throws {
        let start = try await send(request(.POST, "/v2/\(repo)/blobs/uploads/"), expect: [202])
        let url = Self.adding("digest=\(payload.digest)", to: try location(start))
        _ = try await drain(start)
        let put = request(.PUT, url, body: .bytes(payload.buffer), headers: [
            ("Content-Type", "application/octet-stream"), ("Content-Length", "\(payload.size)"),
        ])
        _ = try await drain(send(put, expect: [201]))
    }

    /// A session filled by PATCHes of `chunk` bytes with Content-Range, closed by PUT.
    func pushBlobChunked(_ repo: String, _ payload: Payload, chunk: Int) async throws {
        let start = try await send(request(.POST, "/v2/\(repo)/blobs/uploads/"), expect: [202])
        var url = try location(start)
        _ = try await drain(start)
        var offset = 0
        while offset < payload.size {
            let length = min(chunk, payload.size - offset)
            let slice = payload.buffer.getSlice(at: payload.buffer.readerIndex + offset, length: length) ?? ByteBuffer()
            let patch = request(.PATCH, url, body: .bytes(slice), headers: [
                ("Content-Type", "application/octet-stream"),
                ("Content-Range", "\(offset)-\(offset + length - 1)"),
                ("Content-Length", "\(length)"),
            ])
            let response = try await send(patch, expect: [202])
            url = try location(response)
            _ = try await drain(response)
            offset += length
        }
        _ = try await drain(send(request(.PUT, Self.adding("digest=\(payload.digest)", to: url)), expect: [201]))
    }

    /// One PATCH with chunked transfer encoding (length unknown to the server), then PUT.
    func pushBlobStreamed(_ repo: String, _ payload: Payload) async throws {
        let start = try await send(request(.POST, "/v2/\(repo)/blobs/uploads/"), expect: [202])
        var url = try location(start)
        _ = try await drain(start)
        let body = HTTPClientRequest.Body.stream(BufferChunks(payload.buffer, chunk: 1 << 20), length: .unknown)
        let response = try await send(request(.PATCH, url, body: body, headers: [("Content-Type", "application/octet-stream")]), expect: [202])
        url = try location(response)
        _ = try await drain(response)
        _ = try await drain(send(request(.PUT, Self.adding("digest=\(payload.digest)", to: url)), expect: [201]))
    }

    /// A manifest for one layer and a config, pushed under `tag`.
    func pushManifest(_ repo: String, tag: String, config: Payload, layer: Payload) async throws {
        let manifest = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config.digest)","size":\(config.size)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layer.digest)","size":\(layer.size)}]}
            """
        let put = request(.PUT, "/v2/\(repo)/manifests/\(tag)", body: .bytes(ByteBuffer(string: manifest)), headers: [
            ("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
        ])
        _ = try await drain(send(put, expect: [201]))
    }

    /// A real image push: layer, config, manifest.
    func pushImage(_ repo: String, tag: String, layer: Payload, mode: UploadMode) async throws {
        switch mode {
        case .monolithic: try await pushBlob(repo, layer)
        case .chunked(let chunk): try await pushBlobChunked(repo, layer, chunk: chunk)
        case .streamed: try await pushBlobStreamed(repo, layer)
        }
        let config = Payload.json(#"{"architecture":"amd64","os":"linux","pier-bench":"\#(layer.digest)"}"#)
        try await pushBlob(repo, config)
        try await pushManifest(repo, tag: tag, config: config, layer: layer)
    }

    /// Downloads a blob and checks its digest while it streams.
    func pullBlob(_ repo: String, _ digest: Digest) async throws -> Int {
        let response = try await send(request(.GET, "/v2/\(repo)/blobs/\(digest)"), expect: [200])
        let (received, count) = try await Self.hashPipelined(response.body, algorithm: digest.algorithm)
        guard received == digest else { throw Failure(description: "digest mismatch pulling \(digest)") }
        return count
    }

    /// Hashes a body on a second task while the connection goes on receiving, a bounded
    /// number of bytes ahead, so verifying a large pull costs the client the larger of
    /// receiving and hashing rather than their sum (the body stream alone hands over one
    /// buffer at a time, which serialises the two on one core). Buffers cross to the hasher
    /// in batches of about 1 MiB: one hand-over per buffer (up to 16,000 per GiB, each two
    /// task switches) was a large share of the client's CPU on a 1 GiB pull.
    static func hashPipelined(_ body: HTTPClientResponse.Body, algorithm: DigestAlgorithm) async throws -> (Digest, Int) {
        let (batches, deliver) = AsyncStream.makeStream(of: [ByteBuffer].self)
        let (credits, returnCredit) = AsyncStream.makeStream(of: Void.self)
        for _ in 0..<batchesAhead { returnCredit.yield() }
        let hashing = Task {
            var hasher = DigestHasher(algorithm: algorithm)
            var count = 0
            for await batch in batches {
                for buffer in batch {
                    count += buffer.readableBytes
                    buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                }
                returnCredit.yield()
            }
            return (hasher.finalize(), count)
        }
        var credit = credits.makeAsyncIterator()
        var batch = [ByteBuffer]()
        var batched = 0
        do {
            for try await buffer in body {
                batched += buffer.readableBytes
                batch.append(buffer)
                if batched >= batchBytes {
                    _ = await credit.next()
                    deliver.yield(batch)
                    batch = []
                    batched = 0
                }
            }
            if !batch.isEmpty {
                _ = await credit.next()
                deliver.yield(batch)
            }
        } catch {
            deliver.finish()
            hashing.cancel()
            throw error
        }
        deliver.finish()
        return await hashing.value
    }

    static let batchBytes = 1 << 20
    static let batchesAhead = 8

    /// GET or HEAD of a path, draining the body; returns bytes received.
    func fetch(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = []) async throws -> Int {
        try await drain(send(request(method, path, headers: headers), expect: [200]))
    }

    /// Downloads a path and hashes it as `pullBlob` does, so a ceiling measured on a plain
    /// web server costs the client the same work as a registry pull.
    func fetchHashed(_ path: String) async throws -> Int {
        let response = try await send(request(.GET, path), expect: [200])
        return try await Self.hashPipelined(response.body, algorithm: .sha256).1
    }

    /// PUT raw bytes to a URL (the nginx ceiling).
    func putRaw(_ path: String, _ payload: Payload) async throws {
        let put = request(.PUT, path, body: .bytes(payload.buffer), headers: [("Content-Length", "\(payload.size)")])
        _ = try await drain(send(put, expect: [200, 201, 204]))
    }
}

/// How a blob is uploaded.
enum UploadMode: Sendable {
    case monolithic
    case chunked(Int)
    case streamed
}

/// A buffer handed out in slices, as a streamed request body.
struct BufferChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    let chunk: Int

    init(_ buffer: ByteBuffer, chunk: Int) {
        self.buffer = buffer
        self.chunk = chunk
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ByteBuffer
        let chunk: Int
        mutating func next() async -> ByteBuffer? {
            guard rest.readableBytes > 0 else { return nil }
            return rest.readSlice(length: Swift.min(chunk, rest.readableBytes))
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: buffer, chunk: chunk) }
}
