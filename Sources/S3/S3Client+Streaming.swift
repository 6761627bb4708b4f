import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Storage

extension S3Client {
    /// What a streamed GET ended with when the store did not send the object.
    struct Refusal: Sendable {
        var status: Int
        /// The answer's body (S3's error document), cut at 64 KiB.
        var text: String
    }

    /// Reads one object's body over a connection of its own, in pieces of up to 1 MiB, on
    /// the event loop of the task that asks (a request's connection), so that bytes go from
    /// the store's socket to the client's without a thread switch or a task resume per
    /// ~46 KiB, as AsyncHTTPClient's bodies arrive (`docs/performance.md`, "S3: a pull").
    /// The store's socket is read only while the consumer keeps up: `body` suspending is the
    /// backpressure.
    ///
    /// Made for large bodies: a connection per GET costs a connect (and a TLS handshake on
    /// `https`) that a multi-megabyte body makes small. Failures before the first byte are
    /// retried as ``send(_:key:query:headers:body:timeout:)`` retries them; after it, the
    /// body is cut and the error says so.
    /// - Returns: nil when the body was delivered whole, else the store's answer.
    func streamObject(
        key: String,
        headers extra: [(String, String)],
        into body: (ByteBuffer) async throws -> Void
    ) async throws -> Refusal? {
        var lastFailure = ""
        let started = ContinuousClock.now
        for attempt in 0..<attempts {
            guard try await pause(before: attempt, since: started) else { break }
            var delivered = false
            do {
                let outcome = try await streamOnce(key: key, headers: extra) { buffer in
                    delivered = true
                    do {
                        try await body(buffer)
                    } catch {
                        throw ConsumerFailure(error: error)
                    }
                }
                switch outcome {
                case .delivered:
                    return nil
                case .refused(let refusal) where refusal.status >= 500 || refusal.status == 429:
                    lastFailure = "HTTP \(refusal.status)"
                    StorageAttempts.failed?("GET \(key): \(lastFailure)")
                case .refused(let refusal):
                    return refusal
                }
            } catch let failure as ConsumerFailure {
                // The reader's own error (its client went away): not the store's doing.
                throw failure.error
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as StorageError {
                throw error
            } catch {
                // Bytes already sent cannot be taken back: the caller's response is cut short.
                if delivered { throw StorageError.unavailable(key, reason: "GET body: \(error)") }
                lastFailure = "\(error)"
                StorageAttempts.failed?("GET \(key): \(lastFailure)")
            }
        }
        throw StorageError.unavailable(key, reason: "GET failed after \(ContinuousClock.now - started), last: \(lastFailure)")
    }

    private enum StreamOutcome {
        case delivered
        case refused(Refusal)
    }

    private struct ConsumerFailure: Error {
        var error: any Error
    }

    private struct Truncated: Error, CustomStringConvertible {
        var description: String { "the store closed the connection before the end of the body" }
    }

    private func streamOnce(
        key: String,
        headers extra: [(String, String)],
        into body: (ByteBuffer) async throws -> Void
    ) async throws -> StreamOutcome {
        let signed = signedHead(.GET, key: key, query: [], headers: extra, hasBody: false, signer: try await signer())
        var headers = HTTPHeaders(signed.headers)
        headers.add(name: "host", value: endpoint.host)
        headers.add(name: "connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: signed.target, headers: headers)
        let connection = try await connect()
        return try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(.head(head))
            try await outbound.write(.end(nil))
            var parts = inbound.makeAsyncIterator()
            guard case .head(let response) = try await parts.next() else { throw Truncated() }
            let status = Int(response.status.code)
            guard status == 200 || status == 206 else {
                var text = ByteBuffer()
                while let part = try await parts.next() {
                    guard case .body(var piece) = part else { break }
                    if text.readableBytes < 64 << 10 { text.writeBuffer(&piece) }
                }
                return .refused(Refusal(status: status, text: String(buffer: text)))
            }
            while let part = try await parts.next() {
                switch part {
                case .body(let piece): try await body(piece)
                case .end: return .delivered
                case .head: throw Truncated()
                }
            }
            throw Truncated()
        }
    }

    /// A new connection to the store on the caller's event loop when it runs on one.
    private func connect() async throws -> NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart> {
        let (host, port) = endpoint.hostAndPort
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? HTTPClient.defaultEventLoopGroup.next()
        // An https store is only ever reached over TLS: without a context, no connection.
        if endpoint.scheme == "https", streamingTLS == nil {
            throw StorageError.unavailable(endpoint.bucket, reason: "TLS to the store could not be set up")
        }
        let tls = streamingTLS
        let serverName = host.isIPAddress ? nil : host
        return try await ClientBootstrap(group: loop)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            // Reads as large as the socket holds, up to 1 MiB: each read is one piece handed
            // on, so its size sets how often the consumer resumes.
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64 << 10, initial: 256 << 10, maximum: 1 << 20))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(StalledReadHandler(timeout: .seconds(60)))
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    // Two pieces (up to 2 MiB) wait for the consumer at most.
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2))
                    )
                }
            }
    }
}

extension S3Client.Endpoint {
    /// Where to connect: the host (without an IPv6 literal's brackets) and the port, given
    /// or the scheme's.
    var hostAndPort: (String, Int) {
        let authority = host
        let defaultPort = scheme == "https" ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let address = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            return (address, rest.hasPrefix(":") ? Int(rest.dropFirst()) ?? defaultPort : defaultPort)
        }
        if let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]) {
            return (String(authority[..<colon]), port)
        }
        return (authority, defaultPort)
    }
}

extension String {
    /// Whether this names an address rather than a host: TLS sends no server name for one.
    fileprivate var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}
