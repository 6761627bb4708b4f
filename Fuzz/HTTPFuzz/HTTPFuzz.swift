import FuzzSupport
import OCI

/// The header grammars Pier reads itself rather than through the HTTP parser: `Range` on
/// blob pulls, `Content-Range` on chunked uploads, and an upstream's `WWW-Authenticate`
/// challenge in the mirror. A value must be one the code after it can use without a check
/// of its own: a range inside the blob, a span with its end after its start.
@main
enum HTTPFuzz {
    static func main() { FuzzDriver.run(checkInput) }

    static let checkInput: FuzzDriver.Check = { data, size in
        check(String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self))
        return 0
    }

    /// Blob sizes a range is resolved against: empty, tiny, ordinary and the largest.
    static let sizes: [Int64] = [0, 1, 7, 1 << 20, Int64.max]

    static func check(_ text: String) {
        if let range = ByteRange(text) {
            for size in sizes {
                guard let span = range.resolve(size: size) else { continue }
                precondition(span.lowerBound >= 0 && span.upperBound <= size && !span.isEmpty, "range outside the blob")
            }
        }
        if let span = try? ContentRange(parsing: text) {
            precondition(span.start >= 0 && span.end >= span.start, "span ends before it starts")
            let (length, overflow) = (span.end - span.start).addingReportingOverflow(1)
            if !overflow { precondition(span.matches(length: length), "the span's own length does not match") }
            precondition(!span.matches(length: 0) && !span.matches(length: Int64.min))
        }
        if let challenge = UpstreamChallenge(text) {
            precondition(!challenge.scheme.isEmpty && challenge.scheme == challenge.scheme.lowercased())
        }
    }
}
