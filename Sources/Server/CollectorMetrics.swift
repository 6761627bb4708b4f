import Foundation
import Metrics
import Registry

/// What the garbage collector did, for Prometheus: runs by result, what the last run
/// marked, what all runs removed and freed, how long the last took and when one last
/// finished, so an alert can fire when collections stop succeeding.
struct CollectorMetrics: Sendable {
    let marked = Gauge(label: "pier_gc_marked_blobs")
    let manifestsRemoved = Counter(label: "pier_gc_swept_manifests_total")
    let blobsRemoved = Counter(label: "pier_gc_swept_blobs_total")
    let bytesFreed = Counter(label: "pier_gc_freed_bytes_total")
    let revived = Counter(label: "pier_gc_revived_total")
    let concurrentWrites = Counter(label: "pier_gc_concurrent_writes_total")
    let duration = Gauge(label: "pier_gc_duration_seconds")
    let lastSuccess = Gauge(label: "pier_gc_last_success_timestamp_seconds")

    func recordSuccess(_ report: CollectionReport, at seconds: Double) {
        Counter(label: "pier_gc_runs_total", dimensions: [("result", "success")]).increment()
        marked.record(report.blobsMarked)
        if !report.dryRun {
            manifestsRemoved.increment(by: report.manifestsRemoved.count)
            blobsRemoved.increment(by: report.blobsRemoved.count)
            bytesFreed.increment(by: Int(report.bytesFreed))
        }
        revived.increment(by: report.revived)
        concurrentWrites.increment(by: report.concurrentWrites)
        duration.record(GarbageCollector.seconds(report.duration))
        lastSuccess.record(seconds)
    }

    /// What the store's lease says of the last collection, by whichever instance: set at
    /// start and at every look, so a restarted instance, or one that never wins the lease,
    /// does not read 0 (an alert on its age fired after every restart). Before the first
    /// collection it is when collection was first set up on the store (the lease's
    /// creation, ``CollectorLease/intervalStart(now:)``): the first one is due one interval
    /// after that, and a gauge at 0 until then fired the documented
    /// `time() - pier_gc_last_success_timestamp_seconds > 2 * 86400` on every new install.
    func recordLastSuccess(_ date: Date) {
        lastSuccess.record(date.timeIntervalSince1970)
    }

    func recordFailure() {
        Counter(label: "pier_gc_runs_total", dimensions: [("result", "failure")]).increment()
    }
}
