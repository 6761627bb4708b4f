/// Parses durations as distribution writes them (Go's `time.ParseDuration`: `168h`, `1h30m`,
/// `500ms`, `10s`), so configuration files carry over unchanged.
public enum GoDuration {
    /// The duration `text` writes, or nil when it is not one.
    public static func parse(_ text: String) -> Duration? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return .zero }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter || $0 == "µ" }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += value * scale
        }
        // Longer than about 292 years does not fit in nanoseconds; call it invalid.
        guard total * 1e9 < Double(Int64.max) else { return nil }
        return .nanoseconds(Int64(total * 1e9))
    }
}
