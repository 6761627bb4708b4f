/// A single byte range from a `Range` header (`bytes=a-b`, `bytes=a-`, `bytes=-n`), kept
/// unresolved: a range means something only against the blob's size, which the content
/// behind the registry (a store, a mirror's upstream) knows and resolves it with.
public struct ByteRange: Sendable, Equatable {
    /// The first byte asked for; nil for a suffix range (`bytes=-n`).
    public var start: Int64?
    /// The last byte asked for (inclusive), or the suffix's length when `start` is nil.
    public var end: Int64?

    /// Nil for headers this server does not interpret (other units, several ranges, bad
    /// syntax): HTTP lets a server ignore those and send the whole blob.
    public init?(_ header: String) {
        guard header.hasPrefix("bytes=") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingOptionalWhitespace
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash]
        let second = spec[spec.index(after: dash)...]
        start = first.isEmpty ? nil : Int64(first)
        end = second.isEmpty ? nil : Int64(second)
        if !first.isEmpty, start == nil { return nil }
        if !second.isEmpty, end == nil { return nil }
        if start == nil, end == nil { return nil }
        if let start, let end, end < start { return nil }
    }

    /// The half-open range within a blob of `size` bytes, or nil when unsatisfiable.
    public func resolve(size: Int64) -> Range<Int64>? {
        if let start {
            guard start < size else { return nil }
            let last = min(end ?? (size - 1), size - 1)
            return start..<(last + 1)
        }
        guard let suffix = end, suffix > 0, size > 0 else { return nil }
        return max(0, size - suffix)..<size
    }
}
