import Metrics

/// What an operator watches of one upstream: how often the cache answered (hits), had to
/// ask (misses), answered without the upstream (stale), found the upstream did not have
/// what was asked (not found) or could not answer (errors), how many bytes came from the
/// upstream, and how many blobs another repository's cache already held (linked after a
/// HEAD instead of downloaded).
struct MirrorMetrics: Sendable {
    let hits: Counter
    let misses: Counter
    let stale: Counter
    /// The upstream answered 404: a client asked for a tag, manifest or blob that is not
    /// there. Not an error of the mirror or the upstream, so kept out of `errors`, where
    /// clients probing for missing tags set off error alerts.
    let notFound: Counter
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
        notFound = requests("not_found")
        errors = requests("error")
        bytes = Counter(label: "pier_mirror_upstream_bytes_total", dimensions: [("upstream", upstream)])
        shared = Counter(label: "pier_mirror_shared_blobs_total", dimensions: [("upstream", upstream)])
    }
}
