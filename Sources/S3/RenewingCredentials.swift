import Foundation
import Storage
import Synchronization

/// Temporary keys from an endpoint that hands them out (an EC2 instance role, an ECS task
/// role), held in memory and asked for again before they expire.
///
/// Requests never wait for a renewal while the keys they hold still work: from
/// ``renewalWindow`` before the expiry one request starts the renewal and every request
/// goes on signing with the current keys. Only when there are no keys, or they have
/// expired, do requests wait, all of them on the same single fetch. A fetch that fails is
/// not tried again for ``retryInterval``, so an endpoint that is down costs one timeout per
/// interval rather than one per request.
public final class RenewingCredentials: S3CredentialSource {
    /// Keys with the time they stop working.
    public struct Lease: Sendable, Equatable {
        public var credentials: SignatureV4.Credentials
        /// nil when the endpoint named no end: then they are asked for again after
        /// ``RenewingCredentials/undatedLifetime``.
        public var expiration: Date?

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
    /// The least time between two fetches, whether the first failed or answered keys that
    /// were already due (a clock set wrong).
    public static let retryInterval: TimeInterval = 5

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
        var lastAttempt: Date?
        var lastFailure: String?
    }

    /// Where the keys come from, for errors and logs (never a token).
    public let origin: String
    private let fetchLease: @Sendable () async throws -> Lease
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    /// - Parameters:
    ///   - origin: the endpoint as errors name it.
    ///   - now: the clock expirations are compared with.
    ///   - fetch: asks the endpoint for keys; its errors are reported with `origin`.
    public init(origin: String, now: @escaping @Sendable () -> Date = Date.init, fetch: @escaping @Sendable () async throws -> Lease) {
        self.origin = origin
        self.now = now
        self.fetchLease = fetch
    }

    /// Keys from one of AWS's credential endpoints.
    public convenience init(endpoint: CredentialEndpoint) {
        self.init(origin: endpoint.description) { try await endpoint.fetch() }
    }

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
        guard let last = state.lastAttempt else { return true }
        return now.timeIntervalSince(last) >= Self.retryInterval
    }

    /// Starts the one fetch in flight and files it in `state`; the fetch files its outcome
    /// there itself (under the same lock, so after this returns), so a renewal nobody
    /// waits for still lands.
    private func startFetch(_ state: inout State, _ now: Date) -> Task<Held, any Error> {
        state.lastAttempt = now
        let fetch = Task { [self] in
            do {
                let lease = try await fetchLease()
                let fetched = self.now()
                let expiration = lease.expiration ?? fetched.addingTimeInterval(Self.undatedLifetime)
                // Keys that are due already (a clock set wrong) are used for the retry
                // interval rather than fetched again for every request.
                let floor = fetched.addingTimeInterval(Self.retryInterval)
                let held = Held(
                    credentials: lease.credentials,
                    renewAt: max(expiration.addingTimeInterval(-Self.renewalWindow), floor),
                    expiresAt: max(expiration, floor)
                )
                self.state.withLock { state in
                    state.held = held
                    state.fetch = nil
                    state.lastFailure = nil
                }
                return held
            } catch {
                self.state.withLock { state in
                    state.fetch = nil
                    state.lastFailure = "\(error)"
                }
                throw error
            }
        }
        state.fetch = fetch
        return fetch
    }
}
