import Foundation

/// Wall-clock time as the index stores it: milliseconds since 1970, which both engines
/// hold as a plain integer and sort without time-zone surprises.
public enum IndexClock {
    /// Now, in the index's unit.
    public static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// RFC 3339 in UTC with milliseconds, as the API answers (`2026-12-04T14:52:41.277Z`).
    ///
    /// Computed from the civil calendar directly: a Foundation date formatter costs tens of
    /// microseconds in ICU per call, and a page of 100 tags formats 200 times.
    public static func format(_ milliseconds: Int64) -> String {
        let (seconds, millisecond) = floorDivision(milliseconds, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        // Days since 1970-01-01 to year, month, day (the proleptic Gregorian calendar).
        let shifted = days + 719_468
        let (era, dayOfEra) = floorDivision(shifted, 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        var text = ""
        text.reserveCapacity(24)
        func append(_ value: Int64, width: Int) {
            let digits = String(value)
            for _ in digits.count..<width { text.append("0") }
            text += digits
        }
        append(year, width: 4)
        text.append("-")
        append(month, width: 2)
        text.append("-")
        append(day, width: 2)
        text.append("T")
        append(secondOfDay / 3600, width: 2)
        text.append(":")
        append(secondOfDay / 60 % 60, width: 2)
        text.append(":")
        append(secondOfDay % 60, width: 2)
        text.append(".")
        append(millisecond, width: 3)
        text.append("Z")
        return text
    }

    /// Division rounding toward negative infinity, with its non-negative remainder.
    private static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }

    /// Milliseconds since 1970 of an RFC 3339 time as image configs write it (any number of
    /// fractional digits); nil when it cannot be read.
    public static func parse(_ text: String) -> Int64? {
        ManifestFacts.milliseconds(text)
    }
}
