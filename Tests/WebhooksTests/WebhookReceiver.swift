import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A webhook receiver for the tests: a plain HTTP listener on 127.0.0.1 (an address the
/// tests' policy allows) that answers every request with ``status`` (200 unless set) and
/// keeps the bodies it answered 2xx, in order.
final class WebhookReceiver: Sendable {
    /// What was received, shared with the connections' handlers.
    final class Inbox: Sendable {
        private let bodies = Mutex<[String]>([])
        private let answer = Mutex<Int>(200)
        private let refused = Mutex<[String]>([])
        func append(_ body: String) { bodies.withLock { $0.append(body) } }
        var received: [String] { bodies.withLock { $0 } }
        var status: Int {
            get { answer.withLock { $0 } }
            set { answer.withLock { $0 = newValue } }
        }
        func refuse(_ body: String) { refused.withLock { $0.append(body) } }
        var refusals: [String] { refused.withLock { $0 } }
    }

    private let channel: any Channel
    private let inbox: Inbox

    private init(channel: any Channel, inbox: Inbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Listens on a free port of 127.0.0.1.
    static func start() async throws -> WebhookReceiver {
        let inbox = Inbox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return WebhookReceiver(channel: channel, inbox: inbox)
    }

    /// A URL of this receiver.
    func url(_ path: String = "/hook") -> String {
        "http://127.0.0.1:\(channel.localAddress?.port ?? 0)\(path)"
    }

    /// The bodies received (answered 2xx) so far.
    var bodies: [String] { inbox.received }

    /// The bodies answered with another status.
    var refused: [String] { inbox.refusals }

    /// What every request is answered with from now on.
    func answer(_ status: Int) {
        inbox.status = status
    }

    /// The bodies once `check` holds of them, or as they are after `seconds`.
    func wait(seconds: Int = 20, until check: ([String]) -> Bool) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if check(bodies) { return bodies }
            try await Task.sleep(for: .milliseconds(50))
        }
        return bodies
    }

    func stop() async throws {
        try await channel.close()
    }

    /// Reads one request (head, then as many body bytes as `Content-Length` says), keeps
    /// its body and answers 200 with `Connection: close`: each delivery has its own client.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let inbox: Inbox
        private var received = ByteBuffer()

        init(inbox: Inbox) {
            self.inbox = inbox
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = unwrapInboundIn(data)
            received.writeBuffer(&chunk)
            let text = String(buffer: received)
            guard let end = text.range(of: "\r\n\r\n") else { return }
            let length = String(text[..<end.lowerBound]).components(separatedBy: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            let body = text[end.upperBound...]
            guard body.utf8.count >= length else { return }
            let status = inbox.status
            if (200..<300).contains(status) { inbox.append(String(body)) } else { inbox.refuse(String(body)) }
            received.clear()
            let answer = context.channel.allocator.buffer(string: "HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
        }
    }
}
