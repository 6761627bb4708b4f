/// One tag as the index knows it: what it points at, how big that is, for which
/// platforms, and when and by whom it was pushed and last pulled.
public struct TagSummary: Sendable, Equatable {
    public var name: String
    public var digest: String
    public var mediaType: String
    /// The manifest and every blob it names (children's descriptors for an index).
    public var size: Int64
    /// `os/architecture[/variant]` of each child of an index.
    public var platforms: [String]
    public var pushedAt: Int64
    public var pusher: String
    public var lastPulledAt: Int64?
    /// When the image was built (its config's `created`); nil when unknown.
    public var createdAt: Int64?
    /// The image's labels.
    public var labels: [String: String] = [:]

    /// How a tag list is ordered.
    public enum Order: String, Sendable {
        /// Newest push first (the order most asked of registry UIs).
        case pushed
        /// By name.
        case name
        /// Largest first (what fills a disk).
        case size
    }
}
