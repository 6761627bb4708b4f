/// What follows `/manifests/` in a URL: a tag or a digest.
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    case tag(Tag)
    case digest(Digest)

    /// Parses a reference; anything with a `:` must be a digest, as in the spec's grammar.
    public init?(_ string: some StringProtocol) {
        if string.utf8.contains(UInt8(ascii: ":")) {  // not Foundation's substring search: this runs per manifest request
            guard let digest = Digest(string) else { return nil }
            self = .digest(digest)
        } else {
            guard let tag = Tag(string) else { return nil }
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
