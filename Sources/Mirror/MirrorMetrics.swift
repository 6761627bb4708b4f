import Metrics

/// What an operator watches of one upstream: how often the cache answered (hits), had to
/// ask (misses), answered without the upstream (stale) or could not answer (errors), how
/// many bytes came from the upstream, and how many blobs another repository's cache
/// already held (linked after a HEAD instead of downloaded).
struct MirrorMetrics: Sendable {
    let hits: Counter
    let misses: Counter
    let stale: Counter
    let errors: Counter
    let bytes: Counter
    let shared: Counter

    init(upstream: String) {
        func requests(_ result: String) -> Counter {
            Counter(label: "pier_mirror_requests_total", dimensions: [("upstream", upstream), ("result", result)])
        }
        hits = requests("hit")
        misses = requests("miss")
        stale = requests("stale")
        errors = requests("error")
        bytes = Counter(label: "pier_mirror_upstream_bytes_total", dimensions: [("upstream", upstream)])
        shared = Counter(label: "pier_mirror_shared_blobs_total", dimensions: [("upstream", upstream)])
    }
}
