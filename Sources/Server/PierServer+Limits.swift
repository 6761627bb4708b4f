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

    /// The listen queue of the registry's listeners: as long as the kernel allows (it cuts
    /// any larger value to `net.core.somaxconn`), as Go's `net` package asks for it.
    /// Hummingbird's 256 dropped the connections of a burst (a CI fleet starting its pulls
    /// at once) beyond it, each then retried a second or more later by its client's SYN
    /// retransmission: 3,000 connections at once waited 1 s at the median and 2 s at p99
    /// against distribution's 56 ms.
    static let listenBacklog = Int(UInt16.max)
}
