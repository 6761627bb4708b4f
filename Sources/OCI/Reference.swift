/// What follows `/manifests/` in a URL: a tag or a digest.
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    case tag(Tag)
    case digest(Digest)

    /// Parses a reference; anything with a `:` must be a digest, as in the spec's grammar.
    /// Inlined for the same reason as ``Digest/init(_:)``: this runs per manifest request.
    @inlinable
    public init?(_ string: some StringProtocol) {
        self.init(parsing: Substring(string))
    }

    /// The parse itself, over UTF-8 bytes.
    @usableFromInline
    init?(parsing string: Substring) {
        if string.utf8.contains(UInt8(ascii: ":")) {
            guard let digest = Digest(parsing: string) else { return nil }
            self = .digest(digest)
        } else {
            guard let tag = Tag(parsing: string) else { return nil }
            self = .tag(tag)
        }
    }

    public var description: String {
        switch self {
        case .tag(let tag): tag.value
        case .digest(let digest): digest.description
        }
    }
}
