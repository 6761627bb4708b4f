
/// The byte span a chunk of a chunked upload claims in `Content-Range` (`start-end`, with
/// or without a `bytes` unit, with or without a `/total`). Clients write it several ways
/// (docker and containerd send `0-1023`, RFC 9110 says `bytes 0-1023/*`), and all of them
/// must reach the same offset check, so the grammar lives in one place.
public struct ContentRange: Sendable, Equatable {
    /// The first byte of the chunk within the upload.
    public var start: Int64
    /// The last byte of the chunk (inclusive), at or after `start`.
    public var end: Int64

    /// Reads a header value; a malformed one is `BLOB_UPLOAD_INVALID`, an end before its
    /// start `RANGE_INVALID` (416), as distribution answers.
    /// A total after the span (`/2048`) must be `*` or a length the span fits in.
    public init(parsing header: String) throws(RegistryError) {
        let malformed = RegistryError(.blobUploadInvalid, "blob upload invalid", detail: "malformed Content-Range \(header.prefix(100))")
        var spec = Substring(header).trimmingOptionalWhitespace
        if spec.hasPrefix("bytes=") || spec.hasPrefix("bytes ") { spec = spec.dropFirst(6) }
        var total: Substring?
        if let slash = spec.firstIndex(of: "/") {
            total = spec[spec.index(after: slash)...]
            spec = spec[..<slash]
        }
        let parts = spec.split(separator: "-", omittingEmptySubsequences: false)
        // Digits only: `Int64("+5")` is 5, and no client writes a sign.
        guard parts.count == 2, let start = Self.position(parts[0]), let end = Self.position(parts[1]) else {
            throw malformed
        }
        guard end >= start else {
            throw RegistryError(.rangeInvalid, "invalid content range", detail: "end \(end) before start \(start)")
        }
        if let total, total != "*" {
            guard let length = Self.position(total), length > end else { throw malformed }
        }
        self.start = start
        self.end = end
    }

    /// The bytes the span holds, nil where that is more than an `Int64` counts (`0-` the
    /// largest `Int64`): a body that long never arrives.
    public var length: Int64? {
        let (length, overflow) = (end - start).addingReportingOverflow(1)
        return overflow ? nil : length
    }

    /// A non-negative decimal number of ASCII digits alone.
    private static func position(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int64(text)
    }

    /// Whether a body of `length` bytes fills exactly this span. `end - start` cannot
    /// overflow (0 <= start <= end); adding 1 to it could, so the length is compared less
    /// one, and only a positive length is (a span holds at least one byte).
    public func matches(length: Int64) -> Bool {
        length > 0 && length - 1 == end - start
    }
}
