/// A user made through the API (`POST /api/v1/users`), as administrators list them; the
/// htpasswd file's users are not stored here, and no password hash ever leaves the index.
public struct IndexUser: Sendable, Equatable {
    public var name: String
    public var createdAt: Int64
    /// The administrator who made the account.
    public var createdBy: String
    /// When the account was disabled; nil while it may log in.
    public var disabledAt: Int64?

    public init(name: String, createdAt: Int64, createdBy: String, disabledAt: Int64?) {
        self.name = name
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.disabledAt = disabledAt
    }
}
