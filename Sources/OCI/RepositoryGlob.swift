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

    /// Matched segment by segment from the end, one row of answers per pattern segment
    /// (whether the pattern from here on matches the name from each segment on), so several
    /// `**` cost a product of the two lengths rather than trying every split: trying every
    /// split took seconds for `**/**/**/**/**` against a long name (found by fuzzing).
    public func matches(_ name: String) -> Bool {
        if pattern == "**" { return !name.isEmpty }
        let parts = Array(name.split(separator: "/", omittingEmptySubsequences: false))
        let count = parts.count
        // The empty rest of a pattern matches only the empty rest of a name.
        var following = [Bool](repeating: false, count: count + 1)
        following[count] = true
        for (index, head) in segments.enumerated().reversed() {
            var row = [Bool](repeating: false, count: count + 1)
            if head == "**" {
                if index == segments.count - 1 {
                    // A trailing `**` takes all that is left, at least one segment.
                    for start in 0..<count { row[start] = true }
                } else {
                    // `**` takes one or more segments: any later start the rest matches from.
                    var later = false
                    for start in stride(from: count - 1, through: 0, by: -1) {
                        later = later || following[start + 1]
                        row[start] = later
                    }
                }
            } else {
                for start in 0..<count where following[start + 1] && Self.segmentMatches(head, parts[start]) {
                    row[start] = true
                }
            }
            following = row
        }
        return following[0]
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
