/// What the index knows of one repository, as the API shows it.
public struct RepositorySummary: Sendable, Equatable {
    public var name: String
    public var description: String
    public var overview: String
    public var createdAt: Int64
    public var pushedAt: Int64?
    public var pullCount: Int64
    public var lastPulledAt: Int64?
    public var starCount: Int64
    public var tagCount: Int64

    /// The repository's namespace: everything before the last `/`, or empty.
    public var namespace: String {
        guard let slash = name.lastIndex(of: "/") else { return "" }
        return String(name[..<slash])
    }
}
