/// Text as the inside of a JSON string, for the few answers and log lines written by hand
/// (error bodies whose bytes must not vary, access-log lines on the hot path) rather than
/// through an encoder.
public enum JSONString {
    /// `value` with quotes, backslashes and control characters escaped; returned as it is
    /// when it holds none, which is nearly always.
    public static func escaped(_ value: some StringProtocol) -> String {
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            return String(value)
        }
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
