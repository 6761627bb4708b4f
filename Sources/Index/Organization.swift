/// An organisation: a namespace (`acme/**`) that belongs to its teams. The `owners` team
/// administers it and cannot be removed or emptied.
public struct Organization: Sendable, Equatable {
    public var name: String
    public var createdAt: Int64
    public var createdBy: String

    /// One team: members and the permission they hold on every repository of the
    /// organisation.
    public struct Team: Sendable, Equatable {
        public var name: String
        public var permission: NamespaceGrants.Role
        public var members: [String]
    }

    /// The team every organisation has, with `admin`, holding its creator at first.
    public static let ownersTeam = "owners"

    /// What asking to delete an organisation came to: the API answers each differently
    /// (204, 404, 409).
    public enum Deletion: Sendable, Equatable {
        /// Gone, with its teams, their members and its webhooks.
        case deleted
        /// There was no such organisation.
        case notFound
        /// Refused: repositories live in its namespace.
        case holdsRepositories
    }
}
