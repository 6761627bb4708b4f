#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The standard process collector's families, named, described and typed as Prometheus'
/// Go and Python clients write them, so dashboards and alerts written for any exporter's
/// `process_*` (restarts, CPU, memory, file descriptors running out) work on Pier too;
/// swift-prometheus has no process collector. Read from `/proc` at each scrape: Linux only,
/// and a family that cannot be read is left out, as those clients do.
enum ProcessMetrics {
    /// What the families need of one `/proc/<pid>/stat` line (proc(5)).
    struct Stat: Equatable {
        /// Field 14, `utime`: clock ticks spent in user mode.
        var userTicks: UInt64
        /// Field 15, `stime`: clock ticks spent in kernel mode.
        var systemTicks: UInt64
        /// Field 22, `starttime`: clock ticks after boot at which the process started.
        var startTicks: UInt64
        /// Field 23, `vsize`: virtual memory size in bytes.
        var virtualBytes: UInt64
        /// Field 24, `rss`: resident pages.
        var residentPages: Int64

        /// Parses a stat line; nil when it does not have the fields.
        ///
        /// The second field is the command name in parentheses, which may itself hold spaces
        /// and parentheses (a thread named `a) b`): the fields are counted from the line's
        /// last `)`, which the kernel writes after the name whatever it holds.
        init?(_ line: [UInt8]) {
            guard let nameEnd = line.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            // The first field after the name is field 3 (`state`): field n is at n - 3.
            let fields = line[(nameEnd + 1)...].split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
            guard fields.count > 24 - 3 else { return nil }
            func unsigned(_ field: Int) -> UInt64? { UInt64(String(decoding: fields[field - 3], as: UTF8.self)) }
            guard let user = unsigned(14), let system = unsigned(15), let start = unsigned(22), let virtual = unsigned(23),
                  let resident = Int64(String(decoding: fields[24 - 3], as: UTF8.self))
            else { return nil }
            userTicks = user
            systemTicks = system
            startTicks = start
            virtualBytes = virtual
            residentPages = resident
        }
    }

    /// The boot time, seconds since the epoch, from the `btime` line of `/proc/stat`.
    static func bootTime(_ procStat: [UInt8]) -> UInt64? {
        let key = Array("btime ".utf8)
        for line in procStat.split(separator: UInt8(ascii: "\n")) where line.starts(with: key) {
            return UInt64(String(decoding: line.dropFirst(key.count), as: UTF8.self))
        }
        return nil
    }

    /// `USER_HZ`, what `/proc`'s tick counts count in (100 almost everywhere).
    static let clockTicks: Double = {
        let ticks = sysconf(CInt(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    /// Bytes per page, for `rss`.
    static let pageSize: Int64 = {
        let size = sysconf(CInt(_SC_PAGESIZE))
        return size > 0 ? Int64(size) : 4096
    }()

    /// When this process started, seconds since the epoch: read once, it never changes.
    static let startTime: Double? = {
        guard let stat = ProcessMetrics.contents(of: "/proc/self/stat").flatMap(ProcessMetrics.Stat.init),
              let boot = ProcessMetrics.contents(of: "/proc/stat").flatMap(ProcessMetrics.bootTime)
        else { return nil }
        return Double(boot) + Double(stat.startTicks) / ProcessMetrics.clockTicks
    }()

    /// Appends the families to a text exposition (format 0.0.4), each with its `# HELP`
    /// and `# TYPE` lines, in name order as the Go client writes them.
    static func emit(into buffer: inout [UInt8]) {
        let stat = contents(of: "/proc/self/stat").flatMap(Stat.init)
        if let stat {
            let seconds = Double(stat.userTicks &+ stat.systemTicks) / clockTicks
            family(&buffer, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", "\(seconds)")
        }
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            family(&buffer, "process_max_fds", "Maximum number of open file descriptors.", "gauge", "\(limit.rlim_cur)")
        }
        // The listing's own descriptor counts too, as in the Go and Python clients.
        if let descriptors = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            family(&buffer, "process_open_fds", "Number of open file descriptors.", "gauge", "\(descriptors.count)")
        }
        if let stat {
            let resident = max(0, stat.residentPages) &* pageSize
            family(&buffer, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", "\(resident)")
        }
        if let started = startTime {
            family(&buffer, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", "\(started)")
        }
        if let stat {
            family(&buffer, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", "\(stat.virtualBytes)")
        }
    }

    /// One family of a single unlabelled sample.
    private static func family(_ buffer: inout [UInt8], _ name: String, _ help: String, _ type: String, _ value: String) {
        buffer.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n".utf8)
    }

    /// A whole file read to its end: `/proc` files say they are empty, so no read sized by
    /// the file's length works.
    static func contents(of path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        var count = 0
        repeat {
            count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                result.append(contentsOf: chunk[0..<count])
            } else if count < 0, errno != EINTR {
                return nil
            }
        } while count != 0
        return result
    }
}
