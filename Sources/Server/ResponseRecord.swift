import Synchronization

/// The access log line and metrics of one streamed response, written once: when its body
/// ends or fails, or, if the body is never sent (the client left before the head went
/// out, and the response was dropped unsent), when it is let go, as a response cut short.
final class ResponseRecord: Sendable {
    private let outcome: FrontDispatcher.Outcome
    private let metrics: HTTPMetrics
    private let accessLog: AccessLog?
    private let start: ContinuousClock.Instant
    private let written = Atomic<Bool>(false)

    init(outcome: FrontDispatcher.Outcome, metrics: HTTPMetrics, accessLog: AccessLog?, start: ContinuousClock.Instant) {
        self.outcome = outcome
        self.metrics = metrics
        self.accessLog = accessLog
        self.start = start
    }

    /// Records the response, the first time only (see ``FrontDispatcher/record(_:metrics:accessLog:elapsed:sent:failed:)``).
    func finish(sent: Int?, failed: Bool) {
        guard !written.exchange(true, ordering: .relaxed) else { return }
        FrontDispatcher.record(outcome, metrics: metrics, accessLog: accessLog, elapsed: ContinuousClock.now - start, sent: sent, failed: failed)
    }

    deinit {
        finish(sent: 0, failed: true)
    }
}
