extension PierConfiguration {
    /// Reads distribution's `health` section: the storage driver's check when enabled, and
    /// each file, HTTP and TCP check, with distribution's defaults (every 10 s, status 200,
    /// a threshold of 1). A timeout left at 0, which distribution reads as none, is the
    /// interval here, so a check never outlives its turn.
    mutating func applyHealth(_ read: ConfigurationTree) throws(ConfigurationError) {
        var checks = [HealthCheckSetting]()
        if try read.bool("health.storagedriver.enabled") == true {
            checks.append(HealthCheckSetting(
                name: "storagedriver_" + storageDriverName,
                probe: .storage,
                interval: try Self.interval(try read.duration("health.storagedriver.interval")),
                threshold: try read.int("health.storagedriver.threshold") ?? 1
            ))
        }
        for (key, entry) in try Self.entries(read, "health.file") {
            guard let path = try ConfigurationError.under(key, { () throws(ConfigurationError) in try entry.string("file") }), !path.isEmpty else {
                throw ConfigurationError(key: key + ".file", message: "every file check names a file")
            }
            let interval = try ConfigurationError.under(key, { () throws(ConfigurationError) in try Self.interval(try entry.duration("interval")) })
            checks.append(HealthCheckSetting(name: path, probe: .file(path: path), interval: interval))
        }
        for (key, entry) in try Self.entries(read, "health.http") {
            guard let url = try ConfigurationError.under(key, { () throws(ConfigurationError) in try entry.string("uri") }),
                  url.hasPrefix("http://") || url.hasPrefix("https://")
            else {
                throw ConfigurationError(key: key + ".uri", message: "every http check needs an http:// or https:// uri")
            }
            let (interval, timeout, threshold) = try Self.timing(entry, key)
            var headers = [String: [String]]()
            for (name, values) in try ConfigurationError.under(key, { () throws(ConfigurationError) in try entry.stringLists("headers") }) {
                headers[name, default: []] += values
            }
            let status = try ConfigurationError.under(key, { () throws(ConfigurationError) in try entry.int("statuscode") }) ?? 0
            guard (0...599).contains(status) else { throw ConfigurationError(key: key + ".statuscode", message: "\(status) is not an HTTP status") }
            checks.append(HealthCheckSetting(
                name: url, probe: .http(url: url, headers: headers, statusCode: status == 0 ? 200 : status, timeout: timeout ?? interval),
                interval: interval, threshold: threshold
            ))
        }
        for (key, entry) in try Self.entries(read, "health.tcp") {
            guard let address = try ConfigurationError.under(key, { () throws(ConfigurationError) in try entry.string("addr") }), !address.isEmpty else {
                throw ConfigurationError(key: key + ".addr", message: "every tcp check needs an addr such as redis:6379")
            }
            _ = try Self.parseAddress(address, key: key + ".addr")
            let (interval, timeout, threshold) = try Self.timing(entry, key)
            checks.append(HealthCheckSetting(
                name: address, probe: .tcp(address: address, timeout: timeout ?? interval), interval: interval, threshold: threshold
            ))
        }
        // One state per name: two checks of one name would clear each other's failures.
        var names = Set<String>()
        for check in checks where !names.insert(check.name).inserted {
            throw ConfigurationError(key: "health", message: "two checks of \(check.name): give each file, uri and addr once")
        }
        healthChecks = checks
    }

    /// The entries of a list of checks, each with its key for errors.
    private static func entries(_ read: ConfigurationTree, _ key: String) throws(ConfigurationError) -> [(String, ConfigurationTree)] {
        guard let value = read.value(key) else { return [] }
        guard let list = value as? [Any] else { throw ConfigurationError(key: key, message: "expected a list of checks") }
        var entries = [(String, ConfigurationTree)]()
        for (index, item) in list.enumerated() {
            guard let map = item as? [String: Any] else { throw ConfigurationError(key: "\(key)[\(index)]", message: "expected a mapping") }
            entries.append(("\(key)[\(index)]", ConfigurationTree(map)))
        }
        return entries
    }

    private static func timing(_ entry: ConfigurationTree, _ key: String) throws(ConfigurationError) -> (Duration, Duration?, Int) {
        try ConfigurationError.under(key) { () throws(ConfigurationError) in
            let interval = try interval(try entry.duration("interval"))
            let timeout = try entry.duration("timeout").flatMap { $0 > .zero ? $0 : nil }
            return (interval, timeout, try entry.int("threshold") ?? 1)
        }
    }

    /// distribution reads a missing or zero interval as 10 s. Under a second counts as one
    /// second: a bare number is nanoseconds there as here (`interval: 10` is 10 ns, surely
    /// meant as seconds), and a check that must answer within 10 ns fails every time, while
    /// distribution, which sets checks no deadline, kept answering 200.
    private static func interval(_ value: Duration?) throws(ConfigurationError) -> Duration {
        guard let value, value > .zero else { return .seconds(10) }
        return max(value, .seconds(1))
    }
}
