import NIOCore
import NIOHTTP1
import NIOPosix
import OCI

/// Downloads one large body straight on NIO and verifies its digest, for pulls of tens of
/// MiB and more. The general-purpose client reads at most 64 KiB per `read` and hands each
/// buffer through an async sequence and a task switch; on a 2-core machine that made the
/// client, not the server, the limit of a 1 GiB pull. Here the socket is read 1 MiB at a
/// time and the buffers go, in batches, to a hashing thread of their own, a bounded number
/// of batches ahead (the connection stops reading while the hasher is behind). A fresh
/// connection per download costs well under 0.1% of a pull this size.
struct RawDownload {
    let host: String
    let port: Int
    let path: String
    let headers: [(String, String)]
    let algorithm: DigestAlgorithm

    /// Bytes per socket read, and per batch handed to the hasher.
    static let readBytes = 1 << 20
    /// Batches the connection may read ahead of the hasher.
    static let batchesAhead = 8

    /// Returns the body's digest and length; fails on a status other than 200.
    func run(on loop: any EventLoop, hashingOn hashLoop: any EventLoop) async throws -> (Digest, Int) {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let requestHead = head
        let algorithm = algorithm
        let done = loop.makePromise(of: (Digest, Int).self)
        let connect = ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.readBytes))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        HashingDownloadHandler(head: requestHead, algorithm: algorithm, hashLoop: hashLoop, done: done)
                    )
                }
            }
            .connect(host: host, port: port)
        connect.whenFailure { done.fail($0) }
        return try await done.futureResult.get()
    }
}

/// The hasher's state, touched only on the hashing loop (every batch and the final digest
/// are submitted there in order, so no lock is needed).
private final class DownloadHashState: @unchecked Sendable {
    var hasher: DigestHasher
    var count = 0

    init(algorithm: DigestAlgorithm) { hasher = DigestHasher(algorithm: algorithm) }

    func update(_ batch: [ByteBuffer]) {
        for buffer in batch {
            count += buffer.readableBytes
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
    }
}

/// Sends one GET, then feeds the body to the hashing loop, holding back the channel's next
/// read while `batchesAhead` batches are waiting to be hashed.
private final class HashingDownloadHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let hashLoop: any EventLoop
    private let done: EventLoopPromise<(Digest, Int)>
    private let state: DownloadHashState
    private var context: ChannelHandlerContext?
    private var status: UInt = 0
    private var failureText = ""
    private var batch = [ByteBuffer]()
    private var batched = 0
    private var inFlight = 0
    private var readHeld = false
    private var finished = false

    init(head: HTTPRequestHead, algorithm: DigestAlgorithm, hashLoop: any EventLoop, done: EventLoopPromise<(Digest, Int)>) {
        self.head = head
        self.hashLoop = hashLoop
        self.done = done
        self.state = DownloadHashState(algorithm: algorithm)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func read(context: ChannelHandlerContext) {
        if inFlight >= RawDownload.batchesAhead {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            status = response.status.code
        case .body(let buffer):
            guard status == 200 else {
                if failureText.utf8.count < 300 { failureText += String(buffer: buffer) }
                return
            }
            batched += buffer.readableBytes
            batch.append(buffer)
            if batched >= RawDownload.readBytes { submitBatch(context) }
        case .end:
            guard status == 200 else {
                fail(context, RegistryClient.Failure(description: "GET \(head.uri) → \(status) \(failureText.prefix(300))"))
                return
            }
            if !batch.isEmpty { submitBatch(context) }
            finished = true
            let state = state
            let done = done
            hashLoop.execute { done.succeed((state.hasher.finalize(), state.count)) }
            context.close(promise: nil)
        }
    }

    /// Hands the batch to the hashing loop; its completion returns a read credit here.
    private func submitBatch(_ context: ChannelHandlerContext) {
        let submitted = batch
        batch = []
        batched = 0
        inFlight += 1
        let state = state
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loop = context.eventLoop
        hashLoop.execute {
            state.update(submitted)
            loop.execute { this.value.batchHashed() }
        }
    }

    private func batchHashed() {
        inFlight -= 1
        if readHeld, inFlight < RawDownload.batchesAhead, let context {
            readHeld = false
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context, RegistryClient.Failure(description: "GET \(head.uri): connection closed before the body ended"))
        context.fireChannelInactive()
    }

    private func fail(_ context: ChannelHandlerContext, _ error: any Error) {
        guard !finished else { return }
        finished = true
        done.fail(error)
        context.close(promise: nil)
    }
}
