/// One file a recursive listing found: where it is below the listed directory, how big it
/// is and when it was last written.
public struct StoredFile: Sendable, Equatable {
    /// The path relative to the directory listed, `/`-separated, no leading `/`.
    public var path: String
    /// Bytes, for what a collection frees.
    public var size: Int64
    /// Seconds since 1970.
    public var modified: Double

    public init(path: String, size: Int64, modified: Double) {
        self.path = path
        self.size = size
        self.modified = modified
    }
}
