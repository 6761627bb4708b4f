/// One page of search results, and how many there are in all.
public struct SearchResults: Sendable, Equatable {
    /// A repository that matched.
    public struct Hit: Sendable, Equatable {
        public var name: String
        public var description: String
        public var starCount: Int64
        public var pullCount: Int64
        /// The last push, in milliseconds since 1970; nil before the first.
        public var pushedAt: Int64?

        public init(name: String, description: String, starCount: Int64, pullCount: Int64, pushedAt: Int64?) {
            self.name = name
            self.description = description
            self.starCount = starCount
            self.pullCount = pullCount
            self.pushedAt = pushedAt
        }
    }

    public var hits: [Hit]
    public var total: Int

    public init(hits: [Hit], total: Int) {
        self.hits = hits
        self.total = total
    }
}
