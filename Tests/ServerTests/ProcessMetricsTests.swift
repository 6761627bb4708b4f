import Foundation
import Testing
@testable import Server

/// The `process_*` families: the parsing of `/proc` they rest on, and what a scrape gets.
@Suite struct ProcessMetricsTests {
    /// A stat line whose fields 14, 15, 22, 23 and 24 are 250, 125, 5000, 1073741824 and
    /// 3000, after a command name (`comm`).
    func statLine(name: String) -> [UInt8] {
        let afterName = "S 1 1234 1234 0 -1 4194560 1000 0 0 0 250 125 0 0 20 0 8 0 5000 1073741824 3000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
        return Array("1234 (\(name)) \(afterName)\n".utf8)
    }

    @Test(arguments: ["pier", "a b", "a) b", "(x) (y)", ")", ""])
    func theStatFieldsCountFromTheNamesLastParenthesis(_ name: String) throws {
        let stat = try #require(ProcessMetrics.Stat(statLine(name: name)))
        #expect(stat.userTicks == 250 && stat.systemTicks == 125)
        #expect(stat.startTicks == 5000)
        #expect(stat.virtualBytes == 1_073_741_824)
        #expect(stat.residentPages == 3000)
    }

    @Test func aStatLineWithoutItsFieldsIsNotRead() {
        #expect(ProcessMetrics.Stat(Array("1234 (pier) S 1 1234".utf8)) == nil)
        #expect(ProcessMetrics.Stat(Array("1234 pier S 1 1234".utf8)) == nil)
        #expect(ProcessMetrics.Stat([]) == nil)
        // Not a number where utime goes.
        var line = String(decoding: statLine(name: "pier"), as: UTF8.self)
        line = line.replacingOccurrences(of: " 250 125 ", with: " x 125 ")
        #expect(ProcessMetrics.Stat(Array(line.utf8)) == nil)
    }

    @Test func theBootTimeIsProcStatsBtimeLine() {
        let procStat = "cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 5 6\nctxt 7\nbtime 1700000000\nprocesses 9\n"
        #expect(ProcessMetrics.bootTime(Array(procStat.utf8)) == 1_700_000_000)
        #expect(ProcessMetrics.bootTime(Array("cpu 1 2\n".utf8)) == nil)
    }

    /// On Linux every family is there, with the Go and Python clients' HELP and TYPE lines.
    @Test func aScrapeHasEveryFamilyWithItsHelpAndType() throws {
        try #require(FileManager.default.fileExists(atPath: "/proc/self/stat"))
        var buffer = [UInt8]()
        ProcessMetrics.emit(into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        let families = [
            ("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter"),
            ("process_max_fds", "Maximum number of open file descriptors.", "gauge"),
            ("process_open_fds", "Number of open file descriptors.", "gauge"),
            ("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge"),
            ("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge"),
            ("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge"),
        ]
        var samples = [String: Double]()
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { samples[String(parts[0])] = Double(parts[1]) }
        }
        for (name, help, type) in families {
            #expect(text.contains("# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) "), "\(name)")
            #expect((samples[name] ?? -1) >= 0, "\(name)")
        }
        #expect(samples.count == families.count)
        #expect((samples["process_open_fds"] ?? 0) >= 3)
        #expect((samples["process_resident_memory_bytes"] ?? 0) > 0)
        // Started in the past, and not before the epoch's 2020.
        let started = samples["process_start_time_seconds"] ?? 0
        #expect(started > 1_577_836_800 && started <= Date().timeIntervalSince1970 + 1)
    }
}
