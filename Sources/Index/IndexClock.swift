import Foundation

/// Wall-clock time as the index stores it: milliseconds since 1970, which both engines
/// hold as a plain integer and sort without time-zone surprises.
public enum IndexClock {
    /// Now, in the index's unit.
    public static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// RFC 3339 in UTC with milliseconds, as the API answers.
    public static func format(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }

    /// Milliseconds since 1970 of an RFC 3339 time as image configs write it (any number of
    /// fractional digits); nil when it cannot be read.
    public static func parse(_ text: String) -> Int64? {
        ManifestFacts.milliseconds(text)
    }
}
