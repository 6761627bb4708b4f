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
}
