/// The shape of a host that a client (`Host`, `:authority`) or a proxy (`X-Forwarded-Host`,
/// `X-Forwarded-Proto`) names, checked before the server writes it into a URL it hands out.
///
/// `Location` headers, a webhook's `source` and the web UI's `docker pull` lines are built
/// from those headers. A value holding `/`, `?`, `#`, `@` or a space would make them point
/// somewhere other than a host, and RFC 9112 §3.2 asks for a 400 on a `Host` that is not
/// one. The grammar is RFC 3986's (§3.2.2–3.2.3): a registered name, an IPv4 address or a
/// bracketed IP literal, then an optional port.
public enum URLAuthority {
    /// Whether `text` is a host with an optional port, and nothing else.
    public static func isValid(_ text: Substring) -> Bool {
        var bytes = text.utf8[...]
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            let literal = bytes[bytes.index(after: bytes.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy(isLiteralByte) else { return false }
            bytes = bytes[bytes.index(after: close)...]
            guard let colon = bytes.first else { return true }
            return colon == UInt8(ascii: ":") && bytes.dropFirst().allSatisfy(isDigit)
        }
        if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
            guard bytes[bytes.index(after: colon)...].allSatisfy(isDigit) else { return false }
            bytes = bytes[..<colon]
        }
        return !bytes.isEmpty && bytes.allSatisfy(isNameByte)
    }

    /// Whether `text` is a URL scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`).
    public static func isValidScheme(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, isLetter(first) else { return false }
        return text.utf8.dropFirst().allSatisfy { isLetter($0) || isDigit($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    /// The first element of a proxy's comma-separated header (the proxy nearest the client
    /// wrote it), trimmed, when it has the shape `isValid` asks of it; nil otherwise, so the
    /// server falls back to what it knows rather than hand out a URL the header made up.
    public static func firstElement(of header: String?, _ isValid: (Substring) -> Bool) -> String? {
        guard let header, let element = header.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).first else { return nil }
        let trimmed = element.trimmingOptionalWhitespace
        return isValid(trimmed) ? String(trimmed) : nil
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// unreserved, sub-delims and `%` of a percent-encoding.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || nameSymbols.contains(byte)
    }

    /// Hex digits, `:` and `.` of an IPv6 address, `v` of IPvFuture, `%` and unreserved
    /// of a zone (RFC 6874).
    private static func isLiteralByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || literalSymbols.contains(byte)
    }

    private static let nameSymbols: Set<UInt8> = Set("-._~!$&'()*+,;=%".utf8)
    private static let literalSymbols: Set<UInt8> = Set(":.-_~%".utf8)
}
