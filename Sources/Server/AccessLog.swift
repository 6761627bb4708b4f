#if canImport(Glibc)
import Glibc
#endif
import Foundation
import OCI
import Synchronization

/// One line per request, written in batches.
///
/// Formatting a line through swift-log's stream handler (a strftime, a metadata dictionary
/// and a flushed write per request) cost more than serving a manifest HEAD, so access lines
/// are formatted by hand into a buffer that a background task writes out every 50 ms. The
/// buffer is written at shutdown too; a crash loses at most the last 50 ms of lines.
final class AccessLog: Sendable {
    enum Format: Sendable { case text, json }

    private let format: Format
    /// `log.fields`, already formatted for the chosen format.
    private let fieldsText: String
    private let fd: Int32
    private let buffer = Mutex<[UInt8]>([])
    static let maximumBuffered = 8 << 20
    private let clock = Mutex<(second: Int, text: String)>((-1, ""))

    init(format: Format, fields: [(String, String)] = [], fd: Int32 = 2) {
        self.format = format
        self.fd = fd
        switch format {
        case .text:
            fieldsText = fields.map { " \($0.0)=\($0.1)" }.joined()
        case .json:
            fieldsText = fields.map { #""\#(Self.escape($0.0))":"\#(Self.escape($0.1))","# }.joined()
        }
    }

    /// Appends a line for one request, straight into the buffer: built as one interpolated
    /// `String` first, the line cost 2% of a manifest HEAD's samples in growing that string.
    /// - Parameter client: the client's address (through trusted proxies), as distribution's
    ///   access log begins with it: who pulled what, and whom a fail2ban rule bans.
    /// - Parameter user: the authenticated user, when the door let one in: who pushed or
    ///   deleted what. Left out of the line for anonymous requests.
    func record(method: String, path: Substring, status: Int, length: String?, milliseconds: Double, userAgent: String?, client: String = "-", user: String? = nil) {
        let time = timestamp()
        let duration = Self.format(milliseconds)
        // Escaped before the lock is taken: only appends happen under it. A token's subject
        // is any string its issuer chose: escaped in both formats, so it cannot end a line,
        // and quoted in text unless plain, so it cannot add a field such as `client=`.
        let escaped = format == .json ? (path: Self.escape(path), userAgent: Self.escape(userAgent ?? "-")) : nil
        let user = user.map { format == .json ? Self.escape($0) : Self.textValue($0) }
        buffer.withLock { buffer in
            // A stalled log reader must not grow memory without end: past 8 MiB waiting,
            // lines are dropped until the writer catches up.
            guard buffer.count < Self.maximumBuffered else { return }
            switch format {
            case .text:
                buffer.append(time)
                buffer.append(" info pier: ")
                buffer.append(method)
                buffer.append(" ")
                buffer.append(path)
                buffer.append(" ")
                buffer.append(decimal: status)
                buffer.append(" ")
                buffer.append(length ?? "-")
                buffer.append(" ")
                buffer.append(duration)
                buffer.append("ms \"")
                buffer.append(userAgent ?? "-")
                buffer.append("\" client=")
                buffer.append(client)
                if let user {
                    buffer.append(" user=")
                    buffer.append(user)
                }
                buffer.append(fieldsText)
            case .json:
                let path = escaped?.path ?? ""
                buffer.append("{")
                buffer.append(fieldsText)
                if let user {
                    // distribution's name for it in its request log lines.
                    buffer.append(#""auth.user.name":""#)
                    buffer.append(user)
                    buffer.append(#"","#)
                }
                buffer.append(#""duration_ms":""#)
                buffer.append(duration)
                buffer.append(#"","http.method":""#)
                buffer.append(method)
                buffer.append(#"","http.request.remoteaddr":""#)
                buffer.append(client)
                buffer.append(#"","http.path":""#)
                buffer.append(path)
                buffer.append(#"","http.response.length":""#)
                buffer.append(length ?? "-")
                buffer.append(#"","http.status":""#)
                buffer.append(decimal: status)
                buffer.append(#"","level":"info","logger":"pier","msg":""#)
                buffer.append(method)
                buffer.append(" ")
                buffer.append(path)
                buffer.append(" ")
                buffer.append(decimal: status)
                buffer.append(#"","time":""#)
                buffer.append(time)
                buffer.append(#"","user_agent":""#)
                buffer.append(escaped?.userAgent ?? "-")
                buffer.append(#""}"#)
            }
            buffer.append(UInt8(ascii: "\n"))
        }
    }

    /// Writes buffered lines every 50 ms until cancelled.
    func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            // One write of a few kilobytes every 50 ms: cheap enough to do in place.
            Self.write(take(), to: fd)
        }
    }

    /// Writes what is buffered now, blocking; for shutdown.
    func flushNow() {
        Self.write(take(), to: fd)
    }

    private func take() -> [UInt8] {
        buffer.withLock { buffer -> [UInt8] in
            let out = buffer
            buffer.removeAll(keepingCapacity: true)
            return out
        }
    }

    private static func write(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                if n < 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }

    /// RFC 3339 time to the second, formatted once per second.
    private func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let second = now.tv_sec
        return clock.withLock { cached in
            if cached.second == second { return cached.text }
            var t = time_t(second)
            var parts = tm()
            gmtime_r(&t, &parts)
            // Digits by hand: `String(format:)` goes through Foundation's locale machinery
            // (ICU), which would be loaded for this alone.
            func digits(_ value: Int32, _ width: Int) -> String {
                let text = String(value)
                return String(repeating: "0", count: max(0, width - text.count)) + text
            }
            let text = "\(digits(parts.tm_year + 1900, 4))-\(digits(parts.tm_mon + 1, 2))-\(digits(parts.tm_mday, 2))"
                + "T\(digits(parts.tm_hour, 2)):\(digits(parts.tm_min, 2)):\(digits(parts.tm_sec, 2))Z"
            cached = (second, text)
            return text
        }
    }

    private static func format(_ milliseconds: Double) -> String {
        let micros = Int((milliseconds * 1000).rounded())
        let fraction = micros % 1000
        return "\(micros / 1000)." + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + "\(fraction)"
    }

    /// Escapes a value for a JSON string (paths and user agents come from clients).
    /// A value for a text line: as it is when made of letters, digits and `.-_@+` alone,
    /// else quoted and escaped as JSON strings are.
    static func textValue(_ value: String) -> String {
        let plain = !value.isEmpty && value.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "@"), UInt8(ascii: "+"):
                true
            default:
                false
            }
        }
        return plain ? value : "\"" + escape(value) + "\""
    }

    static func escape(_ value: some StringProtocol) -> String {
        JSONString.escaped(value)
    }
}

extension [UInt8] {
    fileprivate mutating func append(_ text: String) { append(contentsOf: text.utf8) }

    fileprivate mutating func append(_ text: Substring) { append(contentsOf: text.utf8) }

    /// A number's decimal digits (a status code's), without a `String` in between.
    fileprivate mutating func append(decimal value: Int) {
        guard value >= 0 else { return append(contentsOf: String(value).utf8) }
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
