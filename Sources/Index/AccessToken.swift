public import Auth

/// A personal access token as its owner sees it in a listing: never the token itself,
/// which only its creation answers, once.
public struct AccessToken: Sendable, Equatable {
    /// What a token may be used for; each level includes the ones before it, as Docker
    /// Hub's do (a `delete` token can also push and pull).
    public enum Scope: String, Sendable, CaseIterable {
        case read, write, delete

        /// The registry actions the scope allows.
        public var actions: AccessActions {
            switch self {
            case .read: .pull
            case .write: [.pull, .push]
            case .delete: .all
            }
        }
    }

    /// The public id, for listing and revoking.
    public var id: String
    public var user: String
    /// What the owner called it ("CI on main").
    public var name: String
    public var scopes: [Scope]
    public var createdAt: Int64
    /// nil: never expires.
    public var expiresAt: Int64?
    /// To the minute: uses are not written more often.
    public var lastUsedAt: Int64?

    /// The registry actions all its scopes allow together.
    public var limit: AccessActions {
        scopes.reduce(into: AccessActions()) { $0.formUnion($1.actions) }
    }

    /// What every token starts with, so a password field can tell a token from a password
    /// without a database read (and secret scanners can find leaked ones).
    public static let prefix = "pier_pat_"
    /// Hex characters after the prefix: 160 random bits.
    static let secretLength = 40
}
