
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
    public init(parsing header: String) throws(RegistryError) {
        var spec = Substring(header).trimmingOptionalWhitespace
        if spec.hasPrefix("bytes=") || spec.hasPrefix("bytes ") { spec = spec.dropFirst(6) }
        if let slash = spec.firstIndex(of: "/") { spec = spec[..<slash] }
        let parts = spec.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Int64(parts[0]), let end = Int64(parts[1]), start >= 0 else {
            throw RegistryError(.blobUploadInvalid, "blob upload invalid", detail: "malformed Content-Range \(header.prefix(100))")
        }
        guard end >= start else {
            throw RegistryError(.rangeInvalid, "invalid content range", detail: "end \(end) before start \(start)")
        }
        self.start = start
        self.end = end
    }

    /// Whether a body of `length` bytes fills exactly this span. `end - start` cannot
    /// overflow (0 <= start <= end); adding 1 to it could, so the length is compared less
    /// one, and only a positive length is (a span holds at least one byte).
    public func matches(length: Int64) -> Bool {
        length > 0 && length - 1 == end - start
    }
}
