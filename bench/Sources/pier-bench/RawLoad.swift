import NIOCore
import NIOHTTP1
import NIOPosix

/// Repeats one small request on `concurrency` keep-alive connections until a deadline,
/// straight on NIO: no async/await, no request objects, one event loop. For small requests
/// a general-purpose client costs more CPU than the server it measures; this one keeps the
/// client from being the bottleneck on a small machine.
struct RawLoad {
    let host: String
    let port: Int
    let method: HTTPMethod
    let path: String
    let headers: [(String, String)]
    let concurrency: Int
    let duration: Double

    func run(on group: any EventLoopGroup) async throws -> [WorkerResult] {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(duration * 1e9))
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let requestHead = head
        var futures = [EventLoopFuture<WorkerResult>]()
        for _ in 0..<concurrency {
            let loop = group.next()
            let promise = loop.makePromise(of: WorkerResult.self)
            let connect = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            RepeatingRequestHandler(head: requestHead, deadline: deadline, done: promise)
                        )
                    }
                }
                .connect(host: host, port: port)
            connect.whenFailure { promise.fail($0) }
            futures.append(promise.futureResult)
        }
        var results = [WorkerResult]()
        for future in futures { results.append(try await future.get()) }
        return results
    }
}

/// Sends the same request again as soon as the previous response has ended.
private final class RepeatingRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let deadline: NIODeadline
    private let done: EventLoopPromise<WorkerResult>
    private var result = WorkerResult()
    private var started = NIODeadline.now()
    private var status: UInt = 0
    private var received = 0
    private var finished = false

    init(head: HTTPRequestHead, deadline: NIODeadline, done: EventLoopPromise<WorkerResult>) {
        self.head = head
        self.deadline = deadline
        self.done = done
        result.latencies.reserveCapacity(1 << 16)
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context)
    }

    private func send(_ context: ChannelHandlerContext) {
        started = .now()
        received = 0
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            status = response.status.code
        case .body(let buffer):
            received += buffer.readableBytes
        case .end:
            let now = NIODeadline.now()
            let seconds = Double((now - started).nanoseconds) / 1e9
            if (200..<300).contains(status) {
                result.record(.success(received), seconds: seconds)
            } else {
                result.record(.failure(RegistryClient.Failure(description: "\(head.method) \(head.uri) → \(status)")), seconds: seconds)
            }
            if now < deadline {
                send(context)
            } else {
                finish(context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        result.record(.failure(error), seconds: 0)
        finish(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            done.succeed(result)
        }
    }

    private func finish(_ context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        done.succeed(result)
        context.close(promise: nil)
    }
}
