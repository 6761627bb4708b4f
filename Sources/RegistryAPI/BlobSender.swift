#if canImport(Glibc)
import Glibc
#endif
import CSystemShims
import Hummingbird
import NIOCore
import Registry

/// Sends a blob body as the registry described it. The one place in the HTTP layer that
/// owns file descriptors, `sendfile`, the copy buffers and read-ahead: responders hand it a
/// ``BlobBody`` and never open a file.
struct BlobSender: Sendable {
    /// Why a body stopped after its headers went out; the client sees the connection cut
    /// short of `Content-Length`, so it retries rather than trusting a partial blob.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Whether bytes may go to the socket past the HTTP encoder (plain-HTTP listeners only;
    /// see ``DirectBodyHandler``). On TLS they must be encrypted, so a local file is streamed.
    let directBodies: Bool

    /// The response body for `body`; nil when it carries no bytes (empty or redirect).
    func responseBody(_ body: BlobBody, on channel: any Channel) -> ResponseBody? {
        switch body {
        case .empty, .redirect:
            return nil
        case .file(let region, let stream):
            guard directBodies else { return Self.streamed(stream) }
            return ResponseBody { writer in
                try await Self.sendFile(region.path, from: Int(region.start), to: Int(region.end), on: channel)
                try await writer.finish(nil)
            }
        case .stream(let stream):
            return Self.streamed(stream)
        }
    }

    private static func streamed(_ stream: BlobStream) -> ResponseBody {
        ResponseBody { writer in
            try await stream.read { buffer in try await writer.write(buffer) }
            try await writer.finish(nil)
        }
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
    static func sendFile(_ path: String, from start: Int, to end: Int, on channel: any Channel) async throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open the blob's file: errno \(errno)") }
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
                throw Failure(description: "reading the blob's file failed at \(offset + done): errno \(got < 0 ? errno : EIO)")
            }
            done += got
        }
        return done
    }

}
