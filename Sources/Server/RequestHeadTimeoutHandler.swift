import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose first request head does not arrive in time.
///
/// A slowloris client sends a header byte every few seconds and never finishes its head,
/// holding its connection, and its file descriptor, for as long as it likes. The first
/// request's head must be complete within `timeout` of the connection opening (30 s by
/// default, against 60 s of idle time); later heads of a keep-alive connection must come
/// within the idle timeout, which the HTTP server counts from the end of each response and
/// which only a complete head resets. Bodies are not limited here: a slow upload of a large
/// layer is legitimate.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?
    private var armed = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { disarm() }
        context.fireChannelRead(data)
    }

    /// Once per connection: the first head cancels it for good.
    private func arm(_ context: ChannelHandlerContext) {
        guard !armed else { return }
        armed = true
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) {
            channel.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
