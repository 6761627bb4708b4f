#if canImport(Glibc)
import Glibc
#endif

extension PierServer {
    /// The open connections allowed when `http.maxconnections` is unset: the process's
    /// file descriptor limit less a reserve for blob files, the store's connections, the
    /// index and the log, so a flood of connections never leaves a push unable to open
    /// its file.
    static func defaultConnectionLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        let files = Int(clamping: min(limit.rlim_cur, 1 << 20))
        let reserve = max(64, files / 5)
        return max(16, files - reserve)
    }

    /// The open connections the debug listener allows: half the reserve
    /// ``defaultConnectionLimit()`` keeps beside the registry's connections (a tenth of the
    /// process's file descriptors), at least 32 and at most 1,024, so the registry's limit
    /// and this one together never reach the descriptor limit. Large
    /// enough that idle or dripping clients must open many connections to crowd out the
    /// probes, small enough that a flood of the debug port leaves blob files their
    /// descriptors on a host with a high limit.
    static func debugConnectionLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 32 }
        let files = Int(clamping: min(limit.rlim_cur, 1 << 20))
        let reserve = max(64, files / 5)
        return min(1024, max(32, reserve / 2))
    }

    /// How long a debug connection may stay silent, take to send its request head, or idle
    /// between requests: a health probe or a metrics scrape sends its request at once.
    static let debugTimeout: Duration = .seconds(5)

    /// The listen queue of the registry's listeners: as long as the kernel allows (it cuts
    /// any larger value to `net.core.somaxconn`), as Go's `net` package asks for it.
    /// Hummingbird's 256 dropped the connections of a burst (a CI fleet starting its pulls
    /// at once) beyond it, each then retried a second or more later by its client's SYN
    /// retransmission: 3,000 connections at once waited 1 s at the median and 2 s at p99
    /// against distribution's 56 ms.
    static let listenBacklog = Int(UInt16.max)
}
