import Metrics
import Synchronization

/// Limits password guessing without locking other people out.
///
/// Attempts are counted per *user name and client address*: a guesser trying alice's
/// password from one address slows down only alice's new logins from that address, never
/// bob's, never alice's from elsewhere, and never credentials already verified (those are
/// cached and skip this gate). An attempt is counted when it is admitted, before its
/// password is checked, so a burst of simultaneous guesses is held to the same limit as a
/// sequence: at most ``Limits/allowed`` unsuccessful checks per key and window. Separately,
/// each address has a few password checks in flight at once; the rest wait their turn, so
/// one client cannot fill the bcrypt pool. Refusals and bad bearer tokens are not password
/// checks and count for nothing.
public final class LoginThrottle: Sendable {
    /// The knobs, with production defaults.
    public struct Limits: Sendable {
        /// Unsuccessful checks a user name may have from one address per window.
        public var allowed = 10
        /// How long failures are remembered, counted from the first one.
        public var window: Duration = .seconds(60)
        /// Password checks running at once for one address.
        public var checksInFlightPerAddress = 4
        /// Checks waiting for a turn per address; past this, attempts are refused.
        public var waitingPerAddress = 64
        /// Keys remembered; past it, expired ones are dropped (and, if still full, all idle ones).
        public var capacity = 100_000

        /// The defaults.
        public init() {}
    }

    /// Why an attempt may not be checked, and when trying again makes sense.
    public struct Refusal: Error, Sendable {
        public var retryAfter: Duration
    }

    /// An admitted attempt; hand it back to ``finish(_:succeeded:)``.
    public struct Ticket: Sendable {
        let key: String
        let client: String
    }

    struct Record {
        var failures = 0
        var pending = 0
        var windowStart: ContinuousClock.Instant

        mutating func expire(now: ContinuousClock.Instant, window: Duration) {
            if failures > 0, now - windowStart >= window { failures = 0 }
        }
    }

    struct Lane {
        var running = 0
        var waiting = [CheckedContinuation<Void, Never>]()
    }

    struct State {
        var records = [String: Record]()
        var lanes = [String: Lane]()
    }

    public let limits: Limits
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())
    private let failures = Counter(label: "pier_auth_failures_total")
    private let throttled = Counter(label: "pier_auth_throttled_total")

    /// - Parameter now: the clock, replaceable so tests can let a window pass.
    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.limits = limits
        self.now = now
    }

    /// Counts an attempt by `user` from `client` and waits for a turn to check it; throws
    /// when the pair is over its limit or the address has too many checks waiting.
    public func admit(user: String, client: String) async throws(Refusal) -> Ticket {
        let key = user + "\u{0}" + client
        let now = self.now()
        let admitted = state.withLock { state -> Result<Bool, Refusal> in
            var record = state.records[key] ?? Record(windowStart: now)
            record.expire(now: now, window: limits.window)
            guard record.failures + record.pending < limits.allowed else {
                let left = record.failures > 0 ? limits.window - (now - record.windowStart) : .seconds(1)
                return .failure(Refusal(retryAfter: max(left, .seconds(1))))
            }
            var lane = state.lanes[client] ?? Lane()
            let runsNow = lane.running < limits.checksInFlightPerAddress
            guard runsNow || lane.waiting.count < limits.waitingPerAddress else {
                return .failure(Refusal(retryAfter: .seconds(1)))
            }
            if state.records[key] == nil { Self.makeRoom(&state.records, capacity: limits.capacity, now: now, window: limits.window) }
            record.pending += 1
            state.records[key] = record
            if runsNow {
                lane.running += 1
                state.lanes[client] = lane
            }
            return .success(runsNow)
        }
        let runsNow: Bool
        switch admitted {
        case .failure(let refusal):
            throttled.increment()
            throw refusal
        case .success(let value):
            runsNow = value
        }
        if !runsNow {
            // Looked at again under the lock: a check may have finished meanwhile. Otherwise
            // a finishing check hands its turn straight to the first waiter.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let free = state.withLock { state -> Bool in
                    var lane = state.lanes[client] ?? Lane()
                    defer { state.lanes[client] = lane }
                    guard lane.running < limits.checksInFlightPerAddress else {
                        lane.waiting.append(continuation)
                        return false
                    }
                    lane.running += 1
                    return true
                }
                if free { continuation.resume() }
            }
        }
        return Ticket(key: key, client: client)
    }

    /// Records the outcome of an admitted attempt and passes its turn on. A success clears
    /// the pair's failures: whoever knows the password has nothing left to guess.
    public func finish(_ ticket: Ticket, succeeded: Bool) {
        let now = self.now()
        if !succeeded { failures.increment() }
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if var record = state.records[ticket.key] {
                record.pending = max(record.pending - 1, 0)
                record.expire(now: now, window: limits.window)
                if succeeded {
                    record.failures = 0
                } else {
                    if record.failures == 0 { record.windowStart = now }
                    record.failures += 1
                }
                state.records[ticket.key] = record.failures == 0 && record.pending == 0 ? nil : record
            }
            guard var lane = state.lanes[ticket.client] else { return nil }
            if !lane.waiting.isEmpty {
                let next = lane.waiting.removeFirst()
                state.lanes[ticket.client] = lane
                return next
            }
            lane.running -= 1
            state.lanes[ticket.client] = lane.running > 0 ? lane : nil
            return nil
        }
        next?.resume()
    }

    /// Checks waiting for a turn at `client`, for tests to know a waiter has queued.
    func waiting(at client: String) -> Int {
        state.withLock { $0.lanes[client]?.waiting.count ?? 0 }
    }

    /// Keeps the table bounded: expired idle records go first; if that is not enough, every
    /// idle record does (pending ones stay, so their outcome still counts).
    private static func makeRoom(_ records: inout [String: Record], capacity: Int, now: ContinuousClock.Instant, window: Duration) {
        guard records.count >= capacity else { return }
        records = records.filter { $0.value.pending > 0 || ($0.value.failures > 0 && now - $0.value.windowStart < window) }
        if records.count >= capacity { records = records.filter { $0.value.pending > 0 } }
    }
}
