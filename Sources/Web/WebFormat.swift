import Index

/// How numbers and times read on a page: sizes in the units `docker images` prints,
/// times relative to now (with the exact time kept for a `<time>` element's `datetime`).
enum WebFormat {
    /// `12.3 MB`: decimal units, as Docker Hub and `docker images` show sizes.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(count)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(count) B" }
        let rounded = (value * 10).rounded() / 10
        let text = rounded >= 100 ? String(Int(rounded)) : String(rounded)
        return text + " " + units[unit]
    }

    /// How far ahead of this server's clock a time may be and still read "just now": the
    /// clocks of instances sharing an index, or of a build machine, drift a little.
    static let futureTolerance: Int64 = 60_000

    /// `3 hours ago`, from milliseconds since 1970. A time further in the future than
    /// ``futureTolerance`` (a build machine's wrong clock, an image that claims a date to
    /// come) is shown as its date: "just now" would be a claim the page cannot make.
    static func ago(_ milliseconds: Int64, now: Int64) -> String {
        if milliseconds - now >= futureTolerance { return date(milliseconds) }
        let seconds = max(0, (now - milliseconds) / 1000)
        func plural(_ n: Int64, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s") ago" }
        switch seconds {
        case ..<60: return "just now"
        case ..<3600: return plural(seconds / 60, "minute")
        case ..<86_400: return plural(seconds / 3600, "hour")
        case ..<(86_400 * 31): return plural(seconds / 86_400, "day")
        case ..<(86_400 * 365): return plural(seconds / (86_400 * 30), "month")
        default: return plural(seconds / (86_400 * 365), "year")
        }
    }

    /// `2026-11-01`: the day (UTC) of milliseconds since 1970.
    static func date(_ milliseconds: Int64) -> String {
        String(IndexClock.format(milliseconds).prefix { $0 != "T" })
    }

    /// `text` without control characters (NUL, escape, the C1 range) or line separators, as
    /// ``OneLineText`` has them: text echoed from a request (`?q=%00`) has no business
    /// putting them into a page.
    static func printable(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !OneLineText.breaks(scalar) {
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// `sha256:0123456789ab`: enough of a digest to tell tags apart at a glance.
    static func shortDigest(_ digest: String) -> String {
        guard let colon = digest.firstIndex(of: ":") else { return String(digest.prefix(12)) }
        return String(digest[...colon]) + digest[digest.index(after: colon)...].prefix(12)
    }

    /// `1 pull`, `1,234 pulls`: a count with its noun, singular for one.
    static func count(_ n: Int64, _ singular: String, _ plural: String) -> String {
        count(n) + " " + (n == 1 ? singular : plural)
    }

    /// `1,234`: counts with thousands separators.
    static func count(_ n: Int64) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return n < 0 ? "-" + out : out
    }
}
