/// One comment on a repository, as its author wrote it (Markdown); pages render it.
public struct RepositoryComment: Sendable, Equatable {
    public var id: Int64
    public var repository: String
    public var author: String
    public var body: String
    public var createdAt: Int64
    /// When it was last edited; nil when never.
    public var updatedAt: Int64?
}
