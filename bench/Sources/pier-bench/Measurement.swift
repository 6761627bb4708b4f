#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What one scenario run measured, printed as the one JSON line the orchestrator reads.
struct Measurement: Encodable {
    var scenario: String
    var requests: Int
    var errors: Int
    var seconds: Double
    var reqPerS: Double
    var mbPerS: Double
    var bytes: Int
    var p50Ms: Double
    var p90Ms: Double
    var p99Ms: Double
    var clientCpuS: Double
    var clientCpuPct: Double
    var firstError: String?
    /// When the timed phase ended (not printed).
    var timedEnd = ContinuousClock.now
    /// Seconds from the end of the timed phase to the printing of this result (checking the
    /// digests of large pulls, tearing down), so the orchestrator can find the timed phase
    /// among its samples of the server, which end when this process does.
    var afterSeconds = 0.0

    enum CodingKeys: String, CodingKey {
        case scenario, requests, errors, seconds, bytes
        case reqPerS = "req_per_s"
        case mbPerS = "mb_per_s"
        case p50Ms = "p50_ms"
        case p90Ms = "p90_ms"
        case p99Ms = "p99_ms"
        case clientCpuS = "client_cpu_s"
        case clientCpuPct = "client_cpu_pct"
        case firstError = "first_error"
        case afterSeconds = "after_s"
    }

    /// Counts a failure found after the timed phase (a digest checked once it was over).
    mutating func countFailure(_ description: String) {
        errors += 1
        if firstError == nil { firstError = description }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scenario, forKey: .scenario)
        try c.encode(requests, forKey: .requests)
        try c.encode(errors, forKey: .errors)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(reqPerS, forKey: .reqPerS)
        try c.encode(mbPerS, forKey: .mbPerS)
        try c.encode(bytes, forKey: .bytes)
        try c.encode(p50Ms, forKey: .p50Ms)
        try c.encode(p90Ms, forKey: .p90Ms)
        try c.encode(p99Ms, forKey: .p99Ms)
        try c.encode(clientCpuS, forKey: .clientCpuS)
        try c.encode(clientCpuPct, forKey: .clientCpuPct)
        try c.encode(firstError, forKey: .firstError)
        try c.encode(afterSeconds, forKey: .afterSeconds)
    }
}

/// CPU time this process has used, user plus system, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Per-worker results, merged once the run is over (no locking on the hot path).
struct WorkerResult: Sendable {
    var latencies: [Double] = []
    var errors = 0
    var bytes = 0
    var firstError: String?

    mutating func record(_ outcome: Result<Int, any Error>, seconds: Double) {
        latencies.append(seconds)
        switch outcome {
        case .success(let moved): bytes += moved
        case .failure(let error):
            errors += 1
            if firstError == nil { firstError = "\(error)" }
        }
    }

    static func merge(_ results: [WorkerResult], scenario: String, seconds: Double, cpu: Double) -> Measurement {
        var latencies = results.flatMap(\.latencies)
        latencies.sort()
        func percentile(_ p: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            let index = min(latencies.count - 1, Int((p * Double(latencies.count)).rounded(.up)) - 1)
            return latencies[max(index, 0)] * 1000
        }
        let bytes = results.map(\.bytes).reduce(0, +)
        return Measurement(
            scenario: scenario,
            requests: latencies.count,
            errors: results.map(\.errors).reduce(0, +),
            seconds: seconds,
            reqPerS: seconds > 0 ? Double(latencies.count) / seconds : 0,
            mbPerS: seconds > 0 ? Double(bytes) / 1e6 / seconds : 0,
            bytes: bytes,
            p50Ms: percentile(0.50),
            p90Ms: percentile(0.90),
            p99Ms: percentile(0.99),
            clientCpuS: cpu,
            clientCpuPct: seconds > 0 ? cpu / seconds * 100 : 0,
            firstError: results.compactMap(\.firstError).first
        )
    }
}
