/// One of distribution's periodic health checks (`health.storagedriver`, `health.file[]`,
/// `health.http[]`, `health.tcp[]`).
///
/// While any check fails, distribution answers every request on the registry's port with
/// 503, so a load balancer takes the instance out of rotation: an operator drains an
/// instance by creating a file, and an instance whose token server or storage is gone
/// stops taking requests it would fail anyway. Pier runs the same checks with the same
/// names, defaults and thresholds.
public struct HealthCheckSetting: Sendable, Equatable {
    /// What the check probes.
    public enum Probe: Sendable, Equatable {
        /// The storage driver answers a listing of its root.
        case storage
        /// Fails while the file exists (a maintenance switch).
        case file(path: String)
        /// A HEAD of `url` (with `headers`) answers `statusCode` within `timeout`.
        case http(url: String, headers: [String: [String]], statusCode: Int, timeout: Duration)
        /// A TCP connection to `address` (host:port) opens.
        case tcp(address: String, timeout: Duration)
    }

    /// The name distribution gives it: `storagedriver_<driver>`, the file's path, the URL
    /// or the address; `/debug/health` lists failing checks by it.
    public var name: String
    /// What a run of the check does.
    public var probe: Probe
    /// How often it runs (distribution's default: 10 s).
    public var interval: Duration
    /// Consecutive failures before the check counts as failing (1: the first; distribution
    /// reads 0 as 1).
    public var threshold: Int

    /// A check with distribution's defaults: every 10 s, failing at its first failure.
    public init(name: String, probe: Probe, interval: Duration = .seconds(10), threshold: Int = 1) {
        self.name = name
        self.probe = probe
        self.interval = interval
        self.threshold = max(threshold, 1)
    }
}
