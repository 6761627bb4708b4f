/// A repository pattern, as the access policy, immutable tags, retention and quotas name
/// repositories: `*` matches within one path segment, `**` across segments, so `team-a/*`
/// covers `team-a/app` but not `team-a/app/cache`. A tag pattern is one segment (`v*`).
public struct RepositoryGlob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let segments: [Substring]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.segments = pattern.split(separator: "/", omittingEmptySubsequences: false)
    }

    public var description: String { pattern }

    public func matches(_ name: String) -> Bool {
        if pattern == "**" { return !name.isEmpty }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        return Self.match(segments[...], parts[...])
    }

    private static func match(_ pattern: ArraySlice<Substring>, _ name: ArraySlice<Substring>) -> Bool {
        guard let head = pattern.first else { return name.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            // `**` takes one or more segments; a trailing `**` takes all that are left.
            if rest.isEmpty { return !name.isEmpty }
            var index = name.startIndex
            while index < name.endIndex {
                index += 1
                if match(rest, name[index...]) { return true }
            }
            return false
        }
        guard let part = name.first, segmentMatches(head, part) else { return false }
        return match(pattern.dropFirst(), name.dropFirst())
    }

    /// Matches one segment where `*` stands for any run of characters other than `/`.
    private static func segmentMatches(_ pattern: Substring, _ text: Substring) -> Bool {
        guard pattern.contains("*") else { return pattern == text }
        let pieces = pattern.split(separator: "*", omittingEmptySubsequences: false)
        var rest = text[...]
        for (index, piece) in pieces.enumerated() {
            if index == 0 {
                guard rest.hasPrefix(piece) else { return false }
                rest = rest.dropFirst(piece.count)
            } else if index == pieces.count - 1 {
                return rest.hasSuffix(piece) && rest.count >= piece.count
            } else if !piece.isEmpty {
                // The standard library's search, not Foundation's `range(of:)`, whose ranges
                // in a substring can fall outside it (a fuzzer found names that trapped here).
                guard let range = rest.firstRange(of: piece) else { return false }
                rest = rest[range.upperBound...]
            }
        }
        return rest.isEmpty
    }
}
