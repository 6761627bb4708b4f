import AsyncHTTPClient
import Net
import Config
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Registry
import Storage
import Synchronization

/// distribution's periodic health checks (`health`), and whether the registry's port
/// answers while one of them fails.
///
/// Each check runs on its own schedule from start (distribution waits one interval for the
/// first result; a maintenance file present at start should drain at once). A check fails
/// after `threshold` failures in a row and passes again at its first success. While any
/// fails, every request on the registry's listeners but ACME's answers 503 `UNAVAILABLE`,
/// as distribution's health handler does, and `/debug/health` names the failing checks.
/// The request path reads one atomic flag.
final class HealthMonitor: Sendable {
    /// A configured check with the probe that runs it.
    struct Check: Sendable {
        let setting: HealthCheckSetting
        let probe: @Sendable () async throws -> Void
    }

    private struct State {
        var failuresInARow: [String: Int] = [:]
        var failing: [String: String] = [:]
    }

    let checks: [Check]
    private let state = Mutex(State())
    private let unhealthy = Atomic<Bool>(false)
    private let failingGauge = Gauge(label: "pier_health_checks_failing")

    init(checks: [Check]) {
        self.checks = checks
    }

    /// The checks of `settings`, probing `store` for the storage driver's.
    convenience init(settings: [HealthCheckSetting], store: any ContentStore) {
        self.init(checks: settings.map { Check(setting: $0, probe: Self.probe(for: $0.probe, interval: $0.interval, store: store)) })
    }

    /// Whether every check passes: read on every request.
    var isHealthy: Bool { !unhealthy.load(ordering: .relaxed) }

    /// The failing checks by name, with why, in name order.
    var failing: [(name: String, reason: String)] {
        state.withLock { $0.failing.sorted { $0.key < $1.key }.map { (name: $0.key, reason: $0.value) } }
    }

    /// Records one run of the check `name`; returns whether it changed between passing
    /// and failing (and so is worth a log line).
    @discardableResult
    func record(_ name: String, threshold: Int, failure: String?) -> Bool {
        state.withLock { state -> Bool in
            let wasFailing = state.failing[name] != nil
            if let failure {
                let inARow = state.failuresInARow[name, default: 0] + 1
                state.failuresInARow[name] = inARow
                if inARow >= threshold { state.failing[name] = failure }
            } else {
                state.failuresInARow[name] = 0
                state.failing[name] = nil
            }
            // Under the lock, so two checks changing at once leave the flag as the state is.
            unhealthy.store(!state.failing.isEmpty, ordering: .relaxed)
            failingGauge.record(state.failing.count)
            return wasFailing != (state.failing[name] != nil)
        }
    }

    /// Runs every check on its schedule until cancelled.
    func run(logger: Logger) async {
        await withDiscardingTaskGroup { group in
            for check in checks {
                group.addTask { [self] in
                    while !Task.isCancelled {
                        let failure: String?
                        do {
                            try await check.probe()
                            failure = nil
                        } catch {
                            failure = "\(error)"
                        }
                        if record(check.setting.name, threshold: check.setting.threshold, failure: failure) {
                            if let failure {
                                logger.error("health check failing: the registry answers 503 until it passes", metadata: [
                                    "check": "\(check.setting.name)", "reason": "\(failure)",
                                ])
                            } else {
                                logger.info("health check passing again", metadata: ["check": "\(check.setting.name)"])
                            }
                        }
                        try? await Task.sleep(for: check.setting.interval)
                    }
                }
            }
        }
    }

    /// Why a probe failed, in the words `/debug/health` shows.
    struct ProbeFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// The probe of one check; none runs longer than its timeout (the interval for the
    /// storage and file checks).
    static func probe(for probe: HealthCheckSetting.Probe, interval: Duration, store: any ContentStore) -> @Sendable () async throws -> Void {
        switch probe {
        case .storage:
            let busy = InFlight()
            return { try await within(interval, "the storage driver did not answer", busy: busy) { try await store.checkReachable() } }
        case .file(let path):
            let busy = InFlight()
            // A thread of its own: a stat of a hung network mount blocks it, and the shared
            // pool's two threads also check passwords, so a burst of logins would make the
            // check miss its limit and take the registry out. `busy` keeps it to one stat.
            let thread = NIOThreadPool(numberOfThreads: 1)
            thread.start()
            return {
                try await within(interval, "the file check did not answer", busy: busy) {
                    let exists = try await thread.runIfActive { () -> Bool in
                        // As distribution: any answer but "no such file" counts as the file being there.
                        var info = stat()
                        return stat(path, &info) == 0 || errno != ENOENT
                    }
                    if exists { throw ProbeFailure(description: "file exists") }
                }
            }
        case .http(let url, let headers, let statusCode, let timeout):
            return {
                // HEAD, as distribution's check asks.
                var request = HTTPClientRequest(url: url)
                request.method = .HEAD
                for (name, values) in headers { for value in values { request.headers.add(name: name, value: value) } }
                let response: HTTPClientResponse
                do {
                    response = try await OutboundClient.shared.execute(request, timeout: TimeAmount(timeout))
                } catch {
                    throw ProbeFailure(description: "error while checking \(url): \(error)")
                }
                guard Int(response.status.code) == statusCode else {
                    throw ProbeFailure(description: "downstream service returned unexpected status: \(response.status.code)")
                }
            }
        case .tcp(let address, let timeout):
            return {
                guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
                    throw ProbeFailure(description: "\(address) is not host:port")
                }
                let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                do {
                    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .connectTimeout(TimeAmount(timeout))
                        .connect(host: host, port: port).get()
                    try? await channel.close()
                } catch {
                    throw ProbeFailure(description: "connection to \(address) failed: \(error)")
                }
            }
        }
    }

    /// Runs `body`, failing with `reason` when it takes longer than `limit`. A body that
    /// cannot be cancelled (a listing of a hung network mount, on a thread) is left to finish
    /// on its own rather than waited for; while it has not, `busy` is set and the next run
    /// fails at once instead of starting another.
    ///
    /// A failure at the limit names the last error the work reported on the way
    /// (``StorageAttempts``, a store's client's failed attempts) or ended with, since the
    /// check last passed: an S3 client's retries can outlast the interval, and "did not
    /// answer" alone hid a store refusing connections or signatures all along.
    static func within(
        _ limit: Duration, _ reason: String, busy: InFlight, _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        guard busy.enter() else {
            throw ProbeFailure(description: busy.explaining(reason + " (the previous check has not finished)"))
        }
        let race = Race()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                race.begin(continuation)
                let work = Task {
                    defer { busy.leave() }
                    // Once cancelled (at the limit), failures are the cancellation's, which
                    // say nothing about the store.
                    let report: @Sendable (String) -> Void = { failure in
                        if !Task.isCancelled { busy.failed(failure) }
                    }
                    do {
                        try await StorageAttempts.$failed.withValue(report) { try await body() }
                        busy.passed()
                        race.finish(.success(()))
                    } catch {
                        report("\(error)")
                        race.finish(.failure(error))
                    }
                    race.cancelTasks()
                }
                let timer = Task {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    race.finish(.failure(ProbeFailure(description: busy.explaining(reason + " within \(limit)"))))
                    work.cancel()
                }
                race.keep(timer)
                // Cancelled before the handler could know of the tasks.
                if Task.isCancelled {
                    race.finish(.failure(CancellationError()))
                    timer.cancel()
                    work.cancel()
                }
            }
        } onCancel: {
            // Shutdown does not wait for a hung probe.
            race.finish(.failure(CancellationError()))
            race.cancelTasks()
        }
    }

    /// The work, the limit and cancellation racing to end one wait: the first resumes it,
    /// the others find nothing to resume.
    private final class Race: Sendable {
        private let waiting = Mutex<CheckedContinuation<Void, any Error>?>(nil)
        private let tasks = Mutex<[Task<Void, Never>]>([])

        func begin(_ continuation: CheckedContinuation<Void, any Error>) {
            waiting.withLock { $0 = continuation }
        }

        func finish(_ result: Result<Void, any Error>) {
            waiting.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }

        func keep(_ task: Task<Void, Never>) {
            tasks.withLock { $0.append(task) }
        }

        func cancelTasks() {
            tasks.withLock { $0.forEach { $0.cancel() } }
        }
    }

    /// Whether a probe is still running, so a hung one is not joined by another each turn,
    /// and the last error its runs reported since one passed.
    final class InFlight: Sendable {
        private let running = Atomic<Bool>(false)
        private let lastFailure = Mutex<String?>(nil)

        /// Records why an attempt or a run failed.
        func failed(_ reason: String) {
            lastFailure.withLock { $0 = reason }
        }

        /// Forgets the failures: the store answered.
        func passed() {
            lastFailure.withLock { $0 = nil }
        }

        /// `reason`, with the last failure recorded when there is one.
        func explaining(_ reason: String) -> String {
            guard let last = lastFailure.withLock({ $0 }) else { return reason }
            return reason + "; last error: " + last
        }

        /// Marks a probe as started; false when one already runs.
        func enter() -> Bool {
            running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        }

        func leave() {
            running.store(false, ordering: .releasing)
        }
    }
}
