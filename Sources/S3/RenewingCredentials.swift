import Foundation
import Storage
import Synchronization

/// Temporary keys from an endpoint that hands them out (an EC2 instance role, an ECS task
/// role), held in memory and asked for again before they expire.
///
/// Requests never wait for a renewal while the keys they hold still work: from
/// ``renewalWindow`` before the expiry one request starts the renewal and every request
/// goes on signing with the current keys. Only when there are no keys, or they are within
/// ``expiryMargin`` of expiring, do requests wait, all of them on the same single fetch,
/// which ``defaultFetchTimeout`` bounds. After a fetch fails, none starts for ``retryInterval``
/// and requests without keys fail at once, so an endpoint that is down costs one attempt
/// per interval rather than one per request.
public final class RenewingCredentials: S3CredentialSource {
    /// Keys with the time they stop working.
    public struct Lease: Sendable, Equatable {
        /// The keys and the session token every request made with them must carry.
        public var credentials: SignatureV4.Credentials
        /// nil when the endpoint named no end: then they are asked for again after
        /// ``RenewingCredentials/undatedLifetime``.
        public var expiration: Date?

        /// Keys as an endpoint answered them.
        public init(credentials: SignatureV4.Credentials, expiration: Date?) {
            self.credentials = credentials
            self.expiration = expiration
        }
    }

    /// AWS's role endpoints put new keys in place at least five minutes before the old ones
    /// expire; asking earlier would only be given the same keys again.
    public static let renewalWindow: TimeInterval = 5 * 60
    /// How long keys without an expiration are used before they are asked for again.
    public static let undatedLifetime: TimeInterval = 60 * 60
    /// The least time between a failed fetch and the next, and the least time keys that
    /// were due already when they came (a clock set wrong) are used.
    public static let retryInterval: TimeInterval = 5
    /// Keys are not used this close to their expiry: a request signed now may reach the
    /// store a little later, on a clock a little ahead.
    public static let expiryMargin: TimeInterval = 60
    /// The longest a fetch may take, body included, before it counts as failed.
    public static let defaultFetchTimeout: Duration = .seconds(15)

    private struct Held {
        var credentials: SignatureV4.Credentials
        /// From here on a request starts a renewal.
        var renewAt: Date
        /// From here on requests wait for new keys.
        var expiresAt: Date
    }

    private struct State {
        var held: Held?
        var fetch: Task<Held, any Error>?
        var lastFailureAt: Date?
        var lastFailure: String?
    }

    /// Where the keys come from, for errors and logs (never a token).
    public let origin: String
    private let fetchLease: @Sendable () async throws -> Lease
    private let now: @Sendable () -> Date
    private let fetchTimeout: Duration
    private let state = Mutex(State())

    /// - Parameters:
    ///   - origin: the endpoint as errors name it.
    ///   - now: the clock expirations are compared with.
    ///   - fetchTimeout: the longest a fetch may take, body included.
    ///   - fetch: asks the endpoint for keys; its errors are reported with `origin`.
    public init(
        origin: String,
        now: @escaping @Sendable () -> Date = Date.init,
        fetchTimeout: Duration = defaultFetchTimeout,
        fetch: @escaping @Sendable () async throws -> Lease
    ) {
        self.origin = origin
        self.now = now
        self.fetchTimeout = fetchTimeout
        self.fetchLease = fetch
    }

    /// Whether a fetch is under way (for tests that wait for a renewal to land).
    var isFetching: Bool { state.withLock { $0.fetch != nil } }

    /// Keys from one of AWS's credential endpoints.
    public convenience init(endpoint: CredentialEndpoint) {
        self.init(origin: endpoint.description) { try await endpoint.fetch() }
    }

    /// The current keys, from memory unless there are none yet or they are about to expire.
    public func credentials() async throws -> SignatureV4.Credentials {
        enum Step {
            case use(SignatureV4.Credentials)
            case wait(Task<Held, any Error>)
            case fail(String)
        }
        let now = now()
        let step = state.withLock { state -> Step in
            if let held = state.held, held.expiresAt > now {
                if held.renewAt <= now, state.fetch == nil, isRetryDue(state, now) {
                    _ = startFetch(&state, now)
                }
                return .use(held.credentials)
            }
            if let fetch = state.fetch { return .wait(fetch) }
            if !isRetryDue(state, now), let failure = state.lastFailure { return .fail(failure) }
            return .wait(startFetch(&state, now))
        }
        switch step {
        case .use(let credentials):
            return credentials
        case .fail(let failure):
            throw StorageError.unavailable("credentials", reason: "\(origin): \(failure)")
        case .wait(let fetch):
            do {
                return try await fetch.value.credentials
            } catch {
                throw StorageError.unavailable("credentials", reason: "\(origin): \(error)")
            }
        }
    }

    private func isRetryDue(_ state: State, _ now: Date) -> Bool {
        guard let last = state.lastFailureAt else { return true }
        return now.timeIntervalSince(last) >= Self.retryInterval
    }

    /// Starts the one fetch in flight and files it in `state`; the fetch files its outcome
    /// there itself (under the same lock, so after this returns), so a renewal nobody
    /// waits for still lands.
    private func startFetch(_ state: inout State, _ now: Date) -> Task<Held, any Error> {
        let fetch = Task { [self] in
            do {
                let lease = try await withDeadline(fetchLease)
                let fetched = self.now()
                let expiration = lease.expiration ?? fetched.addingTimeInterval(Self.undatedLifetime)
                // Keys that are due already (a clock set wrong) are used for the retry
                // interval rather than fetched again for every request.
                let floor = fetched.addingTimeInterval(Self.retryInterval)
                let held = Held(
                    credentials: lease.credentials,
                    renewAt: max(expiration.addingTimeInterval(-Self.renewalWindow), floor),
                    expiresAt: max(expiration.addingTimeInterval(-Self.expiryMargin), floor)
                )
                self.state.withLock { state in
                    state.held = held
                    state.fetch = nil
                    state.lastFailure = nil
                    state.lastFailureAt = nil
                }
                return held
            } catch {
                let failed = self.now()
                self.state.withLock { state in
                    state.fetch = nil
                    state.lastFailure = "\(error)"
                    state.lastFailureAt = failed
                }
                throw error
            }
        }
        state.fetch = fetch
        return fetch
    }

    private struct FetchTimedOut: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "no answer within \(timeout)" }
    }

    /// `fetch`, given up after the fetch timeout: an endpoint that answers its head and
    /// then trickles the body would otherwise hold every waiting request. The fetch is
    /// cancelled then, and must stop when it is (AsyncHTTPClient's requests and bodies do):
    /// the group returns only once it has.
    private func withDeadline(_ fetch: @escaping @Sendable () async throws -> Lease) async throws -> Lease {
        let timeout = fetchTimeout
        return try await withThrowingTaskGroup(of: Lease.self) { group in
            group.addTask { try await fetch() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw FetchTimedOut(timeout: timeout)
            }
            defer { group.cancelAll() }
            guard let lease = try await group.next() else { throw FetchTimedOut(timeout: timeout) }
            return lease
        }
    }
}
