/// The answer to a blob GET: the whole blob's size, the range being sent, and how.
public struct BlobContent: Sendable {
    /// The whole blob's size, whatever range is sent.
    public var size: Int64
    /// The bytes being sent, when the client asked for a range.
    public var range: Range<Int64>?
    /// How the bytes go out (empty for a HEAD).
    public var body: BlobBody

    public init(size: Int64, range: Range<Int64>?, body: BlobBody) {
        self.size = size
        self.range = range
        self.body = body
    }

    /// How many bytes the response carries.
    public var length: Int64 { range.map { $0.upperBound - $0.lowerBound } ?? size }
}
