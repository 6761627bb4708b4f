import Metrics
import Synchronization

/// Slows down a client that keeps failing to authenticate, so guessing passwords over the
/// network gets slow, while a client that mistyped once is not punished.
public final class FailureThrottle: Sendable {
    struct Record {
        var failures: Int
        var windowStart: ContinuousClock.Instant
    }

    let allowed: Int
    let window: Duration
    let maximumDelay: Duration
    private let records = Mutex([String: Record]())
    private let failures = Counter(label: "pier_auth_failures_total")
    private let throttled = Counter(label: "pier_auth_throttled_total")

    public init(allowed: Int = 10, window: Duration = .seconds(60), maximumDelay: Duration = .seconds(5)) {
        self.allowed = allowed
        self.window = window
        self.maximumDelay = maximumDelay
    }

    /// Counts a failure from `client` and returns how long to wait before answering it.
    public func recordFailure(from client: String) -> Duration {
        failures.increment()
        let now = ContinuousClock.now
        let count = records.withLock { records -> Int in
            if records.count > 50_000 { records = records.filter { now - $0.value.windowStart < window } }
            var record = records[client] ?? Record(failures: 0, windowStart: now)
            if now - record.windowStart >= window { record = Record(failures: 0, windowStart: now) }
            record.failures += 1
            records[client] = record
            return record.failures
        }
        guard count > allowed else { return .zero }
        throttled.increment()
        let exponent = min(count - allowed - 1, 16)
        return min(.milliseconds(100) * (1 << exponent), maximumDelay)
    }
}
