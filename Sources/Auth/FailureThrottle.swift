import Metrics
import Synchronization

/// Slows down a client that keeps failing to authenticate, so guessing passwords over the
/// network gets slow, while a client that mistyped once is not punished.
///
/// The penalty is taken *before* a password is checked and the check is then skipped, so a
/// guesser can neither tell a right password by its faster answer nor queue bcrypt work.
/// Credentials already verified (cached) pass without penalty, so users behind the same
/// proxy as a guesser keep working.
public final class FailureThrottle: Sendable {
    struct Record {
        var failures: Int
        var windowStart: ContinuousClock.Instant
    }

    let allowed: Int
    let window: Duration
    let maximumDelay: Duration
    /// At most this many clients are remembered; past it the table starts over rather than grow.
    let capacity: Int
    private let records = Mutex([String: Record]())
    private let failures = Counter(label: "pier_auth_failures_total")
    private let throttled = Counter(label: "pier_auth_throttled_total")

    public init(allowed: Int = 10, window: Duration = .seconds(60), maximumDelay: Duration = .seconds(5), capacity: Int = 100_000) {
        self.allowed = allowed
        self.window = window
        self.maximumDelay = maximumDelay
        self.capacity = capacity
    }

    /// Counts a failed attempt from `client`.
    public func recordFailure(from client: String) {
        failures.increment()
        let now = ContinuousClock.now
        records.withLock { records in
            if records.count >= capacity, records[client] == nil {
                records = records.filter { now - $0.value.windowStart < window }
                if records.count >= capacity { records.removeAll(keepingCapacity: true) }
            }
            var record = records[client] ?? Record(failures: 0, windowStart: now)
            if now - record.windowStart >= window { record = Record(failures: 0, windowStart: now) }
            record.failures += 1
            records[client] = record
        }
    }

    /// How long `client` must wait before its next unverified attempt is even looked at;
    /// zero while it has failed no more than `allowed` times in the window.
    public func penalty(for client: String) -> Duration {
        let now = ContinuousClock.now
        let count = records.withLock { records -> Int in
            guard let record = records[client], now - record.windowStart < window else { return 0 }
            return record.failures
        }
        guard count >= allowed else { return .zero }
        throttled.increment()
        let exponent = min(count - allowed, 16)
        return min(.milliseconds(100) * (1 << exponent), maximumDelay)
    }
}
