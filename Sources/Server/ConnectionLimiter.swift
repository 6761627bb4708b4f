#if canImport(Glibc)
import Glibc
#endif
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// Holds the number of open connections of the registry's listeners under a limit, and
/// closes connections that stay silent: a connection opened beyond the limit is closed at
/// once, and one that sends no byte within `silence` (before any TLS handshake or request
/// head) is closed then, so thousands of idle or hostile clients can neither exhaust the
/// process's file descriptors nor hold the slots of the clients being served.
///
/// It also bounds how long a response may stall: a client that stops reading (a pull left
/// hanging, a hostile reader) would otherwise hold its connection, its place under the
/// limit and, over TLS, a read-ahead buffer for as long as it likes, since the HTTP
/// server's idle timer does not run while a response is being written.
final class ConnectionLimiter: Sendable {
    private let open = NIOLockedValueBox(0)
    private let admittedOnce = NIOLockedValueBox(false)
    /// The admitted connections, so a shutdown whose drain time ran out can end them.
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    let limit: Int
    let silence: TimeAmount
    /// How long sent bytes may stay unacknowledged, or wait on a window the client keeps
    /// closed, before the connection is dropped (`http.timeouts.write`); nil: never.
    let stall: TimeAmount?

    /// Connections turned away at the limit, so an operator sees clients refused rather
    /// than guessing from their reports: a metric for each, a log line at most a minute.
    private let refusals: Counter
    private let opened: Gauge
    private let lastWarning = NIOLockedValueBox<(at: NIODeadline?, since: Int)>((nil, 0))
    private let logger: Logger?

    /// - Parameter listeners: which listeners share it, as the metrics name them.
    init(limit: Int, silence: TimeAmount, stall: TimeAmount? = nil, listeners: String = "registry", logger: Logger? = nil) {
        refusals = Counter(label: "pier_http_connections_refused_total", dimensions: [("listeners", listeners)])
        opened = Gauge(label: "pier_http_connections_open", dimensions: [("listeners", listeners)])
        self.limit = limit
        self.silence = silence
        self.stall = stall
        self.logger = logger
    }

    /// Counts a refusal, and logs the refusals of the last minute when one has passed.
    private func refused() {
        refusals.increment()
        guard let logger else { return }
        let now = NIODeadline.now()
        let due: Int? = lastWarning.withLockedValue { last in
            last.since += 1
            if let at = last.at, now - at < .minutes(1) { return nil }
            defer { last = (now, 0) }
            return last.since
        }
        if let due {
            logger.warning(
                "connection limit reached: connections refused (http.maxconnections)",
                metadata: ["limit": "\(limit)", "refused": "\(due)"]
            )
        }
    }

    /// Puts the stall bound on a TCP connection as `TCP_USER_TIMEOUT`, which Linux applies
    /// both to unacknowledged data and to data held back by a zero window (a reader that
    /// stopped; Linux 5.11 and later, earlier kernels count only unacknowledged data).
    /// The kernel keeps the clock, so a stalled response costs no timer here and a slow one
    /// that keeps reading is never cut. Unix sockets have no such option and no remote
    /// clients; for them it is left out.
    fileprivate func boundStalls(of channel: any Channel) {
        #if os(Linux)
        guard let stall, channel.localAddress?.pathname == nil, let options = channel.syncOptions else { return }
        let milliseconds = Int(clamping: min(max(1, stall.nanoseconds / 1_000_000), Int64(CInt.max)))
        let option = ChannelOptions.Types.SocketOption.tcpOption(NIOBSDSocket.Option(rawValue: CInt(TCP_USER_TIMEOUT)))
        try? options.setOption(option, value: milliseconds)
        #endif
    }

    /// Counts a new connection; false when it is one too many (and is not counted).
    func admit() -> Bool {
        // The gauge is set under the lock, so two event loops cannot leave it at a stale value.
        let admitted = open.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            opened.record(count)
            return true
        }
        if admitted { admittedOnce.withLockedValue { $0 = true } } else { refused() }
        return admitted
    }

    /// Whether any connection was ever admitted: a start that failed served none.
    var everAccepted: Bool { admittedOnce.withLockedValue { $0 } }

    func release() {
        open.withLockedValue { count in
            count -= 1
            opened.record(count)
        }
    }

    /// Closes every admitted connection still open; how many there were. A response stuck
    /// on a client that stopped reading would otherwise hold the process past
    /// `http.draintimeout` until the write timeout.
    @discardableResult
    func closeAll() -> Int {
        let open = channels.withLockedValue { channels in
            defer { channels.removeAll() }
            return Array(channels.values)
        }
        for channel in open { channel.close(promise: nil) }
        return open.count
    }

    /// The handler that admits its connection or closes it, first in the pipeline.
    func handler() -> Handler {
        Handler(limiter: self)
    }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        private let limiter: ConnectionLimiter
        private var admitted = false
        private var heard = false
        private var timer: Scheduled<Void>?

        init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func handlerAdded(context: ChannelHandlerContext) {
            admitted = limiter.admit()
            guard admitted else {
                context.close(promise: nil)
                return
            }
            let channel = context.channel
            limiter.channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
            limiter.boundStalls(of: channel)
            timer = context.eventLoop.scheduleTask(in: limiter.silence) {
                channel.close(promise: nil)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            timer?.cancel()
            timer = nil
            if admitted {
                limiter.release()
                let channel = context.channel
                limiter.channels.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
            }
            admitted = false
        }

        func channelInactive(context: ChannelHandlerContext) {
            timer?.cancel()
            timer = nil
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard admitted else { return }
            if !heard {
                heard = true
                timer?.cancel()
                timer = nil
            }
            context.fireChannelRead(data)
        }
    }
}
