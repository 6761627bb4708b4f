import NIOCore

/// Closes a connection whose peer sends nothing for `timeout` while a read is wanted.
///
/// An idle timer cannot tell a stalled store from a paused reader: when the client of a
/// pull is slow, the body's backpressure stops reading from the store for as long as it
/// likes. This handler sits next to the socket and times only the reads the pipeline asks
/// for, so a pause never counts and a store that goes quiet mid-body is noticed.
final class StalledReadHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    /// Why the connection was closed; the body's reader sees it as the error.
    struct Stalled: Error, CustomStringConvertible {
        let timeout: TimeAmount
        var description: String { "the store sent nothing for \(timeout.nanoseconds / 1_000_000_000) s" }
    }

    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func read(context: ChannelHandlerContext) {
        if timer == nil {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let timeout = timeout
            timer = context.eventLoop.scheduleTask(in: timeout) {
                bound.value.fireErrorCaught(Stalled(timeout: timeout))
                bound.value.close(promise: nil)
            }
        }
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        disarm()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
