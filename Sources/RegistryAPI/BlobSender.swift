#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Logging
import Metrics
import NIOCore
import Registry

/// Sends a blob body as the registry described it. The one place in the HTTP layer that
/// owns file descriptors and `sendfile`: responders hand it a
/// ``BlobBody`` and never open a file.
struct BlobSender: Sendable {
    /// Why a body stopped after its headers went out; the client sees the connection cut
    /// short of `Content-Length`, so it retries rather than trusting a partial blob.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Whether bytes may go to the socket past the HTTP encoder (plain-HTTP listeners only;
    /// see ``DirectBodyHandler``). On TLS they must be encrypted: a local file goes through
    /// an ``EncryptedFileBodyHandler`` where the connection has one (HTTP/1.1), and is
    /// streamed through the response writer where it has not (HTTP/2 streams).
    let directBodies: Bool
    /// Where a body cut short by its store is reported: the client sees only a connection
    /// cut short, and the access log a 200 with fewer bytes, neither saying why.
    let logger: Logger
    /// Counts such cuts with the storage errors the registry API answers.
    let storageErrors: Counter

    /// The response body for `body`; nil when it carries no bytes (empty or redirect).
    /// - Parameters:
    ///   - repository: the repository's name, and `digest` the blob's, for the log of a cut.
    func responseBody(_ body: BlobBody, on channel: any Channel, repository: String, digest: String) -> ResponseBody? {
        switch body {
        case .empty, .redirect:
            return nil
        case .file(let region, let stream):
            guard directBodies else {
                return ResponseBody { writer in
                    // Looked up when the body is sent: the same responder serves HTTP/1.1 and HTTP/2.
                    if (try? await channel.pipeline.containsHandler(type: EncryptedFileBodyHandler.self).get()) != nil {
                        let request = EncryptedFileBodyHandler.Request(path: region.path, start: region.start, end: region.end)
                        try await channel.triggerUserOutboundEvent(request).get()
                    } else {
                        try await send(stream, to: &writer, repository: repository, digest: digest)
                    }
                    try await writer.finish(nil)
                }
            }
            return ResponseBody { writer in
                try await Self.sendFile(region.path, from: Int(region.start), to: Int(region.end), on: channel)
                try await writer.finish(nil)
            }
        case .stream(let stream):
            return ResponseBody { writer in
                try await send(stream, to: &writer, repository: repository, digest: digest)
                try await writer.finish(nil)
            }
        }
    }

    /// The client's side of a body failing (its connection went away), told apart from the
    /// store's: that is no failure of the registry's to log.
    private struct ClientWriteFailure: Error {
        let error: any Error
    }

    /// Sends `stream`'s bytes to `writer`. A read that fails after the response's head went
    /// out (the store died, a connection to it broke) cannot become an error response any
    /// more, so it is logged here, where its reason is known, with the blob and how far it
    /// got, and rethrown to cut the response short.
    private func send(_ stream: BlobStream, to writer: inout any ResponseBodyWriter, repository: String, digest: String) async throws {
        var sent: Int64 = 0
        do {
            try await stream.read { buffer in
                let count = buffer.readableBytes
                do {
                    try await writer.write(buffer)
                } catch {
                    throw ClientWriteFailure(error: error)
                }
                sent += Int64(count)
            }
        } catch let failure as ClientWriteFailure {
            throw failure.error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A shutdown's cancellation can arrive as a client library's own error.
            guard !Task.isCancelled else { throw error }
            let metadata: Logger.Metadata = [
                "repository": "\(repository)", "digest": "\(digest)", "bytes_sent": "\(sent)", "reason": "\(error)",
            ]
            switch stream.source {
            case .store:
                storageErrors.increment()
                logger.error("blob body cut short: reading the blob failed after its response began", metadata: metadata)
            case .upstream(let host):
                // The mirror's upstream failing is not the store's: it counts in the
                // mirror's metrics, not in pier_storage_errors_total.
                logger.warning("blob body cut short: the upstream's transfer failed after the response began", metadata: metadata.merging(["upstream": "\(host)"]) { $1 })
            }
            throw error
        }
    }

    /// Sends bytes `start..<end` of a local blob file by `sendfile`, in one region the
    /// kernel moves from the page cache to the socket without a copy in this process.
    ///
    /// Chosen over reading into reused buffers and writing them, from the pull rows that
    /// read as real clients do (`docs/performance.md`): with curl and with Go's `net/http`
    /// (docker, containerd, skopeo, podman) the two ran at the same rate or `sendfile`
    /// faster (100 MiB at concurrency 2: 4.4 against 2.8 GB/s with pier-bench, 555 against
    /// 418 MB/s with Go), while the server spent 0.11–0.16 CPU-s per GiB against
    /// 0.37–0.61 copying: a core a client on the same host (a proxy, a CI runner) keeps.
    /// The reference server sends this way too (Go's `net/http` serves files by `sendfile`).
    static func sendFile(_ path: String, from start: Int, to end: Int, on channel: any Channel) async throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open the blob's file: errno \(errno)") }
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: fd)
        defer { try? handle.close() }
        let region = FileRegion(fileHandle: handle, readerIndex: start, endIndex: end)
        try await channel.triggerUserOutboundEvent(DirectBodyHandler.Request(data: .fileRegion(region))).get()
    }
}
