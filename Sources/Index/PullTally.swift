/// Pulls counted since the index last wrote them: per repository, how many and when the
/// last was, and per tag when it was last pulled.
public struct PullTally: Sendable, Equatable {
    public struct Counts: Sendable, Equatable {
        public var count: Int64 = 0
        public var last: Int64 = 0
        public var tags: [String: Int64] = [:]
    }

    public private(set) var repositories: [String: Counts] = [:]

    public init() {}

    public var isEmpty: Bool { repositories.isEmpty }

    /// Counts one pull of `repository` (by `tag`, if it was pulled by one) at `time`.
    public mutating func add(_ repository: String, tag: String?, at time: Int64) {
        var counts = repositories[repository] ?? Counts()
        counts.count += 1
        counts.last = max(counts.last, time)
        if let tag { counts.tags[tag] = max(counts.tags[tag] ?? 0, time) }
        repositories[repository] = counts
    }
}
