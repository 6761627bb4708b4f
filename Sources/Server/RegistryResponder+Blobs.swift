#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
import Hummingbird
import Notifications
import HTTPTypes
import NIOCore
import OCI
import Registry
import Storage

extension RegistryResponder {
    /// HEAD and GET of a blob, with single `Range` requests answered by 206 (or 416).
    func getBlob(_ request: Request, _ name: RepositoryName, _ digest: Digest, _ context: Context) async throws -> Response {
        let size = try await registry.blobSize(name, digest)
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .dockerContentDigest: digest.description,
            .acceptRanges: "bytes",
            .eTag: "\"\(digest)\"",
            .cacheControl: "max-age=31536000",
        ]
        var range: Range<Int64>? = nil
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range], let requested = ByteRange(header) {
            guard let resolved = requested.resolve(size: size) else {
                throw RegistryError(.rangeInvalid, "requested range not satisfiable", detail: "size=\(size)")
            }
            range = resolved
            status = .partialContent
            headers[.contentRange] = "bytes \(resolved.lowerBound)-\(resolved.upperBound - 1)/\(size)"
        }
        let length = range.map { $0.upperBound - $0.lowerBound } ?? size
        headers[.contentLength] = String(length)
        if request.method == .get {
            await notify("pull", blobTarget(name, digest, size, request), request, context)
        }
        if request.method == .head || length == 0 {
            return Response(status: status, headers: headers)
        }
        if request.method == .get, let location = try await registry.blobRedirectURL(digest) {
            // `storage.redirect`: the client fetches the bytes from the store itself.
            return Response(
                status: .temporaryRedirect,
                headers: [.location: location, .dockerContentDigest: digest.description, .contentLength: "0"]
            )
        }
        let registry = registry
        let requested = range
        if settings.directBodies, let file = registry.localBlobFile(digest) {
            let channel = context.channel
            let start = Int(requested?.lowerBound ?? 0)
            let end = Int(requested?.upperBound ?? size)
            let body = ResponseBody { writer in
                try await Self.sendFile(file, digest, from: start, to: end, on: channel)
                try await writer.finish(nil)
            }
            return Response(status: status, headers: headers, body: body)
        }
        let body = ResponseBody { writer in
            try await registry.readBlob(digest, range: requested) { buffer in
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Bytes per read from a blob file, and per write to the socket.
    static let fileChunk = 2 << 20
    /// Bodies up to this size go out by `sendfile` in one region: a copy would need a fresh
    /// buffer each (above glibc's fixed mmap threshold, so an `mmap` and its page faults),
    /// and pulls of 1 MiB blobs at concurrency 8 cost the server 0.80 CPU-s per GiB copied
    /// against 0.34 by `sendfile` (`docs/performance.md`).
    static let sendfileMaximum = 4 << 20
    /// How far ahead of the reads the kernel is asked to fetch a blob file into memory.
    static let readAhead = 8 << 20

    /// Sends bytes `start..<end` of a local blob file: read into two reused buffers, each
    /// refilled once the channel has written it, so reading the next chunk overlaps sending
    /// the last and a pull allocates nothing after its first two chunks.
    ///
    /// Bodies up to `sendfileMaximum` go out by `sendfile` in one region instead. Above it,
    /// a copy rather than `sendfile`, because it measured faster and cheaper on both ends
    /// (`docs/performance.md`): on loopback, the peer a proxy on the same host is, a 1 GiB
    /// pull ran at 4.4–5.1 GB/s copied against ~2.1 by `sendfile`, the server spending
    /// ~0.22 CPU-s per GiB against ~0.49 and the client ~0.09 against ~0.20, since the
    /// receiver then reads bytes still in the cache rather than page-cache pages from memory.
    /// The reads run on the connection's event loop; a page-cache hit costs a memory copy,
    /// and `posix_fadvise` asks for the file ahead so a cold blob seldom blocks the loop.
    static func sendFile(_ path: String, _ digest: Digest, from start: Int, to end: Int, on channel: any Channel) async throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw RegistryError.blobUnknown(digest) }
        if end - start <= sendfileMaximum {
            let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
            defer { try? handle.close() }
            let region = FileRegion(fileHandle: handle, readerIndex: start, endIndex: end)
            try await channel.triggerUserOutboundEvent(DirectBodyHandler.Request(data: .fileRegion(region))).get()
            return
        }
        defer { close(fd) }
        var offset = start
        var fetched = start
        var queued: [(written: EventLoopFuture<Void>, bytes: ByteBuffer)] = []
        do {
            while offset < end {
                if fetched < end, fetched - offset < readAhead / 2 {
                    pier_prefetch(fd, off_t(fetched), off_t(min(readAhead, end - fetched)))
                    fetched = min(fetched + readAhead, end)
                }
                var buffer: ByteBuffer
                if queued.count >= 2 {
                    let oldest = queued.removeFirst()
                    try await oldest.written.get()
                    buffer = oldest.bytes
                } else {
                    buffer = channel.allocator.buffer(capacity: fileChunk)
                }
                buffer.clear()
                let count = min(fileChunk, end - offset)
                try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { memory in
                    try readFully(fd, into: UnsafeMutableRawBufferPointer(rebasing: memory[..<count]), at: offset, path)
                }
                queued.append((channel.triggerUserOutboundEvent(DirectBodyHandler.Request(data: .byteBuffer(buffer))), buffer))
                offset += count
            }
            for write in queued { try await write.written.get() }
        } catch {
            for write in queued { _ = try? await write.written.get() }
            throw error
        }
    }

    /// Fills `memory` from `fd` at `offset`; a file that ends early has changed under the
    /// response, which is then cut short rather than padded.
    private static func readFully(_ fd: Int32, into memory: UnsafeMutableRawBufferPointer, at offset: Int, _ path: String) throws -> Int {
        var done = 0
        while done < memory.count {
            let got = pread(fd, memory.baseAddress.map { $0 + done }, memory.count - done, off_t(offset + done))
            if got < 0, errno == EINTR { continue }
            guard got > 0 else {
                throw StorageError.io(path, operation: "read", errno: got < 0 ? errno : EIO)
            }
            done += got
        }
        return done
    }

    func deleteBlob(_ request: Request, _ name: RepositoryName, _ digest: Digest, _ context: Context) async throws -> Response {
        try await registry.deleteBlob(name, digest)
        await notify("delete", RegistryEvent.Target(digest: digest.description, repository: name.value), request, context)
        return Self.empty(.accepted, headers: [.dockerContentDigest: digest.description])
    }
}

/// A single byte range from a `Range` header (`bytes=a-b`, `bytes=a-`, `bytes=-n`).
struct ByteRange: Equatable {
    var start: Int64?
    var end: Int64?

    /// Nil for headers this server does not interpret (other units, several ranges, bad
    /// syntax): HTTP lets a server ignore those and send the whole blob.
    init?(_ header: String) {
        guard header.hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash]
        let second = spec[spec.index(after: dash)...]
        start = first.isEmpty ? nil : Int64(first)
        end = second.isEmpty ? nil : Int64(second)
        if !first.isEmpty, start == nil { return nil }
        if !second.isEmpty, end == nil { return nil }
        if start == nil, end == nil { return nil }
        if let start, let end, end < start { return nil }
    }

    /// The half-open range within a blob of `size` bytes, or nil when unsatisfiable.
    func resolve(size: Int64) -> Range<Int64>? {
        if let start {
            guard start < size else { return nil }
            let last = min(end ?? (size - 1), size - 1)
            return start..<(last + 1)
        }
        guard let suffix = end, suffix > 0, size > 0 else { return nil }
        return max(0, size - suffix)..<size
    }
}
